/**
 * The instrumentation engine: read a module with binaryen, apply the selected passes,
 * validate, emit. Behaviour of the guest never changes; it gains check points and counters.
 */
import binaryen from 'binaryen';
import { WasmInstrumentationError } from '../errors.js';
import { guestText } from '../untrusted-text.js';
import { repairNameSection } from '../wasm/name-section.js';
import { functionName, type ParsedModule } from '../wasm/wasm-binary.js';
import { HOST_FRAME, RESERVED_PREFIX } from './abi.js';
import { AllocatorPass } from './allocator-pass.js';
import { addChargeDeclarations, ChargePass } from './charge-pass.js';
import { UnsupportedFeatureError } from './expression-walker.js';
import { NODE20_FEATURE_NAMES, NODE20_FEATURES } from './features.js';
import { addHookDeclarations, HooksPass } from './hooks-pass.js';
import { IrBuilder } from './ir-builder.js';
import { addMemoryHookDeclarations, MemoryPass } from './memory-pass.js';
import type { NormalizedInstrumentOptions } from './options.js';

export interface InstrumentResult {
  readonly bytes: Uint8Array;
  /** Name of every function in the rewritten module's index space (imports first). */
  readonly functions: readonly string[];
  readonly options: NormalizedInstrumentOptions;
  /** Whether the budget counter (fuel/deadline) was added. */
  readonly budget: boolean;
  /** Name of each instrumented (defined) function by its profile id, the id counters and hooks use. */
  readonly profiledFunctions: readonly string[];
  /** Allocator functions whose calls report to the host. */
  readonly allocators: readonly string[];
  /** Milliseconds: binaryen read, passes, validation, emit. */
  readonly timings: { readonly readMs: number; readonly passesMs: number; readonly validateMs: number; readonly emitMs: number };
}

/**
 * Rewrites `bytes`. Binaryen's own validation (≈10 % of the rewrite of a large module) runs
 * only with `validate`: V8 validates the output anyway when the host compiles it, and the
 * test suite validates every rewrite.
 */
export function instrument(
  bytes: Uint8Array,
  parsed: ParsedModule,
  label: string,
  options: NormalizedInstrumentOptions,
  validate = false,
): InstrumentResult {
  const readStart = performance.now();
  let module: binaryen.Module;
  try {
    // binaryen gets V8's reading of the names, none under the host's prefix (name-section.ts).
    module = binaryen.readBinary(repairNameSection(bytes, parsed, RESERVED_PREFIX));
  } catch (error) {
    throw refused(label, `binaryen cannot read it (${engineReason(error)})`, error);
  }
  const ir = new IrBuilder(module);
  try {
    return rewrite(module, ir, parsed, label, options, validate, performance.now() - readStart);
  } catch (error) {
    if (error instanceof WasmInstrumentationError) throw error;
    throw refused(label, engineReason(error), error);
  } finally {
    ir.dispose();
    module.dispose();
  }
}

function rewrite(
  module: binaryen.Module,
  ir: IrBuilder,
  parsed: ParsedModule,
  label: string,
  options: NormalizedInstrumentOptions,
  validate: boolean,
  readMs: number,
): InstrumentResult {
  module.setFeatures(NODE20_FEATURES);
  const passesStart = performance.now();
  const originalCount = module.getNumFunctions();
  const originalNames = new Map<number, string>(); // binaryen function pointer → display name
  for (let i = 0; i < originalCount; i++) originalNames.set(module.getFunctionByIndex(i), functionName(parsed, i));

  const budget = options.fuel || options.deadline;
  const importedFunctions = new Set<string>();
  let definedCount = 0;
  let scratchLocals = 0;
  for (let i = 0; i < originalCount; i++) {
    const fn = module.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(fn);
    if (info.module) {
      importedFunctions.add(info.name);
      continue;
    }
    scratchLocals = Math.max(scratchLocals, getNumVars(fn) - (parsed.declaredLocals[definedCount] ?? 0));
    definedCount++;
  }
  const chargeOptions = { budget: options.fuel ? 'instructions' : options.deadline ? 'check-points' : 'none', counters: options.counters } as const;
  addChargeDeclarations(module, chargeOptions);
  if (options.hooks) addHookDeclarations(module);
  if (options.memory) addMemoryHookDeclarations(module, ir);
  // Counting first, hooks after: instruction counts are the same whatever else is on.
  const charges = new ChargePass(module, ir, chargeOptions);
  const hooks = options.hooks ? new HooksPass(ir, importedFunctions, definedCount, chargeOptions.budget !== 'none') : undefined;
  const displayNames = internalDisplayNames(originalNames);
  // Export names stand in for functions the name section does not name (a stripped module's `__new`, `malloc`).
  const exportNames = new Map<string, string[]>();
  for (const entry of parsed.exports) {
    if (entry.kind !== 'function' || entry.index >= originalCount) continue;
    const internal = binaryen.getFunctionInfo(module.getFunctionByIndex(entry.index)).name;
    exportNames.set(internal, [...(exportNames.get(internal) ?? []), entry.name]);
  }
  const allocators = options.allocator === false ? undefined : new AllocatorPass(module, ir, displayNames, options.allocator, exportNames);
  const memory = options.memory ? new MemoryPass(ir) : undefined;
  const profiledFunctions: string[] = [];

  for (let i = 0; i < originalCount; i++) {
    const fn = module.getFunctionByIndex(i);
    if (binaryen.getFunctionInfo(fn).module) continue; // an import has no body
    const id = profiledFunctions.length;
    try {
      charges.function(fn, id);
      hooks?.function(fn, id);
      allocators?.function(fn, id);
      memory?.function(fn);
    } catch (error) {
      if (error instanceof UnsupportedFeatureError) {
        throw refused(label, `${guestText(originalNames.get(fn)!)} uses ${error.feature}, which the instrumentation engine cannot rewrite`, error);
      }
      throw error;
    }
    profiledFunctions.push(originalNames.get(fn)!);
  }
  memory?.finish();
  // The host boundary's id follows the defined functions'.
  if (options.hooks) profiledFunctions.push(HOST_FRAME);
  const passesMs = performance.now() - passesStart;

  const validateStart = performance.now();
  if (validate && !module.validate()) {
    throw refused(label, `the rewritten module does not validate under the features Node 20 runs (${NODE20_FEATURE_NAMES.join(', ')})`, undefined);
  }
  const validateMs = performance.now() - validateStart;

  const emitStart = performance.now();
  const out = emit(module, scratchLocals > MAX_SCRATCH_LOCALS);
  const emitMs = performance.now() - emitStart;

  return {
    bytes: out,
    functions: emittedFunctionNames(module, originalNames),
    options,
    budget,
    profiledFunctions,
    allocators: allocators?.wrapped ?? [],
    timings: { readMs, passesMs, validateMs, emitMs },
  };
}

/**
 * binaryen's reader turns stack-machine code it cannot express as a tree (Go's `call;
 * global.get; local.set; br_if` sequences) into scratch locals: 2,327 in one function of
 * esbuild.wasm. Written back as they are, V8's optimising compiler builds a loop-exit value
 * per local per branch out of a loop and runs out of node ids (an abort, not an error). Past
 * this many in any function, the module is written through binaryen's stack IR optimiser,
 * which folds them back onto the stack (it makes writing large modules ≈4× slower, so only then).
 */
const MAX_SCRATCH_LOCALS = 64;

const getNumVars = (binaryen as unknown as { _BinaryenFunctionGetNumVars(fn: number): number })._BinaryenFunctionGetNumVars;

function emit(module: binaryen.Module, foldScratchLocals: boolean): Uint8Array {
  const saved = {
    debug: binaryen.getDebugInfo(),
    generate: binaryen.getGenerateStackIR(),
    optimize: binaryen.getOptimizeStackIR(),
    shrink: binaryen.getShrinkLevel(),
  };
  binaryen.setDebugInfo(true); // keep the name section
  if (foldScratchLocals) {
    binaryen.setGenerateStackIR(true);
    binaryen.setOptimizeStackIR(true);
    // Its local-to-stack step runs only at -O3 or a shrink level of 1 or more.
    if (binaryen.getOptimizeLevel() < 3 && saved.shrink < 1) binaryen.setShrinkLevel(1);
  }
  try {
    return module.emitBinary();
  } finally {
    binaryen.setDebugInfo(saved.debug);
    binaryen.setGenerateStackIR(saved.generate);
    binaryen.setOptimizeStackIR(saved.optimize);
    binaryen.setShrinkLevel(saved.shrink);
  }
}

function refused(label: string, reason: string, cause: unknown): WasmInstrumentationError {
  return new WasmInstrumentationError(
    `${label}: cannot be instrumented: ${reason}; load it without instrumentation, or with instrument.fallback 'plain'`,
    reason,
    cause === undefined ? undefined : { cause },
  );
}

/** What binaryen (or the walk) said, in a line: its own errors, stack exhaustion, aborts. */
function engineReason(error: unknown): string {
  if (error instanceof RangeError) return 'the module nests deeper than the engine can follow';
  const text =
    error instanceof Error ? error.message
    : typeof error === 'object' && error !== null && 'message' in error ? String((error as { message: unknown }).message)
    : String(error);
  return guestText(text.split('\n')[0]!.slice(0, 200));
}

/** binaryen internal function names → display names (name section, `func[N]`, `import:m.f`). */
function internalDisplayNames(originalNames: ReadonlyMap<number, string>): Map<string, string> {
  const names = new Map<string, string>();
  for (const [fn, display] of originalNames) names.set(binaryen.getFunctionInfo(fn).name, display);
  return names;
}

/** binaryen writes imported functions first, then defined ones, each in list order. */
function emittedFunctionNames(module: binaryen.Module, originalNames: ReadonlyMap<number, string>): string[] {
  const imports: string[] = [];
  const defined: string[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const fn = module.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(fn);
    const name = originalNames.get(fn) ?? (info.module ? `import:${info.module}.${info.base}` : info.name);
    (info.module ? imports : defined).push(name);
  }
  return [...imports, ...defined];
}


/**
 * The instrumentation engine: read a module with binaryen, apply the selected passes,
 * validate, emit. Behaviour of the guest never changes; it gains check points and counters.
 */
import binaryen from 'binaryen';
import { WasmInvalidError } from '../errors.js';
import { functionName, type ParsedModule } from '../wasm/wasm-binary.js';
import { HOST_FRAME } from './abi.js';
import { addDeclarations, RegionPass, type RegionPassOptions } from './region-pass.js';
import { AllocatorPass } from './allocator-pass.js';
import type { NormalizedInstrumentOptions } from './options.js';
import { UnsupportedFeatureError } from './expression-walker.js';
import { addMemoryHooks } from './memory-pass.js';
import { NODE20_FEATURE_NAMES, NODE20_FEATURES } from './features.js';
import { IrBuilder } from './ir-builder.js';

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
    module = binaryen.readBinary(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'binaryen parse error';
    throw new WasmInvalidError(`${label}: binaryen cannot read this module (${reason}), so it cannot be instrumented`, reason, undefined, { cause: error });
  }
  const ir = new IrBuilder(module);
  try {
    module.setFeatures(NODE20_FEATURES);
    const readMs = performance.now() - readStart;

    const passesStart = performance.now();
    const originalCount = module.getNumFunctions();
    const originalNames = new Map<number, string>(); // binaryen function pointer → display name
    for (let i = 0; i < originalCount; i++) originalNames.set(module.getFunctionByIndex(i), functionName(parsed, i));

    const budget = options.fuel || options.deadline;
    const importedFunctions = new Set<string>();
    let definedCount = 0;
    for (let i = 0; i < originalCount; i++) {
      const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
      if (info.module) importedFunctions.add(info.name);
      else definedCount++;
    }
    const passOptions: RegionPassOptions = {
      budget: options.fuel ? 'instructions' : options.deadline ? 'check-points' : 'none',
      counters: options.counters,
      hooks: options.hooks,
      ...(options.hooks ? { importedFunctions, hostProfileId: definedCount } : {}),
    };
    addDeclarations(module, passOptions);
    const pass = new RegionPass(module, ir, passOptions);
    const displayNames = internalDisplayNames(originalNames);
    const allocatorPass = options.allocator === false ? undefined : new AllocatorPass(module, ir, displayNames, options.allocator);
    const profiledFunctions: string[] = [];

    for (let i = 0; i < originalCount; i++) {
      const fn = module.getFunctionByIndex(i);
      if (binaryen.getFunctionInfo(fn).module) continue; // an import has no body
      try {
        // Counting first, hooks after: instruction counts are the same whatever else is on.
        pass.function(fn, profiledFunctions.length);
        allocatorPass?.function(fn, profiledFunctions.length);
      } catch (error) {
        if (error instanceof UnsupportedFeatureError) {
          throw new WasmInvalidError(
            `${label}: ${originalNames.get(fn)} uses ${error.feature} instructions, which the instrumentation engine cannot rewrite; ` +
              'load the module without instrumentation',
            error.message,
            undefined,
          );
        }
        throw error;
      }
      profiledFunctions.push(originalNames.get(fn)!);
    }
    // The host boundary's id follows the defined functions'.
    if (options.hooks) profiledFunctions.push(HOST_FRAME);
    if (options.memory) {
      try {
        addMemoryHooks(module, ir);
      } catch (error) {
        throw new WasmInvalidError(`${label}: ${(error as Error).message}; load it without memory hooks`, (error as Error).message, undefined);
      }
    }
    const passesMs = performance.now() - passesStart;

    const validateStart = performance.now();
    if (validate && !module.validate()) {
      throw new WasmInvalidError(
        `${label}: the module does not validate under the features Node 20 runs (${NODE20_FEATURE_NAMES.join(', ')}) once rewritten; ` +
          'it cannot be instrumented',
        'binaryen validation failed',
        undefined,
      );
    }
    const validateMs = performance.now() - validateStart;

    const emitStart = performance.now();
    const debugInfo = binaryen.getDebugInfo();
    binaryen.setDebugInfo(true); // keep the name section
    let out: Uint8Array;
    try {
      out = module.emitBinary();
    } finally {
      binaryen.setDebugInfo(debugInfo);
    }
    const emitMs = performance.now() - emitStart;

    return {
      bytes: out,
      functions: emittedFunctionNames(module, originalNames),
      options,
      budget,
      profiledFunctions,
      allocators: allocatorPass?.wrapped.map((internal) => displayNames.get(internal) ?? internal) ?? [],
      timings: { readMs, passesMs, validateMs, emitMs },
    };
  } finally {
    ir.dispose();
    module.dispose();
  }
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


/**
 * Runs one wast2json script through the host's public API under one configuration (plain, or
 * loaded with some instrumentation passes) and records, per command, an exact outcome text
 * and whether it meets the script's expectation. Nothing is mocked: modules are loaded with
 * `WasmHost.loadSync`, instantiated with `GuestModule.instantiate` (granting `spectest` and the
 * registered modules' exports), and functions are called through `Sandbox.call`, the checked
 * path (globals, which it does not serve, are read from `sandbox.instance.exports`).
 *
 * A command is skipped, with its reason, when the preparation set it aside, when its module is
 * a text module, when Node 20's V8 itself refuses its module (`new WebAssembly.Module`), when
 * a value it needs cannot cross the JS API exactly, or when its module was skipped. Those
 * decisions depend on the script and the engine only, so every configuration skips the same.
 */
import {
  WasmHost,
  WasmSandboxError,
  WasmTrapError,
  type GuestModule,
  type InstrumentOptions,
  type Sandbox,
  type SandboxOptions,
} from '../../src/index.js';
import type { ModuleAssertion, SpecAction, SpecCommand, SpecScript, SpecValue } from './spec-script.js';
import { isAssertion } from './spec-script.js';
import { ExternRefs, meets, notCarried, resultText, toArgument } from './spec-values.js';

export interface Configuration {
  readonly name: string;
  /** Load option; undefined loads the module as it is. */
  readonly instrument: InstrumentOptions | undefined;
  /** Sandbox limits the passes need to be exercised (large enough never to stop a spec test). */
  readonly sandbox: Pick<SandboxOptions, 'fuel' | 'timeoutMs'>;
}

const FUEL = 1e12;
const TIMEOUT_MS = 120_000;

export const CONFIGURATIONS: readonly Configuration[] = [
  { name: 'plain', instrument: undefined, sandbox: {} },
  { name: 'fuel', instrument: { fuel: true }, sandbox: { fuel: FUEL } },
  { name: 'deadline', instrument: { deadline: true }, sandbox: { timeoutMs: TIMEOUT_MS } },
  { name: 'counters', instrument: { counters: true }, sandbox: {} },
  { name: 'hooks', instrument: { hooks: true }, sandbox: {} },
  { name: 'memory', instrument: { memory: true }, sandbox: {} },
  { name: 'allocator', instrument: { allocator: true }, sandbox: {} },
  {
    name: 'all',
    instrument: { fuel: true, deadline: true, counters: true, hooks: true, memory: true, allocator: true },
    sandbox: { fuel: FUEL, timeoutMs: TIMEOUT_MS },
  },
];

/** What one command did under one configuration. */
export interface Step {
  readonly line: number;
  readonly type: string;
  readonly assertion: boolean;
  /** Why the command was not run; then `outcome` is empty. */
  readonly skip?: string;
  /** Exact, comparable across configurations: `ok`, `values:i32:1,f32:0x7fc00000`, `trap:out_of_bounds`, `error:ERR_WASM_INVALID`, … */
  readonly outcome: string;
  /** The error message or call, for reports only. */
  readonly detail?: string;
  /** Whether the outcome is what the script expects. */
  readonly meetsSpec: boolean;
  /** `export(args)` for reports. */
  readonly call?: string;
}

interface Skipped {
  readonly skipped: string;
}
type Instance = { readonly module: GuestModule; readonly sandbox: Sandbox } | Skipped;

// The spec's messages → the host's trap kinds (V8 words them differently; kinds are what the host promises).
const TRAP_KINDS: readonly (readonly [RegExp, string])[] = [
  [/^unreachable/, 'unreachable'],
  [/^integer divide by zero/, 'divide_by_zero'],
  [/^integer overflow/, 'integer_overflow'],
  [/^invalid conversion to integer/, 'invalid_conversion'],
  [/^out of bounds memory access/, 'out_of_bounds'],
  [/^(undefined element|out of bounds table access)/, 'table_out_of_bounds'],
  [/^(uninitialized element|indirect call type mismatch)/, 'indirect_call_mismatch'],
  [/^null (function )?reference/, 'null_reference'],
  [/^call stack exhausted/, 'stack_overflow'],
];

export function trapKindFor(message: string): string | undefined {
  return TRAP_KINDS.find(([pattern]) => pattern.test(message))?.[1];
}

/** The spectest module every script may import from (the spec interpreter's, JS API flavour). */
function spectest(): Record<string, unknown> {
  const print = (): void => undefined;
  return {
    print,
    print_i32: print,
    print_i64: print,
    print_f32: print,
    print_f64: print,
    print_i32_f32: print,
    print_f64_f64: print,
    global_i32: new WebAssembly.Global({ value: 'i32' }, 666),
    global_i64: new WebAssembly.Global({ value: 'i64' }, 666n),
    global_f32: new WebAssembly.Global({ value: 'f32' }, 666.6),
    global_f64: new WebAssembly.Global({ value: 'f64' }, 666.6),
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
}

// Node 20 has WebAssembly.Exception; the DOM lib this repo compiles against does not declare it.
const WasmException = (WebAssembly as unknown as { Exception?: abstract new (...args: never[]) => object }).Exception;

export function outcomeOf(error: unknown): { outcome: string; detail: string } {
  const detail = error instanceof Error ? error.message.slice(0, 300) : String(error);
  if (error instanceof WasmTrapError) return { outcome: `trap:${error.kind}`, detail };
  if (error instanceof WasmSandboxError) return { outcome: `error:${error.code}`, detail };
  if (WasmException !== undefined && error instanceof WasmException) return { outcome: 'exception', detail: 'a WebAssembly.Exception' };
  return { outcome: `error:${error instanceof Error ? error.name : typeof error}`, detail };
}

/** Why V8 itself will not compile these bytes (then Node 20 does not run the module), or undefined. */
function v8Refuses(bytes: Uint8Array): string | undefined {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^WebAssembly\.Module\(\): /, '') : String(error);
  }
}

const isSkipped = (instance: Instance | undefined): instance is Skipped => instance !== undefined && 'skipped' in instance;

/** Instances created by all runners so far (see `collectWasmMemory`). */
export let instancesCreated = 0;

export class SpecRunner {
  private readonly host = new WasmHost({ instrumentCacheDir: false, memoryLimitPages: 65536 });
  private readonly externs = new ExternRefs();
  private readonly instances = new Map<string, Instance>();
  private readonly registered = new Map<string, WebAssembly.Exports | Skipped>();
  private readonly spectest = spectest();
  private current: Instance | undefined;

  constructor(
    private readonly script: SpecScript,
    private readonly config: Configuration,
  ) {}

  run(): Step[] {
    return this.script.commands.map((command) => this.step(command));
  }

  private step(command: SpecCommand): Step {
    const base = { line: command.line, type: command.type, assertion: isAssertion(command.type) };
    const skip = (reason: string): Step => ({ ...base, skip: reason, outcome: '', meetsSpec: false });
    if (command.spec_suite_skipped !== undefined) {
      if (command.type === 'module') this.define(command as { name?: string }, { skipped: command.spec_suite_skipped });
      return skip(command.spec_suite_skipped);
    }
    switch (command.type) {
      case 'module': {
        const c = command as Extract<SpecCommand, { type: 'module' }>;
        const made = this.make(this.script.read(c.filename));
        if ('skipped' in made) {
          this.define(c, { skipped: made.skipped });
          return skip(made.skipped);
        }
        if ('error' in made) {
          this.define(c, { skipped: `its module did not load under ${this.config.name}` });
          return { ...base, ...made.error, meetsSpec: false };
        }
        this.define(c, made.instance);
        return { ...base, outcome: 'ok', meetsSpec: true };
      }
      case 'register': {
        const c = command as Extract<SpecCommand, { type: 'register' }>;
        const target = c.name === undefined ? this.current : this.instances.get(c.name);
        if (target === undefined) return { ...base, outcome: 'error:no-module', meetsSpec: false };
        this.registered.set(c.as, isSkipped(target) ? target : target.sandbox.instance.exports);
        return isSkipped(target) ? skip(target.skipped) : { ...base, outcome: 'ok', meetsSpec: true };
      }
      case 'action':
      case 'assert_return':
      case 'assert_trap':
      case 'assert_exhaustion':
      case 'assert_exception': {
        const c = command as { action: SpecAction; expected?: readonly SpecValue[]; text?: string };
        const result = this.perform(c.action, c.expected ?? []);
        if ('skip' in result) return skip(result.skip);
        return { ...base, ...result, meetsSpec: this.expectation(command.type, result.outcome, c.expected ?? [], c.text ?? '') };
      }
      case 'assert_invalid':
      case 'assert_malformed':
      case 'assert_unlinkable':
      case 'assert_uninstantiable': {
        const c = command as ModuleAssertion;
        if (c.module_type !== 'binary') return skip('text module (the harness runs binary modules only)');
        const bytes = this.script.read(c.filename);
        if (command.type === 'assert_invalid' || command.type === 'assert_malformed') {
          const loaded = this.load(bytes);
          const outcome = 'error' in loaded ? loaded.error : { outcome: 'ok' };
          return { ...base, ...outcome, meetsSpec: outcome.outcome === 'error:ERR_WASM_INVALID' };
        }
        const made = this.make(bytes);
        if ('skipped' in made) return skip(made.skipped);
        const outcome = 'error' in made ? made.error : { outcome: 'ok' };
        const meetsSpec = command.type === 'assert_unlinkable' ? outcome.outcome === 'error:ERR_WASM_IMPORT' : outcome.outcome.startsWith('trap:');
        return { ...base, ...outcome, meetsSpec };
      }
      default:
        return skip(`command ${command.type} is not modelled by the harness`);
    }
  }

  private define(command: { name?: string }, instance: Instance): void {
    this.current = instance;
    if (command.name !== undefined) this.instances.set(command.name, instance);
  }

  private load(bytes: Uint8Array): { module: GuestModule } | { error: { outcome: string; detail: string } } {
    try {
      return { module: this.host.loadSync(bytes, { instrument: this.config.instrument, label: this.script.name }) };
    } catch (error) {
      return { error: outcomeOf(error) };
    }
  }

  /** Loads and instantiates, or says why the module is skipped, or what went wrong. */
  private make(bytes: Uint8Array): { instance: Instance & { sandbox: Sandbox } } | Skipped | { error: { outcome: string; detail: string } } {
    const loaded = this.load(bytes);
    if ('error' in loaded) {
      const refused = v8Refuses(bytes);
      return refused === undefined ? loaded : { skipped: `Node 20's V8 does not compile it: ${refused}` };
    }
    const module = loaded.module;
    const imports: Record<string, Record<string, unknown>> = { spectest: this.spectest };
    for (const { module: from } of module.inspect().imports) {
      const exports = this.registered.get(from);
      if (exports !== undefined && 'skipped' in exports) return { skipped: `it imports from "${from}", which was skipped` };
      if (exports !== undefined) imports[from] = exports as Record<string, unknown>;
    }
    try {
      instancesCreated++;
      return { instance: { module, sandbox: module.instantiate({ imports, allowBlockingWaits: true, ...this.config.sandbox }) } };
    } catch (error) {
      return { error: outcomeOf(error) };
    }
  }

  private perform(action: SpecAction, expected: readonly SpecValue[]): { skip: string } | { outcome: string; detail?: string; call: string } {
    const target = action.module === undefined ? this.current : this.instances.get(action.module);
    if (target === undefined) return { outcome: 'error:no-module', call: action.field };
    if (isSkipped(target)) return { skip: `its module was skipped (${target.skipped})` };
    const args = action.args ?? [];
    for (const value of [...args, ...expected]) {
      const why = notCarried(value);
      if (why !== undefined) return { skip: why };
    }
    const call = `${action.field}(${args.map((a) => `${a.type}:${String(a.value)}`).join(', ')})`;
    const info = target.module.inspect().exports.find((e) => e.name === action.field);
    if (action.type === 'get') {
      const global = target.sandbox.instance.exports[action.field];
      if (!(global instanceof WebAssembly.Global) || info === undefined) return { outcome: 'error:no-global', call };
      const type = info.type.split(' ').pop() ?? '?';
      if (type === 'v128') return { skip: 'v128 values cannot cross the JS API' };
      return { outcome: `values:${resultText(type, global.value, this.externs)}`, call };
    }
    const signature = info?.signature;
    if (signature !== undefined) {
      const unsupported = [...signature.params, ...signature.results].find((t) => t === 'v128' || t === 'ref');
      if (unsupported !== undefined) return { skip: `${unsupported} values cannot cross the JS API` };
    }
    try {
      const value = target.sandbox.call(action.field, ...args.map((a) => toArgument(a, this.externs)));
      const results = signature?.results ?? [];
      const values = results.length === 1 ? [value] : results.length === 0 ? [] : Array.from(value as Iterable<unknown>);
      return { outcome: `values:${values.map((v, i) => resultText(results[i]!, v, this.externs)).join(',')}`, call };
    } catch (error) {
      return { ...outcomeOf(error), call };
    }
  }

  private expectation(type: string, outcome: string, expected: readonly SpecValue[], text: string): boolean {
    switch (type) {
      case 'action':
        return outcome.startsWith('values:');
      case 'assert_return': {
        if (!outcome.startsWith('values:')) return false;
        const results = outcome === 'values:' ? [] : outcome.slice('values:'.length).split(',');
        return results.length === expected.length && results.every((r, i) => meets(r, expected[i]!));
      }
      case 'assert_trap': {
        const kind = trapKindFor(text);
        // V8 says "float unrepresentable in integer range" for every failed truncation, which
        // the host reports as invalid_conversion; the spec calls an out-of-range one an overflow.
        if (kind === 'integer_overflow' && outcome === 'trap:invalid_conversion') return true;
        return kind === undefined ? outcome.startsWith('trap:') : outcome === `trap:${kind}`;
      }
      case 'assert_exhaustion':
        return outcome === 'trap:stack_overflow';
      case 'assert_exception':
        return outcome === 'exception';
      default:
        return false;
    }
  }
}

/**
 * One instance of a guest module and the calls into it. Every call is counted and
 * classified; latency is timed per the recorder's policy (see profiler/build/call-recorder.ts).
 */
import { performance } from 'node:perf_hooks';
import {
  DeadlineExceededError,
  GuestAbortError,
  ImportNotGrantedError,
  InvalidOptionError,
  OutOfFuelError,
  SandboxDiscardedError,
  WasmArgumentError,
  WasmMemoryLimitError,
  WasmSandboxError,
  type WasmTrapError,
} from '../errors.js';
import type { CallRecorder } from '../profiler/build/call-recorder.js';
import type { BudgetMeter } from './budget-meter.js';
import type { VmDeadline } from './vm-deadline.js';
import { ALLOCATOR_DEPTH_GLOBALS, CALLS_PREFIX, ENTRY_INSTRUCTIONS_PREFIX, INSTRUCTIONS_PREFIX } from '../instrument/abi.js';
import type { ModuleProfile } from '../profiler/model/module-profile.js';
import { checkArguments } from './arguments.js';
import type { CallBoundaryHooks, ExportTarget, FunctionHooks, GuestModule } from './guest-module.js';
import { guestExceptionError, isWasmException } from './guest-exception.js';
import { trapError, trapKindOf } from './traps.js';
import { assemblyScriptRuntime } from './assemblyscript-runtime.js';
import { makeTypedCall, type TypedSignature, type AssemblyScriptHelpers } from './typed-call.js';

type RawExport = (...args: unknown[]) => unknown;

/** A hot numeric call: arguments go straight to the export; see `Sandbox.fn`. */
export type FastCall = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One function's counters inside an instance. */
export interface FunctionCounter {
  readonly name: string;
  /** The id entry/exit hooks report for this function. */
  readonly profileId: number;
  readonly calls: number;
  /** Instructions executed in this function's own body (not its callees'). */
  readonly instructions: number;
}

/** Everything measured about one call, for `callWithMetrics`. */
export interface CallMetrics {
  readonly export: string;
  readonly outcome: 'ok' | string;
  readonly latencyNs: number;
  readonly memoryBytesBefore: number;
  readonly memoryBytesAfter: number;
  readonly memoryGrew: boolean;
  /** Instructions executed (fuel-instrumented modules only): the same on every run for the same input. */
  readonly instructions: number | undefined;
}

export interface CallReport<T> {
  readonly value: T | undefined;
  readonly error: WasmSandboxError | Error | undefined;
  readonly metrics: CallMetrics;
}

/** Per-export state the call wrappers close over: resolved once per sandbox, reused by every call. */
interface ExportPlan extends ExportTarget {
  readonly raw: RawExport;
  fast: FastCall | undefined;
}

const NO_MEMORY = new ArrayBuffer(1);

/** `raw` with its boundaries reported (innermost, so limits and metrics wrap the observed call). */
function observedCall(raw: RawExport, name: string, hooks: CallBoundaryHooks): RawExport {
  return (...args: unknown[]): unknown => {
    hooks.begin(name);
    try {
      return raw(...args);
    } finally {
      hooks.end(name);
    }
  };
}

export class Sandbox {
  /** The export called last, and the others' plans (made on a second export only: most sandboxes call one). */
  private lastPlan: ExportPlan | undefined;
  private plans: Map<string, ExportPlan> | undefined;
  /** The guest memory's buffer as last seen: growth detaches it (byteLength becomes 0). */
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private closed = false;

  /** Why this sandbox's instance was discarded (it ran out of fuel or time), if it was. */
  discardedBy: OutOfFuelError | DeadlineExceededError | undefined;

  /** @internal created by GuestModule.instantiate */
  constructor(
    readonly module: GuestModule,
    /** The instance as compiled: with a rewritten module, it also exports the host's own globals. */
    private readonly raw: WebAssembly.Instance,
    private readonly memory: WebAssembly.Memory | undefined,
    private readonly meter: BudgetMeter | undefined,
    private readonly vmDeadline: VmDeadline | undefined = undefined,
    private readonly hooks: Pick<FunctionHooks, 'unwound'> | undefined = undefined,
    private readonly callHooks: CallBoundaryHooks | undefined = undefined,
  ) {
    this.buffer = memory?.buffer ?? NO_MEMORY;
    module.observeMemory(this.memoryBytes);
  }

  private view: WebAssembly.Instance | undefined;
  private helpers: AssemblyScriptHelpers | undefined;

  /** AssemblyScript's values in this instance's memory, built on the first typed call. */
  private runtime(): AssemblyScriptHelpers | undefined {
    if (this.helpers === undefined && this.module.inspect().assemblyScriptRuntime) this.helpers = assemblyScriptRuntime(this.raw.exports, this.module.label);
    return this.helpers;
  }

  /**
   * The instance as the guest's glue code should see it: exactly the module's own exports
   * (the host's reserved counters and budget global, added by instrumentation, are hidden).
   * Hand this to emscripten's `instantiateWasm`, wasm-bindgen's init or Go's runtime.
   */
  get instance(): WebAssembly.Instance {
    if (this.view !== undefined) return this.view;
    if (this.module.instrumentation === undefined) return (this.view = this.raw);
    const exports: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    // Exactly the exports of the module as given (inspection describes the original), in its order.
    for (const { name } of this.module.inspect().exports) exports[name] = this.raw.exports[name];
    this.view = Object.freeze(
      Object.create(WebAssembly.Instance.prototype, { exports: { value: Object.freeze(exports), enumerable: true } }) as WebAssembly.Instance,
    );
    return this.view;
  }

  /** @internal the instance as compiled (the sampling profiler finds the module's code through it) */
  get compiledInstance(): WebAssembly.Instance {
    return this.raw;
  }

  /** Instructions this instance has executed so far (fuel-instrumented modules), for the profiler's clock. */
  instructionsExecuted(): number {
    if (this.meter === undefined || this.module.instrumentation?.options.fuel !== true) {
      throw new InvalidOptionError(`${this.module.label}: instruction counts need the module loaded with { instrument: { fuel: true } }`);
    }
    return this.meter.now();
  }

  /** Instructions the last call executed (from the fuel counter); undefined without fuel instrumentation. */
  get lastCallInstructions(): number | undefined {
    return this.meter === undefined || this.module.instrumentation?.options.fuel !== true ? undefined : this.meter.consumed;
  }

  /** Current guest memory size in bytes (0 when the module has no memory). */
  get memoryBytes(): number {
    return this.memory === undefined ? 0 : this.memory.buffer.byteLength;
  }

  /** The guest's memory object, for callers that exchange data through it. */
  get guestMemory(): WebAssembly.Memory | undefined {
    return this.memory;
  }

  /** Calls an export with checked arguments: count and wasm type of each (i64 as BigInt). */
  call(name: string, ...args: unknown[]): unknown {
    const plan = this.plan(name);
    checkArguments(plan.where, plan.signature.params, args);
    return this.fastFor(plan)(...args);
  }

  /**
   * A function for hot numeric calls to `name`: no argument checks beyond V8's own
   * conversions (wrong types become ERR_WASM_ARGUMENT only where V8 refuses them, e.g.
   * a Number for an i64), no per-call allocation, metrics still recorded.
   */
  fn(name: string): FastCall {
    return this.fastFor(this.plan(name));
  }

  /**
   * A function converting AssemblyScript values (strings, typed arrays, arrays) in and out
   * AssemblyScript's runtime (assemblyscript-runtime.ts). The guest must export it (`--exportRuntime`).
   */
  typed<R = unknown>(name: string, signature: TypedSignature): (...args: unknown[]) => R {
    // The same export and signature object give the same function: a pool worker asks per call
    // (its decoded signatures are interned), and making the converters costs more than a small call.
    let byExport = this.typedCalls?.get(name);
    const known = byExport?.get(signature);
    if (known !== undefined) return known as (...args: unknown[]) => R;
    const plan = this.plan(name);
    const made = makeTypedCall<R>(
      plan.where, this.module.label, signature, plan.signature, this.runtime(), this.raw.exports, this.fastFor(plan), plan.recorder,
      (error) => this.classify(plan, error),
    );
    if (byExport === undefined) (this.typedCalls ??= new Map()).set(name, (byExport = new WeakMap()));
    byExport.set(signature, made);
    return made;
  }

  private typedCalls: Map<string, WeakMap<TypedSignature, (...args: unknown[]) => unknown>> | undefined;

  /** Calls an export with checked arguments and returns its value or error with this call's metrics. */
  callWithMetrics<T = unknown>(name: string, ...args: unknown[]): CallReport<T> {
    const plan = this.plan(name);
    checkArguments(plan.where, plan.signature.params, args);
    plan.recorder.countdown = 1; // this call is always timed
    const fast = this.fastFor(plan);
    const before = this.memoryBytes;
    let value: T | undefined;
    let error: Error | undefined;
    try {
      value = fast(...args) as T;
    } catch (caught) {
      error = caught as Error;
    }
    // The latency the recorder measured around the guest call itself.
    const latencyNs = plan.recorder.lastNs;
    const after = this.memoryBytes;
    const outcome = error === undefined ? 'ok' : ((error as Partial<WasmSandboxError>).code ?? error.name);
    return {
      value,
      error,
      metrics: {
        export: name,
        outcome,
        latencyNs,
        memoryBytesBefore: before,
        memoryBytesAfter: after,
        memoryGrew: after > before,
        instructions: this.lastCallInstructions,
      },
    };
  }

  /**
   * Per-function calls and instructions counted inside this instance since it was created
   * (modules loaded with `instrument: { counters: true }`), functions that ran only.
   */
  functionCounters(): FunctionCounter[] {
    const names = this.module.instrumentation?.profiledFunctions;
    if (names === undefined || this.module.instrumentation?.options.counters !== true) {
      throw new InvalidOptionError(`${this.module.label}: function counters need the module loaded with { instrument: { counters: true } }`);
    }
    const exports = this.raw.exports;
    const counters: FunctionCounter[] = [];
    names.forEach((name, id) => {
      const global = exports[`${CALLS_PREFIX}${id}`];
      if (!(global instanceof WebAssembly.Global)) return; // the host boundary has no counters
      const calls = global.value as bigint;
      if (calls === 0n) return;
      const counted = (exports[`${INSTRUCTIONS_PREFIX}${id}`] as WebAssembly.Global).value as bigint;
      const entry = (exports[`${ENTRY_INSTRUCTIONS_PREFIX}${id}`] as WebAssembly.Global).value as bigint;
      counters.push({ name, profileId: id, calls: Number(calls), instructions: Number(counted + calls * entry) });
    });
    return counters;
  }

  /** The module's profile (shared by all its sandboxes). */
  profile(): ModuleProfile {
    return this.module.profile();
  }

  /** Drops this sandbox's hold on its instance: exports not yet used fail with ERR_WASM_ARGUMENT. */
  close(): void {
    this.closed = true;
    this.lastPlan = undefined;
    this.plans = undefined;
  }

  private plan(name: string): ExportPlan {
    const last = this.lastPlan;
    if (last !== undefined && last.name === name) return last;
    const found = this.plans?.get(name);
    if (found !== undefined) return (this.lastPlan = found);
    if (this.closed) throw new WasmArgumentError(`${this.module.label}: this sandbox was closed; create a new one`);
    const target = this.module.exportTarget(name);
    const exported = this.raw.exports[name] as RawExport;
    const raw = this.callHooks === undefined ? exported : observedCall(exported, name, this.callHooks);
    const plan: ExportPlan = {
      name,
      signature: target.signature,
      recorder: target.recorder,
      where: target.where,
      raw:
        this.meter !== undefined
          ? this.budgeted(raw, target.recorder, this.meter, target.where)
          : this.vmDeadline !== undefined
            ? this.terminable(raw, this.vmDeadline, target.where)
            : raw,
      fast: undefined,
    };
    if (last !== undefined) (this.plans ??= new Map([[last.name, last]])).set(name, plan);
    return (this.lastPlan = plan);
  }

  /** Each call under V8 termination (modules that could not be rewritten). */
  private terminable(raw: RawExport, deadline: VmDeadline, where: string): RawExport {
    return (...args: unknown[]): unknown => {
      this.throwIfDiscarded();
      try {
        return deadline.call(raw, args, where);
      } catch (error) {
        if (error instanceof DeadlineExceededError) this.discardedBy = error;
        throw error;
      }
    };
  }

  private throwIfDiscarded(): void {
    if (this.discardedBy !== undefined) {
      throw new SandboxDiscardedError(
        `${this.module.label}: this sandbox was discarded after ${this.discardedBy.code}; create a new sandbox`,
        { cause: this.discardedBy },
      );
    }
  }

  /** Arms fuel and deadline around each call and accounts the instructions it executed. */
  private budgeted(raw: RawExport, recorder: CallRecorder, meter: BudgetMeter, where: string): RawExport {
    const countsFuel = this.module.instrumentation?.options.fuel === true;
    return (...args: unknown[]): unknown => {
      this.throwIfDiscarded();
      meter.begin(where);
      try {
        return raw(...args);
      } catch (error) {
        if (error instanceof OutOfFuelError || error instanceof DeadlineExceededError) this.discardedBy = error;
        throw error;
      } finally {
        const spent = meter.end();
        if (countsFuel) recorder.countInstructions(spent);
      }
    };
  }

  private fastFor(plan: ExportPlan): FastCall {
    if (plan.fast !== undefined) return plan.fast;
    const { raw, recorder } = plan;
    // Up to six parameters go through one fixed-arity closure (V8 ignores surplus arguments
    // to wasm exports); wider exports take the rest-parameter path.
    if (plan.signature.params.length <= 6) {
      plan.fast = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown): unknown => {
        if (recorder.countdown > 1) {
          recorder.countdown--;
          let result: unknown;
          try {
            result = raw(a, b, c, d, e, f);
          } catch (error) {
            throw this.failed(plan, error, -1, -1);
          }
          recorder.calls++;
          if (this.buffer.byteLength === 0) this.memoryMoved(recorder);
          return result;
        }
        return this.timedCall(plan, a, b, c, d, e, f);
      };
    } else {
      plan.fast = (...args: unknown[]): unknown => this.timedOrCounted(plan, args);
    }
    return plan.fast;
  }

  private timedOrCounted(plan: ExportPlan, args: unknown[]): unknown {
    const recorder = plan.recorder;
    if (recorder.countdown > 1) {
      recorder.countdown--;
      let result: unknown;
      try {
        result = plan.raw(...args);
      } catch (error) {
        throw this.failed(plan, error, -1, -1);
      }
      recorder.calls++;
      if (this.buffer.byteLength === 0) this.memoryMoved(recorder);
      return result;
    }
    return this.timedCall(plan, undefined, undefined, undefined, undefined, undefined, undefined, args);
  }

  /** A timed call: six positional arguments, or `wide` for exports with more parameters. */
  private timedCall(plan: ExportPlan, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, wide?: unknown[]): unknown {
    const before = this.buffer.byteLength;
    const start = performance.now();
    let result: unknown;
    try {
      result = wide === undefined ? plan.raw(a, b, c, d, e, f) : plan.raw(...wide);
    } catch (error) {
      throw this.failed(plan, error, start, performance.now());
    }
    const end = performance.now();
    plan.recorder.timed(start, end);
    if (this.buffer.byteLength === 0 || this.buffer.byteLength !== before) this.memoryMoved(plan.recorder);
    else plan.recorder.memoryChanged(before, before);
    this.module.firstCall(plan.name, end - start);
    return result;
  }

  private memoryMoved(recorder: CallRecorder): void {
    if (this.memory === undefined) return;
    const before = this.buffer.byteLength;
    this.buffer = this.memory.buffer;
    const after = this.buffer.byteLength;
    // A detached buffer reads 0: the size before growth is the recorder's last known size.
    recorder.memoryChanged(before === 0 ? this.module.lastKnownMemory : before, after);
    this.module.observeMemory(after);
  }

  /** Classifies a failed call, records it, and returns the error to throw. */
  private failed(plan: ExportPlan, error: unknown, start: number, end: number): Error {
    if (this.buffer.byteLength === 0) this.memoryMoved(plan.recorder);
    // A trap unwinds guest frames without exit hooks: tell the hook consumer at the boundary.
    this.hooks?.unwound?.();
    if (this.module.instrumentation?.allocators.length) this.resetAllocatorDepth();
    const typed = this.classify(plan, error);
    const code = typed instanceof WasmSandboxError ? typed.code : 'ERR_HOST_IMPORT_THREW';
    if (start >= 0) {
      plan.recorder.failure(code, start, end);
      this.module.firstCall(plan.name, end - start);
    } else {
      plan.recorder.failure(code);
    }
    return typed;
  }

  /** A trap inside an allocator leaves its nesting depth raised: the next call starts at the top again. */
  private resetAllocatorDepth(): void {
    for (const name of Object.values(ALLOCATOR_DEPTH_GLOBALS)) {
      const global = this.raw.exports[name];
      if (global instanceof WebAssembly.Global) global.value = 0;
    }
  }

  private classify(plan: ExportPlan, error: unknown): Error {
    // The abort and not-granted stand-ins know the module, not the export: say which call it was.
    const label = this.module.label;
    if (
      (error instanceof GuestAbortError && error.message.startsWith(`${label}: `) && !error.message.startsWith(plan.where)) ||
      (error instanceof ImportNotGrantedError && error.message.startsWith(`${label} called `))
    ) {
      error.message = `${plan.where}${error.message.slice(label.length)}`;
    }
    if (error instanceof WasmSandboxError) return error;
    const kind = trapKindOf(error);
    if (kind !== undefined) {
      const trap: WasmTrapError = trapError(error as Error, kind, this.module.label, plan.name, (i) => this.module.functionName(i));
      const limitBytes = this.module.memoryLimitPages * 65536;
      if (kind === 'unreachable' && this.memory !== undefined && this.memory.buffer.byteLength >= limitBytes) {
        // AssemblyScript's and most C allocators trap this way when memory.grow fails.
        return new WasmMemoryLimitError(
          `${this.module.label}: ${plan.name}() trapped with guest memory at the limit of ${this.module.memoryLimitPages} pages ` +
            `(an allocation most likely failed); raise memoryLimitPages or give the guest less data`,
          this.module.memoryLimitPages,
          undefined,
          { cause: trap },
        );
      }
      return trap;
    }
    if (isWasmException(error)) return guestExceptionError(error, plan.where, this.raw.exports);
    if (error instanceof TypeError && !(error.stack ?? '').includes('wasm://')) {
      return new WasmArgumentError(`${plan.where}: ${error.message}`, { cause: error });
    }
    // An error thrown by a host function the caller granted: the caller's own error, unchanged.
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * A loaded, compiled guest module: what it is (inspection), how it loaded (cold start),
 * how its exports have been called (one recorder per export, shared by its sandboxes),
 * and the factory for sandboxes.
 */
import { performance } from 'node:perf_hooks';
import { BlockingWaitError, GuestAbortError, InvalidOptionError, WasmTableLimitError, type WasmInstrumentationError, WasmExportNotFoundError, WasmMemoryLimitError, WasmSandboxError } from '../errors.js';
import { CallRecorder, type TimingPolicy } from '../profiler/build/call-recorder.js';
import { functionStats, mergeCallTrees, type CallTree } from '../profiler/model/call-tree.js';
import { MODULE_PROFILE_SCHEMA, type ColdStart, type ModuleProfile } from '../profiler/model/module-profile.js';
import type { AllocationReport } from '../profiler/model/allocation-report.js';
import { assemblyScriptEnv, type TraceLogger } from './assemblyscript.js';
import { BudgetMeter } from './budget-meter.js';
import { VmDeadline } from './vm-deadline.js';
import type { Instrumentation } from './host.js';
import {
  ALLOCATION_KINDS,
  ALLOCATOR_IMPORT,
  BUDGET_GLOBAL,
  BUDGET_IMPORT,
  HOOK_IMPORTS,
  MEMORY_HOOKS,
  RESERVED_PREFIX,
  type AllocationKind,
} from '../instrument/abi.js';
import { buildImportObject, checkUnknownImports, linkErrorToTyped, type GrantedImports, type UnknownImports } from './imports.js';
import type { ModuleInfo } from './inspect.js';
import type { CacheReport } from '../profiler/model/cache-report.js';
import type { ModuleCacheStats } from './module-cache.js';
import { guestExceptionError, isWasmException } from './guest-exception.js';
import { Sandbox } from './sandbox.js';
import { DeferredEntries } from './deferred-entries.js';
import { trapError, trapKindOf } from './traps.js';
import { functionName, type FunctionType, type ParsedModule } from '../wasm/wasm-binary.js';

/** An export as every sandbox of a module calls it. */
export interface ExportTarget {
  readonly name: string;
  readonly signature: FunctionType;
  readonly recorder: CallRecorder;
  /** `module.wasm: name()`, for messages. */
  readonly where: string;
}

export interface SandboxOptions {
  /** Imports granted to the guest, by module and field. Nothing else is reachable. @default {} */
  readonly imports?: GrantedImports;
  /**
   * A function import that was not granted: `'refuse'` the module (ERR_WASM_IMPORT), or `'trap'`:
   * link a stand-in that throws ERR_IMPORT_NOT_GRANTED if the guest calls it. @default 'refuse'
   */
  readonly unknownImports?: UnknownImports;
  /** Seed for the guest's `Math.random` (AssemblyScript `env.seed`); random when unset. */
  readonly seed?: number;
  /** Receives AssemblyScript `trace()` calls. @default the host's logger */
  readonly trace?: TraceLogger;
  /**
   * Instructions each call (and the instantiation) may execute before it fails with
   * ERR_OUT_OF_FUEL. Needs a module loaded with `instrument: { fuel: true }`.
   */
  readonly fuel?: number;
  /**
   * Milliseconds each call (and the instantiation, start function included) may run before it
   * fails with ERR_DEADLINE_EXCEEDED. Needs `instrument: { deadline: true }` (or `fuel`).
   */
  readonly timeoutMs?: number;
  /**
   * A flag another thread (or a callback) may set: element 0 non-zero stops the guest at its
   * next check point with ERR_DEADLINE_EXCEEDED. Use an Int32Array over a SharedArrayBuffer to
   * set it from another thread. Needs a deadline-instrumented module.
   */
  readonly interrupt?: Int32Array;
  /**
   * Called on every function entry and exit of a module loaded with `instrument: { hooks: true }`,
   * with the function's profile id (`module.instrumentation.profiledFunctions[id]` is its name).
   * A trap unwinds without exit calls: resynchronise at the call boundary. @default no-ops
   */
  readonly hooks?: FunctionHooks;
  /** Receives every load and store (modules loaded with memory hooks). @default ignored */
  readonly memoryHooks?: MemoryHooks;
  /**
   * Functions used as the hook imports themselves, with no JavaScript wrapper: typically a
   * recorder's wasm exports (`assembly/recorders/`), so the guest calls wasm to wasm and no
   * JavaScript runs per event. Each replaces the matching `hooks` / `memoryHooks` callback.
   */
  readonly linkedHooks?: LinkedHooks;
  /** Receives every allocator call (modules loaded with allocator hooks). @default ignored */
  readonly allocationHook?: AllocationHook;
  /**
   * Told when each call through the sandbox begins and ends (however it ends), for profilers
   * that number calls. Costs nothing when unset. @default none
   */
  readonly callHooks?: CallBoundaryHooks;
  /**
   * @internal A wasm function linked as the allocator hook import itself (the allocation
   * recorder's `alloc`): events never reach JavaScript. Takes precedence over `allocationHook`.
   */
  readonly allocationImport?: WebAssembly.ExportValue;
  /**
   * Instantiate a module with a shared memory on this thread anyway. Such a module may
   * `memory.atomic.wait`, which blocks the thread where no deadline can stop it, so in-process
   * sandboxes refuse it (ERR_BLOCKING_WAIT) unless this is set; a worker pool runs it safely
   * (its workers can be terminated). @default false
   */
  readonly allowBlockingWaits?: boolean;
}

export interface FunctionHooks {
  /** `counter`: the guest's fuel counter at the event (counts down between refills; 0 without fuel or deadlines). */
  enter(profileId: number, counter: number): void;
  exit(profileId: number, counter: number): void;
  /**
   * A call into the guest ended by an exception (trap, abort, fuel, deadline, a throwing
   * import): frames entered since the call began unwound without exit events. Called once,
   * at the call boundary, before the error reaches the caller.
   */
  unwound?(): void;
}

/** Call boundaries: `begin` before the guest runs, `end` after it returned or threw. */
export interface CallBoundaryHooks {
  begin(exportName: string): void;
  end(exportName: string): void;
}

/** Guest memory traffic, for modules loaded with `instrument: { memory: true }`. */
export interface MemoryHooks {
  load(address: number, bytes: number): void;
  store(address: number, bytes: number): void;
  /** memory.grow by `deltaPages`; `result` is the old size in pages, or -1 when refused. */
  grow?(deltaPages: number, result: number): void;
}

/**
 * @internal Hook imports handed to the guest unwrapped (abi.ts signatures): exported functions
 * of a recorder instance, so that each event is a wasm-to-wasm call (host/profiling/). Each
 * replaces the matching `hooks` / `memoryHooks` callback.
 */
export interface LinkedHooks {
  /** `enter(profileId: i32, counter: i32)`, `exit(profileId: i32, counter: i32)` */
  readonly enter?: WebAssembly.ExportValue;
  readonly exit?: WebAssembly.ExportValue;
  /**
   * `load(bytes: i32, offset: i32, pointer: i32) -> i32`, `store(…)` and
   * `run(class: i32, count: f64, second: f64)`: abi.ts MEMORY_HOOKS. A consumer that returns
   * non-zero (lets the guest coalesce) opens the path with `attached`.
   */
  readonly load?: WebAssembly.ExportValue;
  readonly store?: WebAssembly.ExportValue;
  readonly run?: WebAssembly.ExportValue;
  /** Called once the instance exists (its start function has run), with its exports. */
  attached?(exports: WebAssembly.Exports): void;
  /**
   * Defer entries (abi.ts HOOK_GLOBALS) once the instance exists: only for a consumer whose
   * clock is the counter, as a deferred entry is reported later with the counter it was made at.
   */
  readonly deferEntries?: boolean;
  /**
   * A mutable f64 global the fuel meter keeps at what it handed out so far (the instruction
   * clock is this minus the counter); with deferred entries, the meter reports a pending one
   * before it moves the base.
   */
  readonly clockBase?: WebAssembly.Global;
  /** A trap unwound the guest without exit calls: resynchronise the recorder at the call boundary. */
  unwound?(): void;
}

/**
 * An allocator call, for modules loaded with `instrument: { allocator: … }`. By kind:
 * malloc(size) → first = size; calloc(n, size) → first = n, second = size; realloc(old, size)
 * and renew(old, size) → first = old pointer, second = size; new(size, classId) → first = size,
 * second = AssemblyScript class id; free(pointer) → first = pointer, result 0.
 * `callerId` is the profile id of the calling function (`instrumentation.profiledFunctions`);
 * `memoryPages` the guest memory's size in 64 KiB pages as the allocator returned (0 without one).
 */
export type AllocationHook = (kind: AllocationKind, callerId: number, first: number, second: number, result: number, memoryPages: number) => void;

const NO_SANDBOX_OPTIONS: SandboxOptions = Object.freeze({});
const NO_IMPORTS: WebAssembly.Imports = Object.freeze(Object.create(null) as WebAssembly.Imports);

const NO_HOOKS: FunctionHooks = { enter: () => undefined, exit: () => undefined };

/**
 * The imports the memory pass calls: addresses and sizes go to `hooks`, values never leave the
 * guest. Returning 0 keeps the guest from coalescing (abi.ts MEMORY_HOOKS): JavaScript sees
 * every access.
 */
function memoryHookImports(hooks: MemoryHooks | undefined): Record<string, WebAssembly.ImportValue> {
  let delta = 0;
  return {
    [MEMORY_HOOKS.load]: (bytes: number, offset: number, pointer: number) => {
      hooks?.load((pointer >>> 0) + (offset >>> 0), bytes >>> 0);
      return 0;
    },
    [MEMORY_HOOKS.store]: (bytes: number, offset: number, pointer: number) => {
      hooks?.store((pointer >>> 0) + (offset >>> 0), bytes >>> 0);
      return 0;
    },
    [MEMORY_HOOKS.run]: () => undefined,
    [MEMORY_HOOKS.growBefore]: (pages: number) => ((delta = pages), pages),
    [MEMORY_HOOKS.growAfter]: (result: number) => (hooks?.grow?.(delta, result), result),
  };
}

/** @internal what the host hands a module when it loads */
export interface GuestModuleInit {
  readonly id: string;
  readonly label: string;
  readonly sizeBytes: number;
  readonly compiled: WebAssembly.Module;
  readonly parsed: ParsedModule;
  readonly info: ModuleInfo;
  readonly capped: boolean;
  readonly instrumentation: Instrumentation | undefined;
  /** Deadlines run through V8 termination because rewriting was impossible: why. */
  readonly vmDeadlineReason: string | undefined;
  /** The rewrite was refused and `instrument.fallback: 'plain'` loaded the module as it is. */
  readonly instrumentationRefused: WasmInstrumentationError | undefined;
  readonly memoryLimitPages: number;
  readonly tableLimitEntries: number;
  readonly timing: TimingPolicy;
  readonly trace: TraceLogger;
  readonly coldStart: Pick<ColdStart, 'readMs' | 'hashMs' | 'cache' | 'compileMs'>;
  readonly cacheStats: () => ModuleCacheStats;
  /** Told of each export recorder as it is made (the host's fleet metrics keep them past the module). */
  readonly recorderMade?: (recorder: CallRecorder) => void;
}

/** A module as sent to another thread (see `GuestModule.transferable`). */
export type TransferableModule = Omit<GuestModuleInit, 'cacheStats' | 'trace' | 'recorderMade'>;

export class GuestModule {
  readonly id: string;
  readonly label: string;
  readonly compiled: WebAssembly.Module;
  readonly memoryLimitPages: number;
  /** Memory size last observed in any of this module's instances, bytes. */
  lastKnownMemory = 0;

  private readonly init: GuestModuleInit;
  /** The export resolved last, and every one resolved (made with the second: most loads call one export). */
  private lastTarget: ExportTarget | undefined;
  private targets: Map<string, ExportTarget> | undefined;
  private instantiateMs: number | undefined;
  private firstCallMs: number | undefined;
  private firstCallExport: string | undefined;
  private instances = 0;
  private peakBytes = 0;
  /** Call trees of profilers watching this module's sandboxes. */
  private callTrees: (() => CallTree)[] | undefined;
  /** The cache simulator watching this module's sandboxes, the latest attached. */
  private cacheReport: (() => CacheReport) | undefined;
  /**
   * While a sampling profiler watches (`watchInstances`), the newest instance: the profiler
   * finds this module's code in V8 through one of its functions. Nothing is kept otherwise —
   * not even a WeakRef: V8 keeps a WeakRef's target alive until the current task ends, so one
   * per instantiation kept every instance (and its memory reservation) of a loop making
   * sandboxes until the loop returned (a cold-start loop ran out of address space).
   */
  private watchers = 0;
  private watchedInstance: WebAssembly.Instance | undefined;

  /** The imports the guest itself declares (the host's own, if rewritten, excluded). */
  private readonly guestImports: GuestModuleInit['parsed']['imports'];
  private readonly importedMemory: GuestModuleInit['parsed']['imports'][number] | undefined;

  /**
   * Everything another thread needs to rebuild this module without compiling it again: the
   * compiled `WebAssembly.Module` (shared by structured clone), the parsed binary and
   * inspection, and the host's settings. Plain data, for `postMessage`.
   */
  transferable(): TransferableModule {
    const { cacheStats: _stats, trace: _trace, recorderMade: _made, ...data } = this.init;
    return data;
  }

  /** Rebuilds a module sent with `transferable()` (in a worker): no read, no hash, no compile. */
  static fromTransferable(data: TransferableModule, trace: TraceLogger): GuestModule {
    const zeros: ModuleCacheStats = { hits: 0, misses: 0, coalesced: 0, evictions: 0, oversize: 0, compileMs: 0, entries: 0, bytes: 0, maxEntries: 0, maxBytes: 0 };
    return new GuestModule({ ...data, trace, cacheStats: () => zeros });
  }

  /** @internal created by WasmHost.load */
  constructor(init: GuestModuleInit) {
    this.init = init;
    this.guestImports = init.instrumentation === undefined ? init.parsed.imports : init.parsed.imports.filter((i) => !i.module.startsWith(RESERVED_PREFIX));
    this.importedMemory = init.parsed.imports.find((i) => i.kind === 'memory');
    this.id = init.id;
    this.label = init.label;
    this.compiled = init.compiled;
    this.memoryLimitPages = init.memoryLimitPages;
  }

  inspect(): ModuleInfo {
    return this.init.info;
  }

  /** Name of function `index` from the name section, else `func[N]` / `import:mod.field`. */
  functionName(index: number): string {
    const names = this.init.instrumentation?.functions;
    return names?.[index] ?? functionName(this.init.parsed, index);
  }

  /** Why the engine could not rewrite this module, when `instrument.fallback: 'plain'` loaded it as it is. */
  get instrumentationRefused(): WasmInstrumentationError | undefined {
    return this.init.instrumentationRefused;
  }

  /** How the module was rewritten, when it was. */
  get instrumentation(): Instrumentation | undefined {
    return this.init.instrumentation;
  }

  /**
   * Creates a sandbox: an instance linked only to `options.imports` (plus AssemblyScript's
   * `env.abort/trace/seed` stand-ins when the module imports them with their stdlib types).
   */
  instantiate(options: SandboxOptions = NO_SANDBOX_OPTIONS): Sandbox {
    // Only the first instantiation is timed (the profile's cold start).
    const start = this.instantiateMs === undefined ? performance.now() : 0;
    checkUnknownImports(options.unknownImports, 'options.unknownImports');
    if (options.allowBlockingWaits !== true && this.hasSharedMemory()) {
      throw new BlockingWaitError(
        `${this.label} has a shared memory, so it may memory.atomic.wait and block this thread beyond any deadline; ` +
          'run it on a worker pool (createPool), or pass allowBlockingWaits: true to accept that',
      );
    }
    const vmDeadline = this.vmDeadline(options);
    const meter = vmDeadline === undefined ? this.budgetMeter(options) : undefined;
    if (meter !== undefined && options.linkedHooks?.clockBase !== undefined && this.init.instrumentation?.options.hooks === true) {
      meter.publishClockBase(options.linkedHooks.clockBase);
    }
    let memory: WebAssembly.Memory | undefined;
    // A module that imports nothing links to nothing: no import object to build (the common case).
    const imports =
      this.guestImports.length === 0 && this.init.instrumentation === undefined
        ? NO_IMPORTS
        : buildImportObject(
            this.label,
            this.guestImports,
            options.imports ?? {},
            () => assemblyScriptEnv({ memory: () => memory, moduleLabel: this.label, trace: options.trace ?? this.init.trace, seed: options.seed }),
            this.memoryLimitPages,
            this.init.tableLimitEntries,
            options.unknownImports,
          );
    if (this.init.instrumentation !== undefined) imports[BUDGET_IMPORT.module] = this.hostImports(options, meter);
    const importedMemory = this.importedMemory;
    if (importedMemory !== undefined) memory = imports[importedMemory.module]?.[importedMemory.name] as WebAssembly.Memory;

    let instance: WebAssembly.Instance;
    try {
      // Under the vm route the start function runs inside the timeout too.
      instance =
        vmDeadline === undefined
          ? new WebAssembly.Instance(this.compiled, imports)
          : (vmDeadline.call(() => new WebAssembly.Instance(this.compiled, imports), []) as WebAssembly.Instance);
    } catch (error) {
      throw this.instantiationError(error, this.guestImports);
    }
    const exportedMemory = instance.exports['memory'];
    if (memory === undefined && exportedMemory instanceof WebAssembly.Memory) memory = exportedMemory;
    if (meter !== undefined) {
      meter.attach(instance.exports[BUDGET_GLOBAL] as WebAssembly.Global);
      meter.end();
    }
    this.instances++;
    if (this.watchers > 0) this.watchedInstance = instance;
    this.instantiateMs ??= performance.now() - start;
    // Who resynchronises after a trap: the linked recorder when it says how, else the JS hooks.
    let hooks = this.init.instrumentation?.options.hooks === true ? (options.linkedHooks?.unwound !== undefined ? options.linkedHooks : options.hooks) : undefined;
    const linked = options.linkedHooks;
    linked?.attached?.(instance.exports);
    if (hooks !== undefined && linked?.deferEntries === true && typeof linked.enter === 'function') {
      // From here on (the start function ran eager), entries wait for the next event.
      const deferred = new DeferredEntries(instance.exports, linked.enter as (id: number, counter: number) => void);
      meter?.settleBeforeRebase(deferred.settle);
      const unwound = hooks.unwound;
      hooks = { unwound: () => (deferred.settle(), unwound?.()) };
    }
    return new Sandbox(this, instance, memory, meter, vmDeadline, hooks, options.callHooks);
  }

  private hasSharedMemory(): boolean {
    return (this.sharedMemory ??= this.init.parsed.memorySites.some((site) => site.limits.shared));
  }

  private sharedMemory: boolean | undefined;

  /** Deadlines through V8 termination, for modules the engine could not rewrite. */
  private vmDeadline(options: SandboxOptions): VmDeadline | undefined {
    const reason = this.init.vmDeadlineReason;
    if (reason === undefined || options.timeoutMs === undefined) return undefined;
    if (options.fuel !== undefined || options.interrupt !== undefined) {
      throw new InvalidOptionError(`${this.label}: only timeoutMs is available for this module, which could not be rewritten (${reason})`);
    }
    if (typeof options.timeoutMs !== 'number' || !Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new InvalidOptionError(`options.timeoutMs must be a positive finite number, got ${String(options.timeoutMs)}`);
    }
    return new VmDeadline(options.timeoutMs, this.label);
  }

  /** How deadlines are enforced: injected checks, V8 termination (fallback), or not at all. */
  get deadlineRoute(): 'instrumented' | 'vm' | 'none' {
    if (this.init.instrumentation?.budget === true) return 'instrumented';
    return this.init.vmDeadlineReason === undefined ? 'none' : 'vm';
  }

  /** The host's own imports of a rewritten guest: budget, entry/exit, memory and allocator hooks. */
  private hostImports(options: SandboxOptions, meter: BudgetMeter | undefined): Record<string, WebAssembly.ImportValue> {
    const instrumentation = this.init.instrumentation!;
    const host: Record<string, WebAssembly.ImportValue> = {};
    if (instrumentation.options.hooks) {
      const hooks = options.hooks ?? NO_HOOKS;
      host[HOOK_IMPORTS.enter.name] = (id: number, counter: number) => hooks.enter(id, counter);
      host[HOOK_IMPORTS.exit.name] = (id: number, counter: number) => hooks.exit(id, counter);
      if (options.linkedHooks?.enter !== undefined) host[HOOK_IMPORTS.enter.name] = options.linkedHooks.enter;
      if (options.linkedHooks?.exit !== undefined) host[HOOK_IMPORTS.exit.name] = options.linkedHooks.exit;
    }
    if (instrumentation.options.memory) {
      Object.assign(host, memoryHookImports(options.memoryHooks));
      if (options.linkedHooks?.load !== undefined) host[MEMORY_HOOKS.load] = options.linkedHooks.load;
      if (options.linkedHooks?.store !== undefined) host[MEMORY_HOOKS.store] = options.linkedHooks.store;
      if (options.linkedHooks?.run !== undefined) host[MEMORY_HOOKS.run] = options.linkedHooks.run;
    }
    if (instrumentation.allocators.length > 0) {
      const hook = options.allocationHook;
      host[ALLOCATOR_IMPORT.name] = options.allocationImport !== undefined ? options.allocationImport as WebAssembly.ImportValue :
        hook === undefined
          ? () => undefined
          : (kind: number, caller: number, first: number, second: number, result: number, pages: number) =>
              hook(ALLOCATION_KINDS[kind]!, caller, first >>> 0, second >>> 0, result >>> 0, pages >>> 0);
    }
    if (meter !== undefined) {
      host[BUDGET_IMPORT.name] = meter.exhausted;
      meter.begin(`${this.label}: (start function)`); // limits apply to the start function too
    }
    return host;
  }

  private budgetMeter(options: SandboxOptions): BudgetMeter | undefined {
    if (this.init.instrumentation === undefined && options.fuel === undefined && options.timeoutMs === undefined && options.interrupt === undefined) {
      return undefined;
    }
    for (const key of ['fuel', 'timeoutMs'] as const) {
      const value = options[key];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new InvalidOptionError(`options.${key} must be a positive finite number, got ${String(value)}`);
      }
    }
    if (options.interrupt !== undefined && !(options.interrupt instanceof Int32Array && options.interrupt.length > 0)) {
      throw new InvalidOptionError('options.interrupt must be a non-empty Int32Array (over a SharedArrayBuffer to set it from another thread)');
    }
    const instrumentation = this.init.instrumentation;
    const wantsLimits = options.fuel !== undefined || options.timeoutMs !== undefined || options.interrupt !== undefined;
    if (options.fuel !== undefined && instrumentation?.options.fuel !== true) {
      throw new InvalidOptionError(`${this.label}: options.fuel needs the module loaded with { instrument: { fuel: true } }`);
    }
    if (wantsLimits && instrumentation?.budget !== true) {
      throw new InvalidOptionError(`${this.label}: options.timeoutMs and options.interrupt need the module loaded with { instrument: { deadline: true } }`);
    }
    if (instrumentation?.budget !== true) return undefined;
    return new BudgetMeter(
      { fuel: options.fuel === undefined ? undefined : Math.floor(options.fuel), timeoutMs: options.timeoutMs, interrupt: options.interrupt },
      this.label,
    );
  }

  /**
   * What every sandbox needs to call `exportName`: its signature and its recorder (shared by
   * all sandboxes of this module). Throws ERR_WASM_EXPORT_NOT_FOUND for anything but a function.
   */
  exportTarget(exportName: string): ExportTarget {
    const last = this.lastTarget;
    if (last !== undefined && last.name === exportName) return last;
    const known = this.targets?.get(exportName);
    if (known !== undefined) return (this.lastTarget = known);
    const exports = this.init.info.exports;
    const entry = exports.find((e) => e.name === exportName);
    if (entry === undefined || entry.kind !== 'function' || entry.signature === undefined) {
      const functions = exports.filter((e) => e.kind === 'function').map((e) => e.name);
      const what = entry === undefined ? 'has no export' : `exports a ${entry.kind}, not a function,`;
      throw new WasmExportNotFoundError(
        `${this.label} ${what} named ${JSON.stringify(exportName)}; functions it exports: ${functions.join(', ') || '(none)'}`,
        exportName,
        functions,
      );
    }
    const target: ExportTarget = {
      name: exportName,
      signature: entry.signature,
      recorder: new CallRecorder(exportName, this.init.timing),
      where: `${this.label}: ${exportName}()`,
    };
    this.init.recorderMade?.(target.recorder);
    if (last !== undefined) (this.targets ??= new Map([[last.name, last]])).set(exportName, target);
    return (this.lastTarget = target);
  }

  private resolvedTargets(): ExportTarget[] {
    if (this.targets !== undefined) return [...this.targets.values()];
    return this.lastTarget === undefined ? [] : [this.lastTarget];
  }

  profile(): ModuleProfile {
    const declared = this.init.parsed.memorySites[0]?.limits;
    return {
      schema: MODULE_PROFILE_SCHEMA,
      module: { id: this.id, label: this.label, sizeBytes: this.init.sizeBytes },
      instances: this.instances,
      ...(this.init.instrumentation === undefined
        ? {}
        : {
            instrumentation: {
              passes: Object.entries(this.init.instrumentation.options)
                .filter(([, on]) => on !== false)
                .map(([pass]) => pass),
              rewriteMs: this.init.instrumentation.rewriteMs,
              fromDiskCache: this.init.instrumentation.fromDiskCache,
            },
          }),
      coldStart: {
        ...this.init.coldStart,
        instantiateMs: this.instantiateMs,
        firstCallMs: this.firstCallMs,
        firstCallExport: this.firstCallExport,
      },
      memory: {
        limitPages: this.memoryLimitPages,
        declaredInitialPages: declared?.min,
        declaredMaximumPages: declared?.max,
        capped: this.init.capped,
        peakBytes: this.peakBytes,
      },
      cache: this.init.cacheStats(),
      exports: this.resolvedTargets()
        .filter((t) => t.recorder.calls > 0)
        .map((t) => t.recorder.snapshot())
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      ...(this.callTrees === undefined ? {} : { functions: this.topFunctions() }),
      ...(this.cacheReport === undefined ? {} : { cacheSimulation: this.cacheReport() }),
      ...this.allocationsField(),
    };
  }

  private allocationsField(): Pick<ModuleProfile, 'allocations'> {
    const report = this.latestAllocations();
    return report === undefined ? {} : { allocations: report };
  }

  private topFunctions(): NonNullable<ModuleProfile['functions']> {
    const trees = (this.callTrees ?? []).map((source) => source());
    const latest = trees[trees.length - 1]!;
    // Profilers of another mode or unit cannot be added up with the latest one.
    const tree = mergeCallTrees(trees.filter((t) => t.mode === latest.mode && t.unit === latest.unit));
    return { mode: tree.mode, unit: tree.unit, total: tree.root.total, top: functionStats(tree).slice(0, 50) };
  }

  /** @internal what the sampling profiler needs to tell this module's frames from other wasm */
  samplingTarget(): { readonly instance: WebAssembly.Instance | undefined; readonly parsed: ParsedModule } {
    return { instance: this.watchedInstance, parsed: this.init.parsed };
  }

  /** @internal a sampling profiler starts (true) or stops (false) watching this module's new instances */
  watchInstances(on: boolean): void {
    this.watchers = Math.max(0, this.watchers + (on ? 1 : -1));
    if (this.watchers === 0) this.watchedInstance = undefined;
  }

  /** Allocation reports of profilers watching this module's sandboxes (the latest joins the profile). */
  private allocationSources: (() => AllocationReport | undefined)[] | undefined;

  /** @internal an allocation profiler's report joins this module's profile (`allocations`); undefined: nothing recorded yet */
  addAllocationSource(source: () => AllocationReport | undefined): void {
    (this.allocationSources ??= []).push(source);
  }

  private latestAllocations(): AllocationReport | undefined {
    const sources = this.allocationSources ?? [];
    for (let i = sources.length - 1; i >= 0; i--) {
      const report = sources[i]!();
      if (report !== undefined) return report;
    }
    return undefined;
  }

  /** @internal a profiler's call tree joins this module's profile (its "top functions") */
  addCallTreeSource(source: () => CallTree): void {
    (this.callTrees ??= []).push(source);
  }

  /** @internal a cache simulator's report joins this module's profile (`cacheSimulation`) */
  setCacheReportSource(source: () => CacheReport): void {
    this.cacheReport = source;
  }

  /** @internal */
  observeMemory(bytes: number): void {
    this.lastKnownMemory = bytes;
    if (bytes > this.peakBytes) this.peakBytes = bytes;
  }

  /** @internal */
  firstCall(exportName: string, ms: number): void {
    if (this.firstCallMs !== undefined) return;
    this.firstCallMs = ms;
    this.firstCallExport = exportName;
  }

  private instantiationError(error: unknown, imports: ParsedModule['imports']): Error {
    if (error instanceof WasmSandboxError) return error;
    if (error instanceof WebAssembly.LinkError) return linkErrorToTyped(this.label, error, imports, this.memoryLimitPages);
    const kind = trapKindOf(error);
    if (kind !== undefined) return trapError(error as Error, kind, this.label, '(start function)', (i) => this.functionName(i));
    if (isWasmException(error)) return guestExceptionError(error, `${this.label}: (start function)`, undefined);
    if (error instanceof RangeError && /table/i.test(error.message)) {
      return new WasmTableLimitError(
        `${this.label}: V8 could not create the module's table (V8: ${error.message}); lower tableLimitEntries or the module's table sizes`,
        this.init.tableLimitEntries,
        undefined,
        { cause: error },
      );
    }
    if (error instanceof RangeError && /Out of memory|Cannot allocate Wasm memory/i.test(error.message)) {
      return new WasmMemoryLimitError(
        `${this.label}: the process could not reserve memory for another instance (V8: ${error.message}); ` +
          'close unused sandboxes, or run guests in a worker pool',
        this.memoryLimitPages,
        this.init.parsed.memorySites[0]?.limits.min,
        { cause: error },
      );
    }
    if (error instanceof GuestAbortError) return error;
    return error instanceof Error ? error : new Error(String(error));
  }
}

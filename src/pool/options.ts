/**
 * The pool's options: what a caller may set, each default written once (`POOL_DEFAULTS`, which
 * the TSDoc `@default`s repeat), and one pass that validates and fills them into a readonly
 * object the rest of the pool reads. Messages name the field.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../errors.js';
import type { WasmHost, LoadOptions } from '../host/host.js';
import type { ModuleSource } from '../host/source.js';
import type { UnknownImports } from '../host/imports.js';
import type { TypedSignature } from '../host/typed-call.js';
import type { Isolation } from './protocol.js';
import { leastLoaded, type Scheduler } from './schedule.js';

export interface PoolModuleOptions extends LoadOptions {
  readonly source: ModuleSource;
  /** `reuse` keeps one instance per worker (state persists); `fresh` instantiates per call. @default 'reuse' */
  readonly isolation?: Isolation;
  /** ES module (path or URL) whose default export is the imports object, or a function of the module id returning it. */
  readonly importsModule?: string;
  /** A function import the imports module does not grant: refuse the module, or link a stand-in that throws ERR_IMPORT_NOT_GRANTED when called. @default 'refuse' */
  readonly unknownImports?: UnknownImports;
}

export interface PoolOptions {
  /** Modules by id: a source, or a source with options. */
  readonly modules: Readonly<Record<string, ModuleSource | PoolModuleOptions>>;
  /** Worker threads at start; `pool.configure({ threads })` changes it within [minThreads, maxThreads]. @default 2 */
  readonly threads?: number;
  /** The fewest threads a live change may leave. @default 1 */
  readonly minThreads?: number;
  /** The most threads a live change may start. @default threads */
  readonly maxThreads?: number;
  /**
   * Bytes per ring (a power of two; two rings per worker). Typed calls larger than half a ring
   * stream their arrays through a window of it; other requests that large are streamed in
   * chunks, which costs about half the bandwidth. @default 4 MiB
   */
  readonly ringBytes?: number;
  /** Calls that may wait for ring space; beyond it, ERR_POOL_SATURATED. @default 1024 */
  readonly maxQueue?: number;
  /** Iterations a worker spins on an empty ring before sleeping. @default 2000 */
  readonly workerSpin?: number;
  /** Microseconds the caller spins for a response before waiting asynchronously. @default 20 */
  readonly callerSpinMicros?: number;
  /** In a long batch, a worker wakes the caller after every this many answers (and at the batch's end). @default 64 */
  readonly wakeBatch?: number;
  /** Default per-call deadline. @default none */
  readonly timeoutMs?: number;
  /**
   * Workers with no call for this long (and no tenant sandbox) end, and threads are started
   * again on demand. @default never: workers stay warm
   */
  readonly idleTimeoutMs?: number;
  readonly resourceLimits?: ResourceLimits;
  /**
   * How long `close()` waits for its workers to end once their calls are done, and then for
   * workers it terminated to exit; those still running are named in its report. @default 1000
   */
  readonly closeTimeoutMs?: number;
  /** Host used to load and compile the modules (once, in this thread). @default a new host */
  readonly host?: WasmHost;
  /**
   * Picks the worker for each call (tenant sandboxes' calls always go to their worker): a pure
   * function of each worker's load. @default leastLoaded (fewest outstanding calls, preferring
   * workers that are not starting)
   */
  readonly scheduler?: Scheduler;
}

export interface CallOptions {
  /** @internal a tenant sandbox id (use `pool.openSandbox`) */
  readonly sandbox?: number;
  readonly timeoutMs?: number;
  /**
   * An AssemblyScript-typed call: strings, typed arrays and arrays in and out, converted by the
   * guest's runtime. Needed for anything but numbers (a typed array without it fails with
   * ERR_WASM_ARGUMENT).
   */
  readonly signature?: TypedSignature;
  /** Fuel for the call (modules loaded with `instrument: { fuel: true }`). */
  readonly fuel?: number;
}

/** Every default of the pool, once. */
export const POOL_DEFAULTS = {
  threads: 2,
  ringBytes: 4 * 1024 * 1024,
  maxQueue: 1024,
  minThreads: 1,
  workerSpin: 2000,
  callerSpinMicros: 20,
  wakeBatch: 64,
  closeTimeoutMs: 1000,
  scheduler: leastLoaded,
  isolation: 'reuse',
} as const satisfies Partial<Record<keyof PoolOptions | keyof PoolModuleOptions, unknown>>;

/** The options after validation, every default filled in. */
export interface ResolvedPoolOptions {
  readonly threads: number;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly ringBytes: number;
  readonly maxQueue: number;
  readonly workerSpin: number;
  readonly callerSpinMicros: number;
  readonly wakeBatch: number;
  readonly timeoutMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly closeTimeoutMs: number;
  readonly scheduler: Scheduler;
}

export function resolvePoolOptions(options: PoolOptions): ResolvedPoolOptions {
  const threads = options.threads ?? POOL_DEFAULTS.threads;
  const ringBytes = options.ringBytes ?? POOL_DEFAULTS.ringBytes;
  const maxQueue = options.maxQueue ?? POOL_DEFAULTS.maxQueue;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidOptionError(`options.threads must be a positive integer, got ${String(threads)}`);
  const minThreads = options.minThreads ?? Math.min(POOL_DEFAULTS.minThreads, threads);
  const maxThreads = options.maxThreads ?? threads;
  if (!Number.isInteger(minThreads) || minThreads < 1 || minThreads > threads) {
    throw new InvalidOptionError(`options.minThreads must be an integer in [1, threads], got ${String(minThreads)}`);
  }
  if (!Number.isInteger(maxThreads) || maxThreads < threads) throw new InvalidOptionError(`options.maxThreads must be an integer ≥ threads, got ${String(maxThreads)}`);
  const live = checkLiveSettings({ workerSpin: options.workerSpin, callerSpinMicros: options.callerSpinMicros, wakeBatch: options.wakeBatch }, 'options');
  if (!Number.isInteger(ringBytes) || ringBytes < 4096 || (ringBytes & (ringBytes - 1)) !== 0) {
    throw new InvalidOptionError(`options.ringBytes must be a power of two ≥ 4096, got ${String(ringBytes)}`);
  }
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new InvalidOptionError(`options.maxQueue must be a non-negative integer, got ${String(maxQueue)}`);
  for (const name of ['timeoutMs', 'idleTimeoutMs', 'closeTimeoutMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
      throw new InvalidOptionError(`options.${name} must be a positive finite number, got ${String(value)}`);
    }
  }
  if (Object.keys(options.modules).length === 0) throw new InvalidOptionError('options.modules must name at least one module');
  if (options.scheduler !== undefined && typeof options.scheduler !== 'function') {
    throw new InvalidOptionError(`options.scheduler must be a function of the workers' loads, got ${typeof options.scheduler}`);
  }
  return {
    threads,
    minThreads,
    maxThreads,
    ringBytes,
    maxQueue,
    workerSpin: live.workerSpin ?? POOL_DEFAULTS.workerSpin,
    callerSpinMicros: live.callerSpinMicros ?? POOL_DEFAULTS.callerSpinMicros,
    wakeBatch: live.wakeBatch ?? POOL_DEFAULTS.wakeBatch,
    timeoutMs: options.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    resourceLimits: options.resourceLimits,
    closeTimeoutMs: options.closeTimeoutMs ?? POOL_DEFAULTS.closeTimeoutMs,
    scheduler: options.scheduler ?? POOL_DEFAULTS.scheduler,
  };
}

/** Live settings as a caller (or the tuner) passes them: each checked, by the name it came under. */
export function checkLiveSettings<T extends { workerSpin?: number | undefined; callerSpinMicros?: number | undefined; wakeBatch?: number | undefined }>(values: T, where: string): T {
  const { workerSpin, callerSpinMicros, wakeBatch } = values;
  if (workerSpin !== undefined && !(Number.isInteger(workerSpin) && workerSpin >= 0 && workerSpin <= 0x7fffffff)) {
    throw new InvalidOptionError(`${where}.workerSpin must be a non-negative integer, got ${String(workerSpin)}`);
  }
  if (callerSpinMicros !== undefined && !(callerSpinMicros >= 0 && Number.isFinite(callerSpinMicros))) {
    throw new InvalidOptionError(`${where}.callerSpinMicros must be a non-negative finite number, got ${String(callerSpinMicros)}`);
  }
  if (wakeBatch !== undefined && !(Number.isInteger(wakeBatch) && wakeBatch >= 1 && wakeBatch <= 0x7fffffff)) {
    throw new InvalidOptionError(`${where}.wakeBatch must be a positive integer, got ${String(wakeBatch)}`);
  }
  return values;
}

/** A module entry as a source with options. */
export function moduleOptions(value: ModuleSource | PoolModuleOptions): PoolModuleOptions {
  return typeof value === 'object' && value !== null && 'source' in value ? value : { source: value };
}

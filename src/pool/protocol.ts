/**
 * Every message between the pool and its workers, typed once. Task messages go through
 * piscina (once per worker); everything else is a frame on the worker's ring pair.
 */
import type { UnknownImports } from '../host/imports.js';
import type { ErrorData } from '../errors.js';
import type { TransferableModule } from '../host/guest-module.js';
import type { TypedSignature } from '../host/typed-call.js';
import type { ModuleProfile } from '../profiler/model/module-profile.js';

export const enum Kind {
  Call = 1,
  Ok = 2,
  Err = 3,
  Profile = 4,
  ProfileReply = 5,
  Stop = 6,
  Hello = 7,
  CloseSandbox = 8,
  Retired = 9,
  Abandon = 10,
}

/** Words of the per-worker control array (an Int32Array over a SharedArrayBuffer). */
export const CONTROL = {
  /** Non-zero: the guest stops at its next check point (deadline-instrumented modules). */
  interrupt: 0,
  /** Id of the call the worker is running, 0 when idle. */
  current: 1,
  /** Set by the pool before a Stop frame so a sleeping worker wakes promptly. */
  stopping: 2,
  /** Times the worker spun on an empty request ring (the analyzer's pool-spinning rule). */
  spinRounds: 3,
  /** Live settings the pool may change while the worker serves (read once per batch). */
  /** Iterations the worker spins on an empty ring before it sleeps. */
  workerSpin: 4,
  /** In a long batch, the worker wakes the caller after every this many answers. */
  wakeBatch: 5,
  /** Of the spin rounds, those that ended with the ring still empty (then it slept). */
  emptySpinRounds: 6,
  /**
   * 1 from just before the worker waits on its request ring until it wakes: the pool sends a
   * wake-up only then (one costs the caller 0.1–0.3 µs even with no thread waiting). Safe
   * because the worker waits on the sequence word it read before its last look at the ring.
   */
  sleeping: 7,
  /**
   * 1 while the pool waits asynchronously for this worker's answers or ring space: the worker
   * wakes it only then. Safe for the same reason (the pool waits on a sequence word it read
   * after setting the flag).
   */
  callerWaiting: 8,
  size: 10,
} as const;

/**
 * States of a request frame's claim word (ring-buffer.ts): the one decision per call both
 * threads make with compare-and-swap, so that a call the pool gave up on never starts and a
 * call the worker started is never reported as not started.
 */
export const CLAIM = {
  /** Written, not yet decided. */
  queued: 0,
  /** The worker started it (it published the call in `current` first). */
  started: 1,
  /** The worker found its deadline passed and will answer that it expired unstarted. */
  expired: 2,
  /** The pool gave up on it at its deadline: the worker skips it without an answer. */
  withdrawn: 3,
} as const;

export type Isolation = 'reuse' | 'fresh';

export interface WorkerModule {
  readonly id: string;
  readonly module: TransferableModule;
  readonly isolation: Isolation;
  /** Imports for this module's sandboxes: an ES module (path or URL) whose default export is a GrantedImports object or a function returning one. */
  readonly importsModule: string | undefined;
  readonly unknownImports: UnknownImports;
}

/** The one piscina task each worker runs: serve its rings until told to stop. */
export interface ServeTask {
  readonly requests: SharedArrayBuffer;
  readonly responses: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly modules: readonly WorkerModule[];
  /** With no call for this long (and no tenant sandbox), the worker ends its task so piscina may retire it. */
  readonly idleMs: number | undefined;
}

export interface CallRequest {
  readonly k: Kind.Call;
  readonly id: number;
  /** Index into ServeTask.modules. */
  readonly m: number;
  readonly e: string;
  readonly a: unknown[];
  /** When the caller submitted it, on the pool's clock (clock.ts), ms. */
  readonly t: number;
  readonly s?: TypedSignature;
  /** Fuel for this call (fuel-instrumented modules). */
  readonly f?: number;
  /** A tenant sandbox (from `pool.openSandbox`): its own instance, kept between calls. 0: the module's shared one. */
  readonly x?: number;
  /** Deadline on the pool's clock (clock.ts), ms: a call still queued then is not started. */
  readonly d?: number;
}

export interface OkResponse {
  readonly k: Kind.Ok;
  readonly id: number;
  readonly v: unknown;
  /** Queue wait (submit → start), ms. (Run time is the sandbox's own measure, in its profile.) */
  readonly q: number;
}

export interface ErrResponse {
  readonly k: Kind.Err;
  readonly id: number;
  /** The error as data: rebuilt as the same class from its code (errors.ts). */
  readonly e: ErrorData;
  readonly q: number;
}

export interface ProfileRequest {
  readonly k: Kind.Profile;
  readonly id: number;
}

export interface ProfileReply {
  readonly k: Kind.ProfileReply;
  readonly id: number;
  /** One profile per module index (undefined where the worker never used it). */
  readonly p: (ModuleProfile | undefined)[];
}

/** Sent by a worker about to end after idling: its metrics, kept by the pool. */
export interface Retired {
  readonly k: Kind.Retired;
  readonly p: (ModuleProfile | undefined)[];
}

export interface Hello {
  readonly k: Kind.Hello;
  readonly thread: number;
}

export interface Stop {
  readonly k: Kind.Stop;
}

/** Drops a tenant sandbox's instance; answered with Ok. */
export interface CloseSandbox {
  readonly k: Kind.CloseSandbox;
  readonly id: number;
  readonly x: number;
}

/** A streamed request the pool gave up on before its last chunk was sent: drop what was gathered. No answer. */
export interface Abandon {
  readonly k: Kind.Abandon;
  readonly id: number;
}

export type Request = CallRequest | ProfileRequest | Stop | CloseSandbox | Abandon;
export type Response = OkResponse | ErrResponse | ProfileReply | Hello | Retired;

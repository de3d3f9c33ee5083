/**
 * The pool's live settings and the tuner's log, as plain data: the pool reports its settings
 * and their changes in `pool.profile()`, the tuner (`src/tuner/`) writes trials, and the CLI and
 * the HTML report read both. Nothing here runs anything.
 */

/** The settings the pool can change while it serves, without losing or duplicating a call. */
export interface LiveSettings {
  /** Worker threads serving calls (within the pool's minThreads..maxThreads). */
  readonly threads: number;
  /** Microseconds the caller's thread spins for an answer before it waits asynchronously. */
  readonly callerSpinMicros: number;
  /** Iterations a worker spins on an empty ring before it sleeps. */
  readonly workerSpin: number;
  /** In a long batch a worker wakes the caller after every this many answers. */
  readonly wakeBatch: number;
}

export type LiveSetting = keyof LiveSettings;

export const LIVE_SETTINGS: readonly LiveSetting[] = ['threads', 'callerSpinMicros', 'workerSpin', 'wakeBatch'];

/** Every setting the pool has: the live ones and those fixed for a pool's life. */
export interface PoolSettings extends LiveSettings {
  /** Bytes per ring: fixed for a pool's life (changed only by a new pool: the tuner's offline mode). */
  readonly ringBytes: number;
  readonly minThreads: number;
  readonly maxThreads: number;
}

/** One change of a live setting, as the pool applied it. */
export interface SettingChange {
  /** Wall-clock time (Date.now()) it took effect. */
  readonly atMs: number;
  readonly setting: LiveSetting;
  readonly from: number;
  readonly to: number;
  /** Who asked: 'user', 'tuner', … */
  readonly by: string;
}

/** An estimate with its confidence interval. */
export interface Estimate {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
}

/** What one epoch measured: a stretch of calls served under one setting. */
export interface EpochFigures {
  readonly arm: 'incumbent' | 'candidate';
  readonly calls: number;
  readonly seconds: number;
  /** Calls settled per second. */
  readonly throughput: number;
  /** Calls submitted per second: the offered load. */
  readonly arrivalRate: number;
  /** End-to-end latency (submit → settle) at the 50th and 99th percentile, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Process CPU time (user + system) per settled call, µs. */
  readonly cpuMicrosPerCall: number;
  readonly errors: number;
  readonly deadlineMisses: number;
  /** Resident memory at the epoch's end. */
  readonly rssBytes: number;
  /** Share of the epoch's samples with no call outstanding: the pool waited for its callers. */
  readonly idleShare: number;
  /** Calls outstanding, averaged over the epoch's samples: a closed loop's offered load. */
  readonly outstanding: number;
}

export type TrialDecision = 'accepted' | 'rejected' | 'reverted' | 'abandoned' | 'recommended';

/** One trial: an incumbent and a candidate value of one setting, alternated in epochs, and what was decided. */
export interface TrialRecord {
  readonly id: number;
  readonly setting: LiveSetting | 'ringBytes';
  readonly incumbent: number;
  readonly candidate: number;
  readonly epochs: readonly EpochFigures[];
  /** The objective figure (higher is better) of each arm: the median over its epochs, with an interval. */
  readonly figures?: {
    readonly incumbent: Estimate;
    readonly candidate: Estimate;
    /** candidate / incumbent, of the objective figure. */
    readonly ratio: Estimate;
    /** Mann–Whitney U two-sided p-value of the epochs' objective figures. */
    readonly p: number;
  };
  readonly decision: TrialDecision;
  readonly reason: string;
}

/** The tuner's account of itself, as `pool.profile()` carries it. */
export interface TuningLog {
  readonly mode: 'live' | 'dry-run' | 'offline';
  /** e.g. "maximise throughput, p99 ≤ 5 ms". */
  readonly objective: string;
  /** What the tuner is doing now ('measuring', 'trial', 'cooldown', 'waiting: load changing', …). */
  readonly state: string;
  readonly incumbent: LiveSettings;
  readonly trials: readonly TrialRecord[];
}

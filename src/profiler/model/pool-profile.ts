/**
 * What a worker pool reports of its calls: plain data, so that the analyzer (`profiler/analyze/`)
 * reads it without importing the pool. The pool (`pool/pool.ts`) builds it.
 */
import type { LatencySummary } from '../build/latency-histogram.js';
import type { ModuleProfile } from './module-profile.js';
import type { PoolSettings, SettingChange, TuningLog } from './tuning.js';

export interface PoolProfile {
  /** Per-module profiles from every worker, histograms merged. */
  readonly modules: Readonly<Record<string, ModuleProfile>>;
  /** Time from `call()` to the worker starting the call, per module. */
  readonly queueWait: Readonly<Record<string, LatencySummary>>;
  readonly workers: { readonly threads: number; readonly restarts: number; readonly crashes: number };
  /** Calls refused because the queue was full (ERR_POOL_SATURATED); absent in older profiles. */
  readonly saturated?: number;
  /** The settings now, and the latest changes of the live ones (oldest first). */
  readonly settings: PoolSettings;
  readonly settingChanges: readonly SettingChange[];
  /** The tuner's log, when one reports to this pool (src/tuner/). */
  readonly tuning?: TuningLog;
  /**
   * Spinning on empty rings, counted exactly (absent in older profiles): a worker spins up to
   * `workerSpin` polls after a small batch before it sleeps; the caller spins up to
   * `callerSpinMicros` for an answer before it waits. An empty round found nothing.
   */
  readonly spin?: {
    readonly workerSpin: number;
    readonly workerRounds: number;
    readonly workerEmptyRounds: number;
    readonly callerSpinMicros: number;
    readonly callerRounds: number;
    readonly callerEmptyRounds: number;
  };
}

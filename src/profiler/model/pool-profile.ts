/**
 * The pool's profile: plain data the pool (`pool/`) makes and the report, tuner and exporters
 * read. It lives here, in the model, so that readers need not import the pool.
 */
import type { LatencySummary } from '../build/latency-histogram.js';
import type { ModuleProfile } from './module-profile.js';

export interface PoolProfile {
  /** Per-module profiles from every worker, histograms merged. */
  readonly modules: Readonly<Record<string, ModuleProfile>>;
  /** Time from `call()` to the worker starting the call, per module. */
  readonly queueWait: Readonly<Record<string, LatencySummary>>;
  readonly workers: { readonly threads: number; readonly restarts: number; readonly crashes: number };
}

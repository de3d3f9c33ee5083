/**
 * What a host or a pool hands the fleet-metrics exporters at each scrape: cumulative, plain
 * data (counts only ever grow, histograms only gain samples), one profile per module id.
 */
import type { LatencySummary } from '../build/latency-histogram.js';
import type { CacheProfile, ModuleProfile } from './module-profile.js';

export interface PoolGauges {
  /** Calls waiting for ring space in the caller's thread. */
  readonly queued: number;
  /** Calls sent to a worker and not yet settled. */
  readonly inFlight: number;
  readonly threads: number;
  readonly restarts: number;
  readonly crashes: number;
  /** Time from `call()` to a worker starting the call, per module id. */
  readonly queueWait: Readonly<Record<string, LatencySummary>>;
}

export interface MetricsSnapshot {
  /** `host` or `pool`: which kind of source took it. */
  readonly kind: 'host' | 'pool';
  /** Every module the source served, merged by module id. */
  readonly modules: readonly ModuleProfile[];
  /** The module cache of the host that compiled them. */
  readonly cache: CacheProfile | undefined;
  readonly pool?: PoolGauges;
}

/** Anything that can be scraped: `WasmHost`, `WasmPool`. */
export interface MetricsSource {
  metrics(): MetricsSnapshot | Promise<MetricsSnapshot>;
  /** Start keeping what later scrapes need (a host keeps its loads from then on). */
  watchMetrics?(): void;
}

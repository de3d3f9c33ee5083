/**
 * The fleet metrics, as plain series: what Prometheus and OpenTelemetry both expose, computed
 * once from the sources' cumulative snapshots. Names follow Prometheus' conventions (base units,
 * `_total` counters, `_seconds`, `_bytes`); labels are a closed set so cardinality stays bounded:
 * `source` (the name the application gave a host or pool), `module` (12 hex digits of the
 * module's SHA-256), `export` (guest text, shortened; at most `maxExportsPerModule` per module,
 * the rest counted under `(other)`) and `outcome` (a closed set, never an error message).
 *
 * Counters are kept monotonic here: a series never reports less than it reported before (a
 * worker that crashed, or a module object that was collected, can only lose what it did since
 * the previous scrape, and a scrape that missed it must not look like a counter reset).
 */
import { recordedValues, type LatencySummary } from '../build/latency-histogram.js';
import type { MetricsSnapshot, MetricsSource } from '../model/metrics-snapshot.js';
import type { ModuleProfile } from '../model/module-profile.js';
import { guestText } from '../../untrusted-text.js';

/** Outcomes a call can have, as the `outcome` label says them. */
export const CALL_OUTCOMES = ['ok', 'trap', 'deadline', 'fuel', 'limit', 'guest_error', 'crashed', 'rejected', 'other'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

const OUTCOME_OF_CODE: Readonly<Record<string, CallOutcome>> = {
  ERR_WASM_TRAP: 'trap',
  ERR_BLOCKING_WAIT: 'trap',
  ERR_DEADLINE_EXCEEDED: 'deadline',
  ERR_OUT_OF_FUEL: 'fuel',
  ERR_WASM_MEMORY_LIMIT: 'limit',
  ERR_WASM_TABLE_LIMIT: 'limit',
  ERR_POOL_RESULT_TOO_LARGE: 'limit',
  ERR_GUEST_ABORT: 'guest_error',
  ERR_WASM_EXCEPTION: 'guest_error',
  ERR_WORKER_CRASHED: 'crashed',
  ERR_SANDBOX_DISCARDED: 'crashed',
  ERR_WASM_ARGUMENT: 'rejected',
  ERR_WASM_RESULT: 'rejected',
  ERR_POOL_REFERENCE: 'rejected',
};

export function outcomeOf(code: string): CallOutcome {
  return OUTCOME_OF_CODE[code] ?? 'other';
}

/** Call durations of wasm exports run from a microsecond to seconds (prom-client's default starts at 5 ms). */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const DEFAULT_MAX_EXPORTS_PER_MODULE = 64;
export const OTHER_EXPORTS = '(other)';

export type Labels = Readonly<Record<string, string>>;

export interface ScalarPoint {
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramPoint {
  readonly labels: Labels;
  /** Cumulative counts per upper bound (seconds), in the order of `bounds`; the last is +Inf. */
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sum: number;
  /** The recorded values themselves (seconds, count), for exporters that record one by one. */
  readonly values: readonly { readonly seconds: number; readonly count: number }[];
}

export type Series =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly unit: string; readonly points: readonly ScalarPoint[] }
  | { readonly name: string; readonly help: string; readonly type: 'histogram'; readonly unit: string; readonly bounds: readonly number[]; readonly points: readonly HistogramPoint[] };

export interface FleetSeriesOptions {
  /** @default 'wasm_sandbox' */
  readonly prefix?: string;
  /** @default DURATION_BUCKETS_SECONDS */
  readonly buckets?: readonly number[];
  /** @default 64 */
  readonly maxExportsPerModule?: number;
}

/** 12 hex digits of the module's digest: a stable, bounded label for one module's bytes. */
export function moduleLabel(profile: ModuleProfile): string {
  return profile.module.id.slice(0, 12);
}

/**
 * Turns scrapes into series, remembering what it reported: which exports have a series of
 * their own, and the highest value of every counter so far.
 */
export class FleetSeries {
  private readonly prefix: string;
  private readonly bounds: readonly number[];
  private readonly maxExports: number;
  /** module label → exports that have their own series (first come, kept for good). */
  private readonly exportSeries = new Map<string, Set<string>>();
  private readonly highWater = new Map<string, number>();

  constructor(options: FleetSeriesOptions = {}) {
    this.prefix = options.prefix ?? 'wasm_sandbox';
    this.bounds = [...(options.buckets ?? DURATION_BUCKETS_SECONDS)].sort((a, b) => a - b);
    this.maxExports = options.maxExportsPerModule ?? DEFAULT_MAX_EXPORTS_PER_MODULE;
  }

  series(snapshots: Readonly<Record<string, MetricsSnapshot>>): Series[] {
    const p = this.prefix;
    const calls: ScalarPoint[] = [];
    const duration: HistogramPoint[] = [];
    const bytesIn: ScalarPoint[] = [];
    const bytesOut: ScalarPoint[] = [];
    const instructions: ScalarPoint[] = [];
    const grown: ScalarPoint[] = [];
    const growths: ScalarPoint[] = [];
    const instances: ScalarPoint[] = [];
    const peak: ScalarPoint[] = [];
    const info: ScalarPoint[] = [];
    const cache = { hits: [] as ScalarPoint[], misses: [] as ScalarPoint[], evictions: [] as ScalarPoint[], compile: [] as ScalarPoint[], entries: [] as ScalarPoint[], bytes: [] as ScalarPoint[] };
    const pool = { queued: [] as ScalarPoint[], inFlight: [] as ScalarPoint[], threads: [] as ScalarPoint[], restarts: [] as ScalarPoint[], crashes: [] as ScalarPoint[] };
    const queueWait: HistogramPoint[] = [];

    for (const [source, snapshot] of Object.entries(snapshots)) {
      for (const profile of snapshot.modules) {
        const module = moduleLabel(profile);
        const base = { source, module };
        info.push({ labels: { ...base, name: guestText(profile.module.label, 120) }, value: 1 });
        instances.push(this.counter(`${p}_instances_total`, base, profile.instances));
        peak.push({ labels: base, value: profile.memory.peakBytes });
        // Exports folded into `(other)` add up before they become points.
        const byExport = new Map<string, { calls: Map<CallOutcome, number>; latency: LatencySummary[]; bytesIn: number; bytesOut: number; instructions: number; grown: number; growths: number }>();
        for (const e of profile.exports) {
          const name = this.exportName(module, e.name);
          let entry = byExport.get(name);
          if (entry === undefined) byExport.set(name, (entry = { calls: new Map(), latency: [], bytesIn: 0, bytesOut: 0, instructions: 0, grown: 0, growths: 0 }));
          entry.calls.set('ok', (entry.calls.get('ok') ?? 0) + e.ok);
          for (const [code, n] of Object.entries(e.errors)) entry.calls.set(outcomeOf(code), (entry.calls.get(outcomeOf(code)) ?? 0) + n);
          entry.latency.push(e.latency);
          entry.bytesIn += e.bytesIn;
          entry.bytesOut += e.bytesOut;
          entry.instructions += e.instructions;
          entry.grown += e.memory.bytesGrown;
          entry.growths += e.memory.growthEvents;
        }
        for (const [name, entry] of byExport) {
          const labels = { ...base, export: name };
          for (const [outcome, n] of entry.calls) calls.push(this.counter(`${p}_calls_total`, { ...labels, outcome }, n));
          duration.push(this.histogram(`${p}_call_duration_seconds`, labels, entry.latency));
          bytesIn.push(this.counter(`${p}_input_bytes_total`, labels, entry.bytesIn));
          bytesOut.push(this.counter(`${p}_output_bytes_total`, labels, entry.bytesOut));
          instructions.push(this.counter(`${p}_instructions_total`, labels, entry.instructions));
          grown.push(this.counter(`${p}_memory_grown_bytes_total`, labels, entry.grown));
          growths.push(this.counter(`${p}_memory_growths_total`, labels, entry.growths));
        }
      }
      if (snapshot.cache !== undefined) {
        const labels = { source };
        cache.hits.push(this.counter(`${p}_module_cache_hits_total`, labels, snapshot.cache.hits + snapshot.cache.coalesced));
        cache.misses.push(this.counter(`${p}_module_cache_misses_total`, labels, snapshot.cache.misses));
        cache.evictions.push(this.counter(`${p}_module_cache_evictions_total`, labels, snapshot.cache.evictions));
        cache.compile.push(this.counter(`${p}_module_cache_compile_seconds_total`, labels, snapshot.cache.compileMs / 1000));
        cache.entries.push({ labels, value: snapshot.cache.entries });
        cache.bytes.push({ labels, value: snapshot.cache.bytes });
      }
      if (snapshot.pool !== undefined) {
        const labels = { source };
        pool.queued.push({ labels, value: snapshot.pool.queued });
        pool.inFlight.push({ labels, value: snapshot.pool.inFlight });
        pool.threads.push({ labels, value: snapshot.pool.threads });
        pool.restarts.push(this.counter(`${p}_pool_worker_restarts_total`, labels, snapshot.pool.restarts));
        pool.crashes.push(this.counter(`${p}_pool_worker_crashes_total`, labels, snapshot.pool.crashes));
        const byLabel = new Map(snapshot.modules.map((m) => [m.module.label, moduleLabel(m)]));
        for (const [id, wait] of Object.entries(snapshot.pool.queueWait)) {
          queueWait.push(this.histogram(`${p}_pool_queue_wait_seconds`, { source, module: byLabel.get(id) ?? guestText(id, 120) }, [wait]));
        }
      }
    }

    const scalar = (name: string, help: string, type: 'counter' | 'gauge', unit: string, points: ScalarPoint[]): Series => ({ name, help, type, unit, points });
    const histogram = (name: string, help: string, points: HistogramPoint[]): Series => ({ name, help, type: 'histogram', unit: 's', bounds: this.bounds, points });
    return [
      scalar(`${p}_calls_total`, 'Calls into guest exports, by outcome.', 'counter', '{call}', calls),
      histogram(`${p}_call_duration_seconds`, 'Duration of guest calls (sampled calls stand for the calls they represent; see docs/metrics.md).', duration),
      scalar(`${p}_input_bytes_total`, 'Bytes copied into guest memory for typed arguments.', 'counter', 'By', bytesIn),
      scalar(`${p}_output_bytes_total`, 'Bytes copied out of guest memory for typed results.', 'counter', 'By', bytesOut),
      scalar(`${p}_instructions_total`, 'Guest instructions executed (fuel-instrumented modules).', 'counter', '{instruction}', instructions),
      scalar(`${p}_memory_grown_bytes_total`, 'Bytes guest memory grew by during calls.', 'counter', 'By', grown),
      scalar(`${p}_memory_growths_total`, 'Calls during which guest memory grew.', 'counter', '{call}', growths),
      scalar(`${p}_instances_total`, 'Guest instances created.', 'counter', '{instance}', instances),
      scalar(`${p}_guest_memory_peak_bytes`, 'Largest guest linear memory seen.', 'gauge', 'By', peak),
      scalar(`${p}_module_info`, 'Modules by digest label, with the name they were loaded under.', 'gauge', '1', info),
      scalar(`${p}_module_cache_hits_total`, 'Module cache lookups served without compiling.', 'counter', '{lookup}', cache.hits),
      scalar(`${p}_module_cache_misses_total`, 'Module cache lookups that compiled.', 'counter', '{lookup}', cache.misses),
      scalar(`${p}_module_cache_evictions_total`, 'Compiled modules evicted from the module cache.', 'counter', '{module}', cache.evictions),
      scalar(`${p}_module_cache_compile_seconds_total`, 'Time spent compiling module cache misses.', 'counter', 's', cache.compile),
      scalar(`${p}_module_cache_entries`, 'Compiled modules held by the module cache.', 'gauge', '{module}', cache.entries),
      scalar(`${p}_module_cache_bytes`, 'Wasm bytes held by the module cache.', 'gauge', 'By', cache.bytes),
      scalar(`${p}_pool_queued_calls`, 'Calls waiting for ring space in the caller.', 'gauge', '{call}', pool.queued),
      scalar(`${p}_pool_in_flight_calls`, 'Calls sent to a worker and not yet settled.', 'gauge', '{call}', pool.inFlight),
      scalar(`${p}_pool_workers`, 'Worker threads of the pool.', 'gauge', '{thread}', pool.threads),
      scalar(`${p}_pool_worker_restarts_total`, 'Workers replaced (after an idle stop, a crash or a deadline).', 'counter', '{restart}', pool.restarts),
      scalar(`${p}_pool_worker_crashes_total`, 'Workers that died.', 'counter', '{crash}', pool.crashes),
      histogram(`${p}_pool_queue_wait_seconds`, 'Time from call() to a worker starting the call.', queueWait),
    ];
  }

  /** The label an export is counted under: its own name while the module has room, else `(other)`. */
  private exportName(module: string, name: string): string {
    let own = this.exportSeries.get(module);
    if (own === undefined) this.exportSeries.set(module, (own = new Set()));
    const shown = guestText(name, 120);
    if (own.has(shown)) return shown;
    if (own.size < this.maxExports) {
      own.add(shown);
      return shown;
    }
    return OTHER_EXPORTS;
  }

  private counter(name: string, labels: Labels, value: number): ScalarPoint {
    return { labels, value: this.monotonic(`${name}${JSON.stringify(labels)}`, value) };
  }

  private monotonic(key: string, value: number): number {
    const before = this.highWater.get(key) ?? 0;
    if (value <= before) return before;
    this.highWater.set(key, value);
    return value;
  }

  private histogram(name: string, labels: Labels, parts: readonly LatencySummary[]): HistogramPoint {
    const key = `${name}${JSON.stringify(labels)}`;
    const values: { seconds: number; count: number }[] = [];
    const cumulative = new Array<number>(this.bounds.length + 1).fill(0);
    let count = 0;
    let sumNs = 0;
    for (const part of parts) {
      for (const { ns, count: n } of recordedValues(part)) {
        const seconds = ns / 1e9;
        values.push({ seconds, count: n });
        let bucket = this.bounds.findIndex((bound) => seconds <= bound);
        if (bucket < 0) bucket = this.bounds.length;
        cumulative[bucket]! += n;
      }
      count += part.count;
      sumNs += part.count * part.mean;
    }
    for (let i = 1; i < cumulative.length; i++) cumulative[i]! += cumulative[i - 1]!;
    return {
      labels,
      cumulative: cumulative.map((n, i) => this.monotonic(`${key}#${i}`, n)),
      count: this.monotonic(`${key}#count`, count),
      sum: this.monotonic(`${key}#sum`, sumNs / 1e9),
      values,
    };
  }
}

/** One snapshot of every source, taken side by side (a pool asks its workers). */
export async function takeSnapshots(sources: Readonly<Record<string, MetricsSource>>): Promise<Record<string, MetricsSnapshot>> {
  const entries = await Promise.all(Object.entries(sources).map(async ([name, source]) => [name, await source.metrics()] as const));
  return Object.fromEntries(entries);
}

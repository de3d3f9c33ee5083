/**
 * Latency histograms: HdrHistogram (hdr-histogram-js, its WebAssembly build: ≈12 ns a
 * record here against ≈75 ns for its JS build). Values are nanoseconds. A histogram
 * travels as HdrHistogram's compressed base64 encoding, so profiles from many instances,
 * workers or processes merge by adding counts, never by averaging percentiles.
 */
import { createRequire } from 'node:module';
import type * as Hdr from 'hdr-histogram-js';

/**
 * hdr-histogram-js (CommonJS) is required on first use, not at import: loading it costs
 * ≈70 ms of a process's start, and a host that never times a call never needs it.
 */
let loaded: typeof Hdr | undefined;
function hdr(): typeof Hdr {
  loaded ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof Hdr;
  return loaded;
}

/** 1 ns to 1 hour at three significant digits (0.1 % resolution). */
const HIGHEST_TRACKABLE_NS = 3_600_000_000_000;
const SIGNIFICANT_DIGITS = 3;

let wasmReady = false;

// WebAssembly-backed histograms live in hdr-histogram-js's own wasm heap: free them when
// their owner is collected, as well as when it is closed explicitly.
const release = new FinalizationRegistry<Hdr.Histogram>((histogram) => histogram.destroy());

export type LatencyHistogram = Hdr.Histogram;

export function createLatencyHistogram(owner?: object): LatencyHistogram {
  if (!wasmReady) {
    hdr().initWebAssemblySync();
    wasmReady = true;
  }
  const histogram = hdr().build({
    bitBucketSize: 32,
    useWebAssembly: true,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_NS,
  });
  if (owner !== undefined) release.register(owner, histogram, histogram);
  return histogram;
}

export function releaseHistogram(histogram: LatencyHistogram): void {
  release.unregister(histogram);
  histogram.destroy();
}

/** Latency summary in nanoseconds; `histogram` is the encoded source of every other field. */
export interface LatencySummary {
  readonly unit: 'ns';
  /** Calls the histogram stands for (sampled calls carry the weight of the calls they represent). */
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** HdrHistogram compressed base64 (V2 encoding): decode with `decodeLatencyHistogram`. */
  readonly histogram: string;
}

export function summarizeHistogram(histogram: LatencyHistogram): LatencySummary {
  const count = histogram.totalCount;
  return {
    unit: 'ns',
    count,
    mean: count === 0 ? 0 : histogram.mean,
    min: count === 0 ? 0 : histogram.minNonZeroValue,
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p95: histogram.getValueAtPercentile(95),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
    histogram: count === 0 ? '' : hdr().encodeIntoCompressedBase64(histogram),
  };
}

export function decodeLatencyHistogram(encoded: string): LatencyHistogram {
  if (!wasmReady) {
    hdr().initWebAssemblySync();
    wasmReady = true;
  }
  return hdr().decodeFromCompressedBase64(encoded, 32, true);
}

/** Merges latency summaries by adding their histograms' counts. */
export function mergeLatency(summaries: readonly LatencySummary[]): LatencySummary {
  const merged = createLatencyHistogram();
  try {
    for (const summary of summaries) {
      if (summary.histogram === '') continue;
      const part = decodeLatencyHistogram(summary.histogram);
      merged.add(part);
      part.destroy();
    }
    return summarizeHistogram(merged);
  } finally {
    merged.destroy();
  }
}

/**
 * The distinct values a summary's histogram holds, ascending, each with its count: the value
 * is the highest its HdrHistogram bucket stands for, so every recorded value is ≤ it (what
 * cumulative `le` buckets need). For exporters, at scrape time.
 */
export function recordedValues(summary: LatencySummary): { readonly ns: number; readonly count: number }[] {
  if (summary.histogram === '') return [];
  const histogram = hdr().decodeFromCompressedBase64(summary.histogram, 32, false) as unknown as {
    recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
  };
  const values: { ns: number; count: number }[] = [];
  const iterator = histogram.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    values.push({ ns: step.valueIteratedTo, count: step.countAtValueIteratedTo });
  }
  return values;
}

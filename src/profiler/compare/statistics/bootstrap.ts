/**
 * Seeded bootstrap (criterion.rs's way to put an interval on a relative change): resample every
 * sample set with replacement, recompute the statistic, and take the percentile interval of the
 * results. The generator is pure-rand's xoroshiro128+, seeded, so the same inputs give the same
 * interval on every run and machine.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { quantileSorted } from 'simple-statistics';

export interface BootstrapOptions {
  /** @default 2000 */
  readonly resamples?: number;
  /** @default 0.95 */
  readonly confidence?: number;
  /** @default 1 */
  readonly seed?: number;
}

export const BOOTSTRAP_DEFAULTS = { resamples: 2000, confidence: 0.95, seed: 1 } as const;

export interface BootstrapInterval {
  /** The statistic on the samples as given. */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  readonly resamples: number;
}

/**
 * Percentile bootstrap interval of `statistic` over independent sample sets (each resampled on
 * its own). `statistic` receives one resampled copy per set; it may reorder them.
 */
export function bootstrapInterval(
  sets: readonly (readonly number[])[],
  statistic: (resampled: readonly Float64Array[]) => number,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const confidence = options.confidence ?? BOOTSTRAP_DEFAULTS.confidence;
  const seed = options.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (sets.some((s) => s.length === 0)) throw new RangeError('bootstrapInterval needs at least one sample in every set');
  const originals = sets.map((s) => Float64Array.from(s));
  const estimate = statistic(originals.map((s) => s.slice()));
  const rng = xoroshiro128plus(seed);
  // An index from one 32-bit draw: bias below n / 2³² (pure-rand's uniformInt removes it by
  // rejection, at several times the cost; at a million resampled values that cost dominated).
  const index = (n: number): number => Math.floor(((rng.next() >>> 0) / 4294967296) * n);
  const buffers = originals.map((s) => new Float64Array(s.length));
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let s = 0; s < originals.length; s++) {
      const from = originals[s]!;
      const into = buffers[s]!;
      for (let i = 0; i < into.length; i++) into[i] = from[index(from.length)]!;
    }
    values[r] = statistic(buffers);
  }
  const sorted = Array.from(values.sort());
  return {
    estimate,
    low: quantileSorted(sorted, (1 - confidence) / 2),
    high: quantileSorted(sorted, (1 + confidence) / 2),
    confidence,
    resamples,
  };
}

/** The k-th smallest value, reordering `values` in place (Hoare's quickselect: no full sort per resample). */
function selectInPlace(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (hi > lo) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/** Median of a buffer, reordering it in place. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const mid = n >> 1;
  const upper = selectInPlace(values, mid);
  if (n % 2 === 1) return upper;
  // Everything left of `mid` is ≤ upper now: the lower middle is their largest.
  let lower = -Infinity;
  for (let i = 0; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/**
 * The median of a resample of `sorted`, drawn as counts: `counts[i]` copies of the i-th smallest
 * value. Walking the counts finds the middle without sorting anything, O(n) a resample.
 */
function resampledMedian(sorted: Float64Array, counts: Uint32Array, draw: (n: number) => number): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[draw(n)]!++;
  // 0-based positions of the middle: one for odd n, two for even n.
  const high = n >> 1;
  const low = n % 2 === 1 ? high : high - 1;
  let seen = 0;
  let lowValue = NaN;
  for (let i = 0; i < n; i++) {
    seen += counts[i]!;
    if (Number.isNaN(lowValue) && seen > low) lowValue = sorted[i]!;
    if (seen > high) return (lowValue + sorted[i]!) / 2;
  }
  return lowValue;
}

/**
 * Bootstrap interval of median(after) / median(before): the statistic `compare` puts an
 * interval on, with each resample's median found by counting draws over the sorted samples.
 */
export function bootstrapRatioOfMedians(before: readonly number[], after: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  const resamples = options.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const confidence = options.confidence ?? BOOTSTRAP_DEFAULTS.confidence;
  const seed = options.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (before.length === 0 || after.length === 0) throw new RangeError('bootstrapRatioOfMedians needs at least one sample on each side');
  const b = Float64Array.from(before).sort();
  const a = Float64Array.from(after).sort();
  const estimate = medianInPlace(a.slice()) / medianInPlace(b.slice());
  const rng = xoroshiro128plus(seed);
  const draw = (n: number): number => Math.floor(((rng.next() >>> 0) / 4294967296) * n);
  const countsB = new Uint32Array(b.length);
  const countsA = new Uint32Array(a.length);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const mb = resampledMedian(b, countsB, draw);
    values[r] = resampledMedian(a, countsA, draw) / mb;
  }
  const sorted = Array.from(values.sort());
  return { estimate, low: quantileSorted(sorted, (1 - confidence) / 2), high: quantileSorted(sorted, (1 + confidence) / 2), confidence, resamples };
}

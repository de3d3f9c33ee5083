/**
 * Seeded bootstrap (criterion.rs's way to put an interval on a relative change): resample every
 * sample set with replacement, recompute the statistic, and take the percentile interval of the
 * results. The generator is pure-rand's xoroshiro128+, seeded, so the same inputs give the same
 * interval on every run and machine.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
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
  const buffers = originals.map((s) => new Float64Array(s.length));
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let s = 0; s < originals.length; s++) {
      const from = originals[s]!;
      const into = buffers[s]!;
      for (let i = 0; i < into.length; i++) into[i] = from[uniformInt(rng, 0, from.length - 1)]!;
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

/** Median of a buffer, sorting it in place. */
export function medianInPlace(values: Float64Array): number {
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/** Bootstrap interval of median(after) / median(before). */
export function bootstrapRatioOfMedians(before: readonly number[], after: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  return bootstrapInterval([before, after], ([b, a]) => medianInPlace(a!) / medianInPlace(b!), options);
}

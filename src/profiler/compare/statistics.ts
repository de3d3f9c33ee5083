/**
 * Statistics for before/after comparisons, pure and seeded (the tuner reuses them).
 *
 *   samples before ─┬─ medianInterval ── median and a distribution-free interval (order statistics)
 *   samples after  ─┤
 *                   ├─ mannWhitneyU ──── p-value: is one side shifted? (exact or normal approx.)
 *                   ├─ bootstrapRatioOfMedians ── seeded interval of after/before
 *                   └─ decideVerdict ─── improved / regressed / unchanged against a noise threshold
 *   many cases ───── holmBonferroni ─── adjusted p-values; geometricMean ── the summary row
 *
 * Parts: statistics/median-interval.ts, mann-whitney.ts, bootstrap.ts, holm.ts.
 * simple-statistics supplies ranks, medians, quantiles, the binomial and erf; pure-rand the
 * seeded generator; what neither provides is written here and tested against SciPy's numbers.
 */
import { geometricMean as simpleGeometricMean } from 'simple-statistics';
import { medianInterval, type MedianInterval } from './statistics/median-interval.js';
import { mannWhitneyU, smallestPossibleP, type MannWhitneyResult } from './statistics/mann-whitney.js';
import { bootstrapRatioOfMedians, type BootstrapInterval, type BootstrapOptions } from './statistics/bootstrap.js';

export { medianInterval, sortedCopy, type MedianInterval } from './statistics/median-interval.js';
export { mannWhitneyU, smallestPossibleP, EXACT_MANN_WHITNEY_MAX_PRODUCT, type MannWhitneyResult } from './statistics/mann-whitney.js';
export { holmBonferroni } from './statistics/holm.js';
export {
  bootstrapInterval, bootstrapRatioOfMedians, medianInPlace, BOOTSTRAP_DEFAULTS,
  type BootstrapInterval, type BootstrapOptions,
} from './statistics/bootstrap.js';

/** Each default written once: the code, the TSDoc and the CLI help read these. */
export const COMPARE_DEFAULTS = {
  /** Significance level of every test (after Holm–Bonferroni across cases). */
  alpha: 0.05,
  /** Relative changes inside ±threshold are noise (criterion.rs's noise threshold). */
  threshold: 0.02,
  /** Confidence of the median and ratio intervals. */
  confidence: 0.95,
  /** Below this many samples a side gets a warning (benchstat's advice). */
  minimumSamples: 10,
} as const;

export type Verdict = 'improved' | 'regressed' | 'unchanged';
/** Which direction is good: time and counts go down, throughput goes up. */
export type Better = 'lower' | 'higher';

/** Geometric mean of positive values (the summary row of ratios). */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('geometricMean needs at least one value');
  if (values.some((v) => !(v > 0))) throw new RangeError('geometricMean needs positive values');
  return simpleGeometricMean([...values]);
}

export interface SampleComparison {
  readonly before: MedianInterval;
  readonly after: MedianInterval;
  /** after / before of the medians, with its seeded bootstrap interval (undefined when before's median is 0). */
  readonly ratio: BootstrapInterval | undefined;
  readonly test: MannWhitneyResult;
}

export interface SampleComparisonOptions extends BootstrapOptions {
  /** @default COMPARE_DEFAULTS.confidence */
  readonly confidence?: number;
}

/** Everything one case needs but the family-wise correction, which needs every case. */
export function compareSamples(before: readonly number[], after: readonly number[], options: SampleComparisonOptions = {}): SampleComparison {
  const confidence = options.confidence ?? COMPARE_DEFAULTS.confidence;
  const b = medianInterval(before, confidence);
  const a = medianInterval(after, confidence);
  const ratio = b.median === 0 ? undefined : bootstrapRatioOfMedians(before, after, { ...options, confidence });
  return { before: b, after: a, ratio, test: mannWhitneyU(before, after) };
}

export interface VerdictInput {
  /** The (adjusted) p-value of the case. */
  readonly p: number;
  /** Interval of after/before. */
  readonly ratioLow: number;
  readonly ratioHigh: number;
  /** @default COMPARE_DEFAULTS.threshold */
  readonly threshold?: number;
  /** @default COMPARE_DEFAULTS.alpha */
  readonly alpha?: number;
  /** @default 'lower' */
  readonly better?: Better;
}

export interface VerdictResult {
  readonly verdict: Verdict;
  /** p < α: the two sides differ. */
  readonly significant: boolean;
  /** Significant, but the ratio's interval reaches into ±threshold: shown as such, never gated on. */
  readonly withinNoise: boolean;
}

/**
 * criterion.rs's rule: a significant difference is a regression only when the whole interval of
 * the relative change lies beyond +threshold, an improvement only when it lies beyond −threshold.
 */
export function decideVerdict(input: VerdictInput): VerdictResult {
  const threshold = input.threshold ?? COMPARE_DEFAULTS.threshold;
  const alpha = input.alpha ?? COMPARE_DEFAULTS.alpha;
  const significant = input.p < alpha;
  if (!significant) return { verdict: 'unchanged', significant, withinNoise: false };
  const slower = input.ratioLow > 1 + threshold;
  const faster = input.ratioHigh < 1 - threshold;
  if (!slower && !faster) return { verdict: 'unchanged', significant, withinNoise: true };
  const worse = (input.better ?? 'lower') === 'lower' ? slower : faster;
  return { verdict: worse ? 'regressed' : 'improved', significant, withinNoise: false };
}

/**
 * Deterministic metrics (instructions, allocations, cache counters) compared exactly
 * (benchstat's assume=exact): any difference is a change; `beyondThreshold` says whether it
 * exceeds the relative threshold the gate uses.
 */
export function compareExact(before: number, after: number, options: { threshold?: number; better?: Better } = {}): { verdict: Verdict; delta: number; relative: number | undefined; beyondThreshold: boolean } {
  const threshold = options.threshold ?? COMPARE_DEFAULTS.threshold;
  const delta = after - before;
  const relative = before === 0 ? (after === 0 ? 0 : undefined) : delta / Math.abs(before);
  const beyondThreshold = relative === undefined ? delta !== 0 : Math.abs(relative) > threshold;
  if (delta === 0) return { verdict: 'unchanged', delta, relative, beyondThreshold: false };
  const worse = (options.better ?? 'lower') === 'lower' ? delta > 0 : delta < 0;
  return { verdict: worse ? 'regressed' : 'improved', delta, relative, beyondThreshold };
}

/**
 * How small a change these sample counts can reveal, for the "fewer than N samples" warning:
 * `undefined` when no arrangement of the samples could reach α at all, else the widest relative
 * half-width of the two medians' intervals (changes inside it cannot be told from noise).
 */
export function detectableChange(before: MedianInterval, after: MedianInterval, alpha: number = COMPARE_DEFAULTS.alpha): number | undefined {
  if (smallestPossibleP(before.n, after.n) >= alpha) return undefined;
  const halfWidth = (m: MedianInterval): number => (m.median === 0 ? 0 : (m.high - m.low) / 2 / Math.abs(m.median));
  return Math.max(halfWidth(before), halfWidth(after));
}

/**
 * Bench-against-bench comparison, benchstat's table with criterion's verdict: per case the two
 * medians with their distribution-free intervals, the ratio after/before with a seeded bootstrap
 * interval, the Mann–Whitney p-value (Holm–Bonferroni-adjusted across the timed cases), and a
 * verdict against the noise threshold; deterministic metrics are compared exactly. A geomean row
 * sums the table up.
 */
import type { BenchCase } from './bench-input.js';
import {
  COMPARE_DEFAULTS, bootstrapRatioOfMedians, compareExact, decideVerdict, detectableChange, geometricMean, holmBonferroni, mannWhitneyU, medianInterval,
  type Better, type MedianInterval, type Verdict,
} from './statistics.js';

export interface CompareOptions {
  /** @default COMPARE_DEFAULTS.alpha (0.05) */
  readonly alpha?: number;
  /** Relative change treated as noise, e.g. 0.02 for 2 %. @default COMPARE_DEFAULTS.threshold */
  readonly threshold?: number;
  /** @default COMPARE_DEFAULTS.confidence (0.95) */
  readonly confidence?: number;
  /** Bootstrap seed: the same inputs and seed print the same output. @default 1 */
  readonly seed?: number;
  /** @default 2000 */
  readonly resamples?: number;
}

export interface ResolvedCompareOptions {
  readonly alpha: number;
  readonly threshold: number;
  readonly confidence: number;
  readonly seed: number;
  readonly resamples: number;
}

export function resolveCompareOptions(options: CompareOptions = {}): ResolvedCompareOptions {
  const resolved = {
    alpha: options.alpha ?? COMPARE_DEFAULTS.alpha,
    threshold: options.threshold ?? COMPARE_DEFAULTS.threshold,
    confidence: options.confidence ?? COMPARE_DEFAULTS.confidence,
    seed: options.seed ?? 1,
    resamples: options.resamples ?? 2000,
  };
  if (!(resolved.alpha > 0 && resolved.alpha < 1)) throw new RangeError(`options.alpha must be in (0, 1), got ${resolved.alpha}`);
  if (!(resolved.threshold >= 0 && Number.isFinite(resolved.threshold))) throw new RangeError(`options.threshold must be a non-negative number, got ${resolved.threshold}`);
  return resolved;
}

export interface CaseComparison {
  readonly key: string;
  readonly benchmark: string;
  readonly case: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  readonly deterministic: boolean;
  readonly before: MedianInterval;
  readonly after: MedianInterval;
  /** after.median / before.median (undefined when before's median is 0). */
  readonly ratio: number | undefined;
  /** Bootstrap interval of the ratio: only for significant timed cases (`~` needs none); the ratio itself for deterministic metrics. */
  readonly ratioLow: number | undefined;
  readonly ratioHigh: number | undefined;
  /** Mann–Whitney p-value as computed, and after Holm–Bonferroni (timed metrics only). */
  readonly p: number | undefined;
  readonly pAdjusted: number | undefined;
  readonly verdict: Verdict;
  /** Timed: adjusted p < α. Deterministic: the values differ. */
  readonly significant: boolean;
  readonly withinNoise: boolean;
  /** Deterministic metrics: the exact difference, and whether it is beyond the threshold. */
  readonly delta?: number;
  readonly beyondThreshold?: boolean;
  /** Why this row's verdict is weaker than it looks (few samples). */
  readonly warnings: readonly string[];
}

export interface BenchComparison {
  readonly options: ResolvedCompareOptions;
  readonly cases: readonly CaseComparison[];
  /** Geometric mean of the ratios (higher-is-better metrics inverted, so < 1 is better everywhere). */
  readonly geomean: { readonly ratio: number; readonly cases: number } | undefined;
  /** Cases only one side has. */
  readonly onlyBefore: readonly string[];
  readonly onlyAfter: readonly string[];
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function sampleWarnings(before: MedianInterval, after: MedianInterval, alpha: number): string[] {
  if (before.n >= COMPARE_DEFAULTS.minimumSamples && after.n >= COMPARE_DEFAULTS.minimumSamples) return [];
  const counts = `${before.n} before, ${after.n} after`;
  const limit = detectableChange(before, after, alpha);
  return [
    limit === undefined
      ? `${counts} samples: cannot detect any change at α = ${alpha}; take at least ${COMPARE_DEFAULTS.minimumSamples} samples a side`
      : `${counts} samples (fewer than ${COMPARE_DEFAULTS.minimumSamples}): cannot detect changes smaller than ±${percent(limit)}`,
  ];
}

export function compareBenchmarks(before: readonly BenchCase[], after: readonly BenchCase[], options: CompareOptions = {}): BenchComparison {
  const o = resolveCompareOptions(options);
  const afterByKey = new Map(after.map((c) => [c.key, c]));
  const beforeKeys = new Set(before.map((c) => c.key));
  const pairs = before.filter((c) => afterByKey.has(c.key)).map((b) => [b, afterByKey.get(b.key)!] as const);

  // Medians and tests first; the bootstrap (the costly part) only where the verdict reads it.
  const partial = pairs.map(([b, a], index) => {
    const deterministic = b.deterministic && a.deterministic;
    const stats = {
      before: medianInterval(b.samples, o.confidence),
      after: medianInterval(a.samples, o.confidence),
      // Exact metrics need no test: any difference is a change.
      test: deterministic ? undefined : mannWhitneyU(b.samples, a.samples),
    };
    return { b, a, index, deterministic, stats };
  });
  const timed = partial.filter((x) => !x.deterministic);
  const adjusted = holmBonferroni(timed.map((x) => x.stats.test!.p));
  const adjustedByKey = new Map(timed.map((x, i) => [x.b.key, adjusted[i]!]));

  const cases = partial.map(({ b, a, index, deterministic, stats }): CaseComparison => {
    const ratio = stats.before.median === 0 ? undefined : stats.after.median / stats.before.median;
    const common = {
      key: b.key, benchmark: b.benchmark, case: b.case, metric: b.metric, unit: b.unit, better: b.better, deterministic,
      before: stats.before, after: stats.after, ratio,
    };
    if (deterministic) {
      const exact = compareExact(stats.before.median, stats.after.median, { threshold: o.threshold, better: b.better });
      return {
        ...common, ratioLow: ratio, ratioHigh: ratio, p: undefined, pAdjusted: undefined,
        verdict: exact.verdict, significant: exact.delta !== 0, withinNoise: false, delta: exact.delta, beyondThreshold: exact.beyondThreshold,
        warnings: [],
      };
    }
    const pAdjusted = adjustedByKey.get(b.key)!;
    // Not significant: `~` whatever the interval, so none is computed. Each case gets its own
    // seed derived from the run's, so cases do not share draws.
    const interval = pAdjusted < o.alpha && stats.before.median !== 0
      ? bootstrapRatioOfMedians(b.samples, a.samples, { confidence: o.confidence, seed: o.seed + index, resamples: o.resamples })
      : undefined;
    const low = interval?.low;
    const high = interval?.high;
    const decided = low === undefined || high === undefined
      ? { verdict: 'unchanged' as const, significant: pAdjusted < o.alpha, withinNoise: false }
      : decideVerdict({ p: pAdjusted, ratioLow: low, ratioHigh: high, threshold: o.threshold, alpha: o.alpha, better: b.better });
    return {
      ...common, ratioLow: low, ratioHigh: high, p: stats.test!.p, pAdjusted, ...decided,
      warnings: sampleWarnings(stats.before, stats.after, o.alpha),
    };
  });

  const costRatios = cases
    .filter((c) => c.ratio !== undefined && c.ratio > 0)
    .map((c) => (c.better === 'higher' ? 1 / c.ratio! : c.ratio!));
  return {
    options: o,
    cases,
    geomean: costRatios.length === 0 ? undefined : { ratio: geometricMean(costRatios), cases: costRatios.length },
    onlyBefore: before.filter((c) => !afterByKey.has(c.key)).map((c) => c.key),
    onlyAfter: after.filter((c) => !beforeKeys.has(c.key)).map((c) => c.key),
  };
}

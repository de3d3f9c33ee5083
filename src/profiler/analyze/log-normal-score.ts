/**
 * Lighthouse's scoring curve: a metric where lower is better maps to 0..1 through a log-normal
 * complementary CDF fixed by two control points — `p10` scores 0.9, `median` scores 0.5. The
 * bands are clamped as Lighthouse clamps them (≤ p10 → ≥ 0.9, ≤ median → [0.5, 0.9), above → < 0.5),
 * so rounding can never move a value across a band. Rules document their control points in
 * docs/analysis.md; the severity is read from the score.
 */
import type { Severity } from '../model/finding.js';

/** erfc(x), Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** erfc⁻¹(0.2): the standardised distance at which the complementary CDF is 0.1. */
const INVERSE_ERFC_ONE_FIFTH = 0.9061938024368232;

export interface ControlPoints {
  /** The value that scores 0.9: at or below it the metric is good. */
  readonly p10: number;
  /** The value that scores 0.5: above it the finding is high severity. */
  readonly median: number;
}

export function logNormalScore(value: number, { p10, median }: ControlPoints): number {
  if (!(p10 > 0 && median > p10)) throw new RangeError(`control points need 0 < p10 < median, got p10 ${p10}, median ${median}`);
  if (value <= 0) return 1;
  const standardised = (Math.log(value / median) * INVERSE_ERFC_ONE_FIFTH) / -Math.log(p10 / median);
  const score = erfc(standardised) / 2;
  if (value <= p10) return Math.max(0.9, Math.min(1, score));
  if (value <= median) return Math.max(0.5, Math.min(0.8999999999999999, score));
  return Math.max(0, Math.min(0.49999999999999994, score));
}

/** Below 0.5 (past the median) high; below 0.75 medium; else low. */
export function severityFor(score: number): Severity {
  return score < 0.5 ? 'high' : score < 0.75 ? 'medium' : 'low';
}

/** A rating record for a finding, and the severity it implies. */
export function rate(metric: string, value: number, points: ControlPoints): { rating: { metric: string; value: number; p10: number; median: number; score: number }; severity: Severity } {
  const score = logNormalScore(value, points);
  return { rating: { metric, value, p10: points.p10, median: points.median, score }, severity: severityFor(score) };
}

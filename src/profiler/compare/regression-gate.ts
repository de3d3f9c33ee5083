/**
 * The regression gate (`compare … --fail-on-regression`): which cases fail a CI run. A timed case
 * fails when it regressed significantly beyond the threshold (its verdict says so); a
 * deterministic metric fails on any worsening beyond the threshold, no statistics needed.
 */
import type { BenchComparison } from './compare-benchmarks.js';
import type { ExactMetric } from './compare-profiles.js';

export interface GateFailure {
  /** What regressed: a bench case key or an exact metric's name. */
  readonly name: string;
  /** One line: by how much, and on what evidence. */
  readonly reason: string;
}

const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;

export function benchGateFailures(comparison: BenchComparison): GateFailure[] {
  const threshold = comparison.options.threshold;
  const failures: GateFailure[] = [];
  for (const c of comparison.cases) {
    if (c.verdict !== 'regressed') continue;
    if (c.deterministic) {
      if (c.beyondThreshold === true) failures.push({ name: c.key, reason: `${c.before.median} → ${c.after.median} ${c.unit} (exact, beyond ±${(threshold * 100).toFixed(1)} %)` });
    } else {
      failures.push({
        name: c.key,
        reason: `${pct(c.ratio!)} [${pct(c.ratioLow!)}, ${pct(c.ratioHigh!)}], p = ${c.pAdjusted!.toPrecision(2)} (Holm), beyond ±${(threshold * 100).toFixed(1)} %`,
      });
    }
  }
  return failures;
}

export function exactGateFailures(metrics: readonly ExactMetric[], threshold: number): GateFailure[] {
  return metrics
    .filter((m) => m.verdict === 'regressed' && m.beyondThreshold)
    .map((m) => ({ name: m.name, reason: `${m.before} → ${m.after} ${m.unit} (${m.relative === undefined ? 'from 0' : pct(1 + m.relative)}, exact, beyond ±${(threshold * 100).toFixed(1)} %)` }));
}

/**
 * The before/after table, benchstat's layout: one row per (module or benchmark, export or
 * case, metric) present in both runs, the two values and the change. Bench cases go through
 * profiler/compare/ (medians with intervals, Mann–Whitney after Holm, the bootstrap interval of
 * the ratio, exact comparison of deterministic counts); module exports are compared from what
 * each run saved, one summary per side, without a test, and the notes say so.
 */
import { mergeLatency } from '../../build/latency-histogram.js';
import { benchCases } from '../../compare/bench-input.js';
import { compareBenchmarks } from '../../compare/compare-benchmarks.js';
import type { ReportRun } from './report-input.js';

export interface ComparisonRow {
  /** Module label or benchmark name. */
  readonly group: string;
  /** Export or bench case. */
  readonly name: string;
  readonly metric: string;
  readonly unit: string;
  readonly before: number;
  readonly after: number;
  /** after / before − 1 (NaN when before is 0). */
  readonly delta: number;
  /** Whether a smaller value is the better one (latency, instructions), for colouring the change. */
  readonly lowerIsBetter: boolean;
  /** A count that does not vary run to run (instructions): any change is real. */
  readonly deterministic?: boolean;
  /** From a significance test, when one ran (after Holm–Bonferroni). */
  readonly p?: number;
  readonly n?: { readonly before: number; readonly after: number };
  /** Distribution-free intervals of each side's median, and the bootstrap interval of the change. */
  readonly beforeInterval?: readonly [number, number];
  readonly afterInterval?: readonly [number, number];
  readonly deltaInterval?: readonly [number, number];
  /** compare/'s verdict: a change that is not significant (or within noise) is `unchanged`. */
  readonly verdict?: 'improved' | 'regressed' | 'unchanged';
  readonly warnings?: readonly string[];
}

export interface ReportComparison {
  readonly rows: readonly ComparisonRow[];
  readonly notes: readonly string[];
}

function row(group: string, name: string, metric: string, unit: string, before: number, after: number, lowerIsBetter: boolean): ComparisonRow {
  return { group, name, metric, unit, before, after, delta: before === 0 ? (after === 0 ? 0 : NaN) : after / before - 1, lowerIsBetter };
}

/** Deltas between the modules (matched by label) and bench results (by benchmark, case, metric) both runs hold. */
export function compareRuns(before: ReportRun, after: ReportRun): ReportComparison {
  const rows: ComparisonRow[] = [];
  for (const next of after.modules) {
    const label = next.profile.module.label;
    const prior = before.modules.find((m) => m.profile.module.label === label) ?? (before.modules.length === 1 && after.modules.length === 1 ? before.modules[0] : undefined);
    if (prior === undefined) continue;
    for (const e of next.profile.exports) {
      const p = prior.profile.exports.find((x) => x.name === e.name);
      if (p === undefined) continue;
      // Summaries carry their histogram: merged with nothing, each re-derives its own numbers.
      const [a, b] = [mergeLatency([p.latency]), mergeLatency([e.latency])];
      rows.push(row(label, e.name, 'mean latency', 'ns', a.mean, b.mean, true));
      rows.push(row(label, e.name, 'p50 latency', 'ns', a.p50, b.p50, true));
      rows.push(row(label, e.name, 'p99 latency', 'ns', a.p99, b.p99, true));
      if (p.instructions > 0 && e.instructions > 0 && p.calls > 0 && e.calls > 0) {
        rows.push({ ...row(label, e.name, 'instructions/call', 'instructions', p.instructions / p.calls, e.instructions / e.calls, true), deterministic: true });
      }
    }
  }
  const notes: string[] = [];
  const [benchBefore, benchAfter] = [before, after].map((run) => (run.bench ?? []).flatMap((f, i) => benchCases(f, `${run.name} bench ${i + 1}`)));
  if (benchBefore!.length > 0 && benchAfter!.length > 0) {
    const compared = compareBenchmarks(benchBefore!, benchAfter!);
    for (const c of compared.cases) {
      rows.push({
        group: c.benchmark,
        name: c.case,
        metric: c.metric,
        unit: c.unit,
        before: c.before.median,
        after: c.after.median,
        delta: c.ratio === undefined ? NaN : c.ratio - 1,
        lowerIsBetter: c.better === 'lower',
        ...(c.pAdjusted === undefined ? {} : { p: c.pAdjusted }),
        n: { before: c.before.n, after: c.after.n },
        beforeInterval: [c.before.low, c.before.high],
        afterInterval: [c.after.low, c.after.high],
        ...(c.ratioLow === undefined || c.ratioHigh === undefined ? {} : { deltaInterval: [c.ratioLow - 1, c.ratioHigh - 1] as const }),
        verdict: c.verdict,
        warnings: c.warnings,
      });
    }
    if (compared.geomean !== undefined) notes.push(`Geometric mean of the bench ratios: ${compared.geomean.ratio.toFixed(3)} over ${compared.geomean.cases} cases (below 1 is better).`);
    notes.push(`Bench cases: medians with ${Math.round(compared.options.confidence * 100)} % intervals, Mann–Whitney U after Holm–Bonferroni at α = ${compared.options.alpha}; "~" is no significant change.`);
  }
  if (rows.some((r) => r.verdict === undefined)) {
    notes.push('Module exports: one latency summary per side, so their change is measured, not tested for significance (no p-value); repeat the runs as benches before trusting small changes. Instructions per call are deterministic: any change there is real.');
  }
  return { rows, notes };
}

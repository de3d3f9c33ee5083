/**
 * The before/after table, benchstat's layout: one row per (module or benchmark, export or
 * case, metric) present in both runs, the two values and the change. Statistics with a
 * significance test (profiler/compare/) may supply `p` and `n`; `compareRuns` computes the
 * deltas from what each run saved, one value per side, and says so in its notes.
 */
import { mergeLatency } from '../../build/latency-histogram.js';
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
  /** From a significance test, when one ran. */
  readonly p?: number;
  readonly n?: { readonly before: number; readonly after: number };
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
        rows.push(row(label, e.name, 'instructions/call', 'instructions', p.instructions / p.calls, e.instructions / e.calls, true));
      }
    }
  }
  const benchBefore = (before.bench ?? []).flatMap((f) => f.results);
  for (const r of (after.bench ?? []).flatMap((f) => f.results)) {
    const p = benchBefore.find((x) => x.benchmark === r.benchmark && x.case === r.case && x.metric === r.metric);
    if (p === undefined) continue;
    rows.push(row(r.benchmark, r.case, r.metric, r.unit, p.value, r.value, !/\/s\b|per second|throughput|ops/i.test(`${r.unit} ${r.metric}`)));
    if (p.ratio !== undefined && r.ratio !== undefined) rows.push(row(r.benchmark, r.case, `${r.metric} ÷ same-run baseline`, '×', p.ratio, r.ratio, true));
  }
  return {
    rows,
    notes: [
      'Each side is one run: the change is measured, not tested for significance (no p-value). Repeat runs and compare with profiler/compare/ statistics before trusting small changes.',
      'Instructions per call are deterministic: any change there is real.',
    ],
  };
}

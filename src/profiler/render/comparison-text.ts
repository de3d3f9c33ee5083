/**
 * Terminal tables for comparisons (benchstat's layout): medians with their interval, the change
 * with its interval, `~` when the difference is not significant, the p-value and sample counts,
 * the verdict, and a geomean row. Case and function names are untrusted text: escaped here.
 */
import type { BenchComparison, CaseComparison } from '../compare/compare-benchmarks.js';
import type { ExactMetric, ProfileComparison } from '../compare/compare-profiles.js';
import type { CountDelta } from '../compare/compare-memory.js';
import { renderTable, terminalSafe } from './terminal-text.js';

function number(value: number): string {
  const abs = Math.abs(value);
  // Counts print whole: an exact delta of 1 in 10 million must stay visible.
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (abs < 0.01 || abs >= 1e9) return value.toPrecision(3);
  return Number.isInteger(value) ? value.toLocaleString('en-US') : Number(value.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

const signedPercent = (relative: number): string => `${relative >= 0 ? '+' : ''}${(relative * 100).toFixed(1)} %`;
const signed = (n: number): string => (n > 0 ? `+${number(n)}` : n === 0 ? '0' : number(n));

const NS_PER: Readonly<Record<string, number>> = { ns: 1, 'µs': 1e3, us: 1e3, ms: 1e6, s: 1e9 };

/** Times in the unit that keeps 1–3 digits before the point (4,390,000 ns reads as 4.39 ms). */
function quantity(value: number, unit: string): string {
  const scale = NS_PER[unit];
  if (scale === undefined || value === 0) return `${number(value)} ${unit}`;
  const ns = value * scale;
  const [shown, name] = Math.abs(ns) >= 1e9 ? [ns / 1e9, 's'] : Math.abs(ns) >= 1e6 ? [ns / 1e6, 'ms'] : Math.abs(ns) >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  return `${Number(shown.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 3 })} ${name}`;
}

function median(c: CaseComparison, side: 'before' | 'after'): string {
  const m = c[side];
  if (c.deterministic || m.median === 0) return `${number(m.median)} ${c.unit}`;
  const half = Math.max(m.high - m.median, m.median - m.low) / Math.abs(m.median);
  return `${quantity(m.median, c.unit)} ±${(half * 100).toFixed(1)} %`;
}

function change(c: CaseComparison): string {
  if (c.ratio === undefined) return c.before.median === c.after.median ? '~' : 'from 0';
  if (c.deterministic) return c.delta === 0 ? '0 (exact)' : `${signed(c.delta!)} (${signedPercent(c.ratio - 1)}, exact)`;
  if (!c.significant) return '~';
  return `${signedPercent(c.ratio - 1)} [${signedPercent(c.ratioLow! - 1)}, ${signedPercent(c.ratioHigh! - 1)}]`;
}

function evidence(c: CaseComparison): string {
  if (c.deterministic) return 'exact';
  return `p=${c.pAdjusted!.toFixed(3)} n=${c.before.n}+${c.after.n}`;
}

function verdict(c: CaseComparison): string {
  if (c.withinNoise) return 'within noise';
  return c.verdict === 'unchanged' ? '' : c.verdict;
}

export function formatBenchComparison(comparison: BenchComparison): string {
  const o = comparison.options;
  const rows = comparison.cases.map((c) => [terminalSafe(c.key), median(c, 'before'), median(c, 'after'), change(c), evidence(c), verdict(c)]);
  if (comparison.geomean) rows.push(['geomean', '', '', signedPercent(comparison.geomean.ratio - 1), `${comparison.geomean.cases} case${comparison.geomean.cases === 1 ? '' : 's'}`, '']);
  const lines = [
    renderTable(['case', 'before', 'after', 'vs before', 'p (Holm)', 'verdict'], rows, ['left', 'right', 'right', 'right', 'left', 'left']),
    `α = ${o.alpha}, noise threshold ±${(o.threshold * 100).toFixed(1)} %, ${(o.confidence * 100).toFixed(0)} % intervals (medians: order statistics; change: bootstrap, ${o.resamples} resamples, seed ${o.seed}); ~ = not significant`,
  ];
  // One line per distinct warning, naming its cases: 20 single-sample rows say it once.
  const warned = new Map<string, string[]>();
  for (const c of comparison.cases) for (const w of c.warnings) warned.set(w, [...(warned.get(w) ?? []), terminalSafe(c.key)]);
  for (const [w, keys] of warned) lines.push(`warning: ${keys.join('; ')}: ${w}`);
  if (comparison.onlyBefore.length > 0) lines.push(`only before: ${comparison.onlyBefore.map((k) => terminalSafe(k)).join('; ')}`);
  if (comparison.onlyAfter.length > 0) lines.push(`only after: ${comparison.onlyAfter.map((k) => terminalSafe(k)).join('; ')}`);
  return lines.join('\n');
}

function countCells(c: CountDelta): string[] {
  const rel = c.before === 0 ? (c.after === 0 ? '' : 'new') : signedPercent(c.delta / Math.abs(c.before));
  return [number(c.before), number(c.after), signed(c.delta), rel];
}

export function formatExactMetrics(metrics: readonly ExactMetric[]): string {
  return renderTable(
    ['exact metric', 'before', 'after', 'delta', 'change', 'verdict'],
    metrics.map((m) => [terminalSafe(m.name), ...countCells(m), m.verdict === 'unchanged' ? '' : m.verdict]),
    ['left', 'right', 'right', 'right', 'right', 'left'],
  );
}

export function formatProfileComparison(comparison: ProfileComparison, limit = 20): string {
  const unit = comparison.unit ?? 'weight';
  const lines: string[] = [];
  const changed = comparison.functions.filter((f) => f.self.delta !== 0 || f.total.delta !== 0 || f.presence !== 'both');
  if (comparison.functions.length > 0) lines.push(`${comparison.exact ? 'exact ' : ''}${unit}: total ${number(comparison.total.before)} → ${number(comparison.total.after)} (${signed(comparison.total.delta)})`);
  if (comparison.functions.length > 0) lines.push(
    changed.length === 0
      ? 'functions: no change'
      : renderTable(
        ['function', 'self before', 'self after', 'self delta', 'total delta', 'calls delta', ''],
        changed.slice(0, limit).map((f) => [
          terminalSafe(f.renamedFrom === undefined ? f.name : `${f.name} (was ${f.renamedFrom})`), number(f.self.before), number(f.self.after), signed(f.self.delta), signed(f.total.delta), signed(f.calls.delta),
          f.presence === 'both' ? '' : f.presence,
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      ),
  );
  if (changed.length > limit) lines.push(`… ${changed.length - limit} more changed functions`);
  if (comparison.appeared.length > 0) lines.push(`appeared: ${comparison.appeared.slice(0, limit).map((n) => terminalSafe(n)).join(', ')}${comparison.appeared.length > limit ? ', …' : ''}`);
  if (comparison.vanished.length > 0) lines.push(`vanished: ${comparison.vanished.slice(0, limit).map((n) => terminalSafe(n)).join(', ')}${comparison.vanished.length > limit ? ', …' : ''}`);
  const a = comparison.allocations;
  if (a) {
    lines.push('', a.sites.length === 0 ? 'allocation sites: no change' : renderTable(
      ['allocation site', 'blocks before', 'blocks after', 'bytes before', 'bytes after', 'bytes delta', ''],
      a.sites.slice(0, limit).map((s) => [terminalSafe(s.stack.join(' → ')), number(s.blocks.before), number(s.blocks.after), number(s.bytes.before), number(s.bytes.after), signed(s.bytes.delta), s.presence === 'both' ? '' : s.presence]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    ));
  }
  const c = comparison.cache;
  if (c) {
    lines.push('', c.functions.length === 0 ? 'cache per function: no change' : renderTable(
      ['function (cache)', 'accesses delta', 'D1 misses before', 'D1 misses after', 'LL misses delta', 'est. cycles delta', ''],
      c.functions.slice(0, limit).map((f) => [terminalSafe(f.name), signed(f.accesses.delta), number(f.d1Misses.before), number(f.d1Misses.after), signed(f.llMisses.delta), signed(f.estimatedCycles.delta), f.presence === 'both' ? '' : f.presence]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    ));
  }
  if (comparison.exactMetrics.length > 0) lines.push(...(lines.length > 0 ? [''] : []), formatExactMetrics(comparison.exactMetrics));
  for (const note of comparison.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

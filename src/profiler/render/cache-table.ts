/**
 * A cache report for a terminal, in the manner of cg_annotate: the geometry first (results
 * mean nothing without it), program totals, then per-function and per-export rows with
 * cachegrind's columns, miss rates, the model's estimated cycles and the access pattern;
 * then the reuse-distance histogram as miss rates of fully associative LRU caches.
 */
import type { CacheCounters, CacheReport, StridePattern } from '../model/cache-report.js';
import { describeGeometry } from '../build/cache-geometry.js';
import { missRateAt } from '../build/cache-report-builder.js';
import { frameKey } from '../model/call-tree.js';
import { distinctLabels } from './frame-labels.js';
import { formatBytes, renderTable, terminalSafe } from './terminal-text.js';

const n = (v: number): string => Math.round(v).toLocaleString('en-US');
const pct = (v: number | undefined): string => (v === undefined ? '—' : `${(100 * v).toFixed(2)}%`);

export function strideText(stride: StridePattern): string {
  return stride.kind === 'irregular' ? 'irregular' : `${stride.kind} ${stride.bytes} B`;
}

function columns(c: CacheCounters): string[] {
  return [n(c.reads), n(c.d1ReadMisses), n(c.llReadMisses), n(c.writes), n(c.d1WriteMisses), n(c.llWriteMisses), pct(c.d1MissRate), pct(c.llMissRate), n(c.estimatedCycles)];
}

const HEADERS = ['Dr', 'D1mr', 'DLmr', 'Dw', 'D1mw', 'DLmw', 'D1 miss', 'LL miss', 'est. cycles'];
const RIGHT = Array<'right'>(HEADERS.length).fill('right');

export function formatCacheReport(report: CacheReport, limit = 15): string {
  const lines = [`cache simulation: ${describeGeometry(report.geometry)}`];
  lines.push(renderTable([...HEADERS, ''], [[...columns(report.totals), 'PROGRAM TOTALS']], [...RIGHT, 'left']));
  if (report.functions.length > 0) {
    const shown = report.functions.slice(0, limit);
    const labels = distinctLabels(shown, (name) => terminalSafe(name));
    lines.push('', renderTable([...HEADERS, 'pattern', 'function'], shown.map((f) => [...columns(f), strideText(f.stride), labels.get(frameKey(f)) ?? terminalSafe(f.name)]), [...RIGHT, 'left', 'left']));
  }
  if (report.exports.length > 0) {
    const rows = report.exports.map((e) => [...columns(e), n(e.calls), `${n(e.workingSetLines)} lines (${formatBytes(e.workingSetLines * report.geometry.d1.lineBytes)})`, terminalSafe(e.name)]);
    lines.push('', renderTable([...HEADERS, 'calls', 'working set/call', 'export'], rows, [...RIGHT, 'right', 'right', 'left']));
  }
  const reuse = report.reuseDistance;
  if (reuse.buckets.length > 0 || reuse.cold > 0) {
    const sizes = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144];
    const rates = sizes.map((lines) => `${formatBytes(lines * reuse.lineBytes)} ${pct(missRateAt(reuse, lines))}`);
    lines.push('', `reuse distance (${reuse.lineBytes} B lines): a fully associative LRU cache of … would miss: ${rates.join(' · ')} (cold ${n(reuse.cold)})`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

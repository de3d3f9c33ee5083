/**
 * Panels that belong to a run rather than a module: the pool's workers, the benchmark
 * results, and, given two runs, the benchstat-style comparison table.
 */
import type { BenchFile } from '../../model/bench-result.js';
import type { PoolProfile } from '../../model/pool-profile.js';
import { formatBytes, formatNs } from '../terminal-text.js';
import type { ReportComparison } from './comparison.js';
import { name, num, percent, text } from './html-text.js';
import { numberCell, sortableTable } from './sortable-table.js';

export function workersPanel(id: string, workers: PoolProfile['workers']): string {
  return (
    `<section class="panel" id="${id}"><h3>Pool workers</h3><table class="plain"><tbody>` +
    `<tr><th scope="row">worker threads</th><td class="n">${text(num(workers.threads))}</td></tr>` +
    `<tr><th scope="row">restarts (a worker replaced)</th><td class="n">${text(num(workers.restarts))}</td></tr>` +
    `<tr><th scope="row">crashes (a worker died under a call)</th><td class="n">${text(num(workers.crashes))}</td></tr>` +
    `</tbody></table><p class="note">Queue wait per module is in each module's panels below.</p></section>`
  );
}

function benchValue(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${num(value, digits)} ${unit}`;
}

export function benchPanel(id: string, files: readonly BenchFile[]): string {
  return files
    .map((f, k) => {
      const m = f.machine;
      return (
        `<section class="panel" id="${id}-${k}"><h3>Benchmark <code>${name(f.benchmark)}</code></h3>` +
        `<p class="meta">started ${text(f.startedAt)} on ${text(num(m.cpus))} × ${name(m.model)}, ${text(formatBytes(m.memoryBytes))}, ${text(m.platform)}/${text(m.arch)}; ` +
        `${Object.entries(f.versions).map(([k2, v]) => `${name(k2)} ${name(v)}`).join(', ')}</p>` +
        sortableTable(
          `${id}-${k}-table`,
          [{ label: 'case' }, { label: 'metric' }, { label: 'value', numeric: true }, { label: 'baseline (same run)' }, { label: 'baseline value', numeric: true }, { label: 'ratio', numeric: true }, { label: 'target' }, { label: 'met' }],
          f.results.map((r) => ({
            cells: [
              name(r.case),
              name(r.metric),
              numberCell(r.value, (v) => benchValue(v, r.unit)),
              r.baseline === undefined ? '—' : name(r.baseline.name),
              numberCell(r.baseline?.value, (v) => benchValue(v, r.unit)),
              numberCell(r.ratio, (v) => `${num(v, 2)}×`),
              r.target === undefined ? '—' : name(r.target),
              r.met === undefined ? '—' : r.met ? 'yes' : '<b class="delta-worse">no</b>',
            ],
          })),
        ) +
        `</section>`
      );
    })
    .join('\n');
}

function value(v: number, unit: string): string {
  return unit === 'ns' ? formatNs(v) : `${num(v, Math.abs(v) >= 100 ? 0 : 2)} ${unit}`;
}

export function comparisonPanel(id: string, comparison: ReportComparison, beforeName: string, afterName: string): string {
  if (comparison.rows.length === 0) return `<section class="panel" id="${id}"><h3>Comparison</h3><p class="empty">The two runs share no module export or bench case to compare.</p></section>`;
  const table = sortableTable(
    `${id}-table`,
    [{ label: 'module / benchmark' }, { label: 'export / case' }, { label: 'metric' }, { label: `before (${beforeName})`, numeric: true }, { label: `after (${afterName})`, numeric: true }, { label: 'delta', numeric: true }, { label: 'p', numeric: true, title: 'significance test, when one ran' }],
    comparison.rows.map((r) => {
      const interval = (iv: readonly [number, number] | undefined): string => (iv === undefined || iv[0] === iv[1] ? '' : ` <span class="iv">${text(`${value(iv[0], r.unit)} … ${value(iv[1], r.unit)}`)}</span>`);
      const changed = Number.isFinite(r.delta) && r.delta !== 0;
      // Coloured only when judged: compare/'s verdict, a p-value that came with the row, or an exact count.
      const judged = r.verdict !== undefined || r.p !== undefined || r.deterministic === true;
      const verdict = r.verdict ?? (!changed || (r.p !== undefined && r.p >= 0.05) ? 'unchanged' : (r.delta < 0) === r.lowerIsBetter ? 'improved' : 'regressed');
      const cls = !judged ? '' : verdict === 'improved' ? 'delta-better' : verdict === 'regressed' ? 'delta-worse' : '';
      const shown = !Number.isFinite(r.delta) ? '—' : verdict === 'unchanged' && changed && (r.verdict !== undefined || r.p !== undefined) ? '~' : `${r.delta > 0 ? '+' : ''}${percent(r.delta, 2)}`;
      const deltaIv = r.deltaInterval === undefined || r.deltaInterval[0] === r.deltaInterval[1] ? '' : ` <span class="iv">${text(`${percent(r.deltaInterval[0], 1)} … ${percent(r.deltaInterval[1], 1)}`)}</span>`;
      const warn = r.warnings === undefined || r.warnings.length === 0 ? '' : ` <span class="warn" title="${text(r.warnings.join(' '))}">⚠</span>`;
      return {
        cells: [
          `<code>${name(r.group)}</code>`,
          `<code>${name(r.name)}</code>`,
          name(r.metric),
          { html: text(value(r.before, r.unit)) + interval(r.beforeInterval), sort: r.before },
          { html: text(value(r.after, r.unit)) + interval(r.afterInterval), sort: r.after },
          { html: (cls === '' ? text(shown) : `<span class="${cls}">${text(shown)}</span>`) + deltaIv + warn, ...(Number.isFinite(r.delta) ? { sort: r.delta } : {}) },
          r.p === undefined ? (r.n === undefined ? '—' : text(`n=${r.n.before}+${r.n.after}`)) : { html: text(`p=${r.p.toPrecision(2)}${r.n === undefined ? '' : ` n=${r.n.before}+${r.n.after}`}`), sort: r.p },
        ],
      };
    }),
  );
  return `<section class="panel" id="${id}"><h3>Comparison (benchstat style)</h3>${table}${comparison.notes.map((n) => `<p class="note">${text(n)}</p>`).join('')}</section>`;
}

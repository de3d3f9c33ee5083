/**
 * One module's panels, in the order a person reads them once the findings have said where to
 * look: cold start, latency (percentiles and the HdrHistogram plot), exports, memory, cache,
 * top functions, the flamegraph. A panel whose data the run did not record says so and how
 * to record it, rather than vanishing.
 */
import type { ExportProfile } from '../../build/call-recorder.js';
import { functionStats, type FunctionStats } from '../../model/call-tree.js';
import type { AllocationReport } from '../../model/allocation-report.js';
import type { CacheReport } from '../../model/cache-report.js';
import type { ModuleProfile } from '../../model/module-profile.js';
import { formatBytes, formatMs, formatNs } from '../terminal-text.js';
import type { InlineFlamegraph } from '../flame-svg.js';
import { bytesOverCallsChart, percentileChart, stackedBar, type Series } from './charts.js';
import { name, num, percent, text } from './html-text.js';
import type { ReportModule } from './report-input.js';
import { numberCell, sortableTable } from './sortable-table.js';

/** Where a module's panels and rows are, for the findings' evidence links. */
export interface ModuleAnchors {
  readonly label: string;
  readonly moduleId: string;
  /** Guest function name → row id in the top-functions table. */
  readonly functionRows: ReadonlyMap<string, string>;
  /** Export name → row id in the exports table. */
  readonly exportRows: ReadonlyMap<string, string>;
  readonly panels: {
    readonly module: string;
    readonly coldStart: string;
    readonly latency: string;
    readonly exports: string;
    readonly memory: string;
    readonly cache: string;
    readonly functions: string;
    readonly flame: string;
    readonly pool: string;
  };
}

const notRecorded = (what: string, how: string): string => `<p class="empty">${text(what)} was not recorded for this run. ${text(how)}</p>`;

function panel(id: string, title: string, body: string): string {
  return `<section class="panel" id="${id}"><h3>${text(title)}</h3>${body}</section>`;
}

function coldStart(p: ModuleProfile, prefix: string): string {
  const c = p.coldStart;
  const rewrite = p.instrumentation !== undefined && !p.instrumentation.fromDiskCache ? p.instrumentation.rewriteMs : 0;
  const parts = [
    { label: 'read', value: c.readMs },
    { label: 'hash', value: c.hashMs },
    { label: 'rewrite', value: rewrite },
    { label: 'compile', value: c.compileMs },
    { label: 'instantiate', value: c.instantiateMs ?? 0 },
    { label: `first call${c.firstCallExport === undefined ? '' : ` (${c.firstCallExport})`}`, value: c.firstCallMs ?? 0 },
  ];
  const total = parts.reduce((n, x) => n + x.value, 0);
  const rows = parts
    .map((x) => `<tr><th scope="row">${name(x.label)}</th><td class="n">${text(formatMs(x.value))}</td><td class="n">${text(percent(total > 0 ? x.value / total : 0))}</td></tr>`)
    .join('');
  const cache = p.cache;
  return (
    stackedBar(`${prefix}-cold-bar`, parts.map((x) => ({ label: x.label, value: x.value })), (v) => formatMs(v)) +
    `<table class="plain"><thead><tr><th>stage</th><th class="n">time</th><th class="n">share</th></tr></thead><tbody>${rows}` +
    `<tr class="total"><th scope="row">until the first call returned</th><td class="n">${text(formatMs(total))}</td><td></td></tr></tbody></table>` +
    `<p>Module cache: <b>${text(c.cache)}</b>${p.instrumentation === undefined ? '' : `; rewritten with ${text(p.instrumentation.passes.join(', ') || 'no passes')}${p.instrumentation.fromDiskCache ? ' (instrumented bytes from the disk cache)' : ''}`}. ` +
    `Host cache: ${num(cache.hits)} hits, ${num(cache.misses)} misses, ${num(cache.coalesced)} coalesced, ${num(cache.evictions)} evictions; ${num(cache.entries)} of ${num(cache.maxEntries)} entries, ${text(formatBytes(cache.bytes))} of ${text(formatBytes(cache.maxBytes))}.</p>`
  );
}

function latencyTable(rows: readonly { label: string; e: ExportProfile['latency']; timing?: ExportProfile['timing'] }[], id: string): string {
  return sortableTable(
    id,
    [{ label: 'export' }, { label: 'calls', numeric: true }, { label: 'mean', numeric: true }, { label: 'min', numeric: true }, { label: 'p50', numeric: true }, { label: 'p90', numeric: true }, { label: 'p95', numeric: true }, { label: 'p99', numeric: true }, { label: 'max', numeric: true }, { label: 'timed / sampled', numeric: true, title: 'calls timed individually, and of those, timed as a sample standing for several calls' }],
    rows.map((r) => ({
      cells: [
        `<code>${name(r.label)}</code>`,
        numberCell(r.e.count, (v) => num(v)),
        numberCell(r.e.mean, formatNs),
        numberCell(r.e.min, formatNs),
        numberCell(r.e.p50, formatNs),
        numberCell(r.e.p90, formatNs),
        numberCell(r.e.p95, formatNs),
        numberCell(r.e.p99, formatNs),
        numberCell(r.e.max, formatNs),
        r.timing === undefined ? '—' : { html: text(`${num(r.timing.timedCalls)} / ${num(r.timing.sampledCalls)}`), sort: r.timing.timedCalls },
      ],
    })),
  );
}

function exportsTable(p: ModuleProfile, prefix: string, rowIds: Map<string, string>): string {
  if (p.exports.length === 0) return `<p class="empty">No export was called.</p>`;
  return sortableTable(
    `${prefix}-exports-table`,
    [
      { label: 'export' }, { label: 'calls', numeric: true }, { label: 'ok', numeric: true }, { label: 'errors', numeric: true },
      { label: 'p50', numeric: true }, { label: 'p99', numeric: true }, { label: 'total', numeric: true }, { label: 'calls/s', numeric: true },
      { label: 'memory grew', numeric: true, title: 'calls during which guest memory grew, and by how much' }, { label: 'bytes in', numeric: true }, { label: 'bytes out', numeric: true },
      { label: 'instructions/call', numeric: true },
    ],
    p.exports.map((e, i) => {
      const id = `${prefix}-ex-${i}`;
      if (!rowIds.has(e.name)) rowIds.set(e.name, id);
      const failed = e.calls - e.ok;
      const codes = Object.entries(e.errors).map(([code, n]) => `${code} × ${num(n)}`).join(', ');
      return {
        id,
        cells: [
          `<code>${name(e.name)}</code>`,
          numberCell(e.calls, (v) => num(v)),
          numberCell(e.ok, (v) => num(v)),
          { html: failed === 0 ? '0' : `<span title="${text(codes)}">${text(num(failed))}</span>`, sort: failed },
          numberCell(e.latency.p50, formatNs),
          numberCell(e.latency.p99, formatNs),
          numberCell(e.totalMs, formatMs),
          numberCell(e.callsPerSecond, (v) => num(v)),
          { html: text(`${num(e.memory.growthEvents)} × (${formatBytes(e.memory.bytesGrown)})`), sort: e.memory.bytesGrown },
          numberCell(e.bytesIn, formatBytes),
          numberCell(e.bytesOut, formatBytes),
          numberCell(e.instructions > 0 && e.calls > 0 ? e.instructions / e.calls : undefined, (v) => num(v, 1)),
        ],
      };
    }),
  );
}

function stackText(stack: readonly { name: string }[]): string {
  return stack.length === 0 ? '(outside any guest function)' : stack.map((f) => name(f.name)).join(' → ');
}

function allocations(a: AllocationReport, prefix: string): string {
  const timeline: Series[] = [
    { label: 'linear memory', points: a.timeline.map((t, i) => [i + 1, t.memoryBytes] as const) },
    { label: 'live heap', points: a.timeline.map((t, i) => [i + 1, t.liveBytes] as const) },
  ];
  const leaks = a.perCall.filter((l) => l.liveBytesGainedPerCall > 0);
  const peakAt = a.peak.export === undefined ? 'outside any call (a start function, say)' : `in call ${num(a.peak.call ?? 0)} of <code>${name(a.peak.export)}</code>`;
  const leakList =
    leaks.length === 0
      ? `<p>No export gains live bytes call after call${a.perCall.length === 0 ? ' (no export was called more than once)' : ''}.</p>`
      : `<ul class="leaks">${leaks
          .map((l) => `<li><code>${name(l.export)}</code> keeps <b>${text(formatBytes(Math.round(l.liveBytesGainedPerCall)))}</b> more live per call over ${text(num(l.calls))} calls${l.sites.length === 0 ? '' : `, from ${l.sites.slice(0, 3).map((s) => `<code>${stackText(s.stack)}</code> (${text(formatBytes(Math.round(s.bytesPerCall)))}/call)`).join('; ')}`}</li>`)
          .join('')}</ul>`;
  const sites = sortableTable(
    `${prefix}-sites-table`,
    [{ label: 'allocation site (stack)' }, { label: 'blocks', numeric: true }, { label: 'bytes', numeric: true }, { label: 'live at peak', numeric: true }, { label: 'live at end', numeric: true }, { label: 'temporary', numeric: true }, { label: 'reallocs', numeric: true }],
    a.sites.slice(0, 50).map((s) => ({
      cells: [
        `<code>${stackText(s.stack)}</code>`,
        numberCell(s.blocks, (v) => num(v)),
        numberCell(s.bytes, formatBytes),
        numberCell(s.liveBytesAtPeak, formatBytes),
        numberCell(s.liveBytesAtEnd, formatBytes),
        numberCell(s.temporaryBlocks, (v) => num(v)),
        numberCell(s.reallocs, (v) => num(v)),
      ],
    })),
  );
  const t = a.totals;
  return (
    `<p>Allocator: <b>${text(a.allocator.family)}</b> (${a.allocator.functions.map((f) => `<code>${name(f)}</code>`).join(', ') || 'no functions named'})${a.allocator.freesVisible ? '' : '; frees are not visible, so nothing counts as freed'}.</p>` +
    `<p>${text(num(t.blocks))} blocks, ${text(formatBytes(t.bytes))} allocated; ${text(num(t.freedBlocks))} freed (${text(formatBytes(t.freedBytes))}); ${text(num(t.temporaryBlocks))} temporary. ` +
    `Peak live heap <b>${text(formatBytes(a.peak.liveBytes))}</b> (${text(num(a.peak.liveBlocks))} blocks) ${peakAt}. ` +
    `Live at the end: <b>${text(formatBytes(t.liveBytesAtEnd))}</b> in ${text(num(t.liveBlocksAtEnd))} blocks.</p>` +
    bytesOverCallsChart(`${prefix}-memory-chart`, 'Linear memory and live heap after each host call', timeline) +
    `<h4>Leaks</h4>${leakList}<h4>Allocation sites</h4>${sites}` +
    a.allocator.notes.map((n) => `<p class="note">${text(n)}</p>`).join('')
  );
}

function memory(p: ModuleProfile, prefix: string): string {
  const m = p.memory;
  const declared = m.declaredInitialPages === undefined ? 'no memory declared' : `${num(m.declaredInitialPages)}..${m.declaredMaximumPages === undefined ? '∞' : num(m.declaredMaximumPages)} pages declared`;
  const grown = p.exports.filter((e) => e.memory.bytesGrown > 0);
  return (
    `<p>Peak linear memory <b>${text(formatBytes(m.peakBytes))}</b> of a ${text(formatBytes(m.limitPages * 65536))} limit (${text(num(m.limitPages))} pages); ${text(declared)}${m.capped ? ', maximum capped to the limit by the host' : ''}.` +
    (grown.length === 0 ? ' No call grew the memory.' : ` Grew during ${grown.map((e) => `<code>${name(e.name)}</code> (${text(num(e.memory.growthEvents))} calls, ${text(formatBytes(e.memory.bytesGrown))})`).join(', ')}.`) +
    `</p>` +
    (p.allocations === undefined ? notRecorded('Allocation tracking (live heap over calls, peak, leaks)', 'Profile with the allocation tracker to see the live heap beside linear memory.') : allocations(p.allocations, prefix))
  );
}

const missRate = (misses: number, accesses: number): string => percent(accesses === 0 ? 0 : misses / accesses, 2);

function cache(c: CacheReport, prefix: string): string {
  const g = c.geometry;
  const level = (l: typeof g.d1): string => `${formatBytes(l.sizeBytes)}, ${l.associativity}-way, ${l.lineBytes} B lines`;
  const t = c.totals;
  const accesses = t.reads + t.writes;
  const stride = (s: CacheReport['functions'][number]['stride']): string => (s.kind === 'irregular' ? 'irregular' : `${s.kind} ${s.bytes} B`);
  return (
    `<p>Simulated D1 ${text(level(g.d1))}; LL ${text(level(g.ll))} (${text(g.source)}). ` +
    `${text(num(accesses))} accesses: D1 miss rate <b>${text(missRate(t.d1ReadMisses + t.d1WriteMisses, accesses))}</b>, LL miss rate <b>${text(missRate(t.llReadMisses + t.llWriteMisses, accesses))}</b>; ≈${text(num(t.estimatedCycles))} cycles (a model, not a measurement).</p>` +
    sortableTable(
      `${prefix}-cache-table`,
      [{ label: 'function' }, { label: 'Dr', numeric: true }, { label: 'Dw', numeric: true }, { label: 'D1mr', numeric: true }, { label: 'D1mw', numeric: true }, { label: 'DLmr', numeric: true }, { label: 'DLmw', numeric: true }, { label: 'D1 miss', numeric: true }, { label: 'est. cycles', numeric: true }, { label: 'access pattern' }],
      c.functions.slice(0, 50).map((f) => ({
        cells: [
          `<code>${name(f.name)}</code>${f.functionIndex === undefined ? '' : ` <span class="idx">func[${f.functionIndex}]</span>`}`,
          numberCell(f.reads, (v) => num(v)),
          numberCell(f.writes, (v) => num(v)),
          numberCell(f.d1ReadMisses, (v) => num(v)),
          numberCell(f.d1WriteMisses, (v) => num(v)),
          numberCell(f.llReadMisses, (v) => num(v)),
          numberCell(f.llWriteMisses, (v) => num(v)),
          { html: text(missRate(f.d1ReadMisses + f.d1WriteMisses, f.reads + f.writes)), sort: (f.d1ReadMisses + f.d1WriteMisses) / Math.max(1, f.reads + f.writes) },
          numberCell(f.estimatedCycles, (v) => num(v)),
          text(stride(f.stride)),
        ],
      })),
      'per function, cachegrind counters',
    ) +
    (c.exports.length === 0 ? '' : `<p>Per export: ${c.exports.map((e) => `<code>${name(e.name)}</code> ${text(num(e.calls))} calls, ${text(num(e.workingSetLines, 1))} lines touched per call, D1 miss ${text(missRate(e.d1ReadMisses + e.d1WriteMisses, e.reads + e.writes))}`).join('; ')}.</p>`) +
    c.notes.map((n) => `<p class="note">${text(n)}</p>`).join('')
  );
}

function topFunctions(module: ReportModule, prefix: string, rowIds: Map<string, string>): string {
  const p = module.profile;
  const source = module.tree !== undefined ? { unit: module.tree.unit, total: module.tree.root.total, top: functionStats(module.tree).slice(0, 50) } : p.functions;
  if (source === undefined) return notRecorded('A guest function profile', 'Run `wasm-sandbox profile` (or attach a GuestProfiler) to see where guest time goes.');
  const fmt = (v: number): string => (source.unit === 'nanoseconds' ? formatNs(v) : `${num(v)} ${source.unit}`);
  const share = (v: number): string => percent(source.total > 0 ? v / source.total : 0);
  return sortableTable(
    `${prefix}-functions-table`,
    [{ label: 'function' }, { label: 'self', numeric: true }, { label: 'self %', numeric: true }, { label: 'total', numeric: true }, { label: 'total %', numeric: true }, { label: 'calls', numeric: true }, { label: 'average', numeric: true }],
    source.top.map((f: FunctionStats, i) => {
      const id = `${prefix}-fn-${i}`;
      if (!rowIds.has(f.name)) rowIds.set(f.name, id);
      return {
        id,
        cells: [
          `<code>${name(f.name)}</code>${f.functionIndex === undefined ? '' : ` <span class="idx">func[${f.functionIndex}]</span>`}`,
          numberCell(f.self, fmt),
          numberCell(source.total > 0 ? f.self / source.total : 0, () => share(f.self)),
          numberCell(f.total, fmt),
          numberCell(source.total > 0 ? f.total / source.total : 0, () => share(f.total)),
          numberCell(f.calls, (v) => num(v)),
          numberCell(f.average, fmt),
        ],
      };
    }),
    `${source.unit}, heaviest own code first`,
  );
}

/** The flamegraph (or differential flamegraph) SVG as flame-svg.ts writes it; it runs its own zoom, search and tooltips. */
export function flamePanel(prefix: string, flame: InlineFlamegraph | undefined, kind: 'flame' | 'diff'): string {
  if (flame === undefined) return notRecorded('A call tree', 'Run `wasm-sandbox profile … --report` or save the profile with its tree to see the flamegraph.');
  return `<p class="note">Click a frame to zoom, Search (or Ctrl-F with the pointer over the graph) to highlight, hover for details.</p><div class="flame ${kind}" id="${prefix}-${kind}">${flame.markup}</div>`;
}

export function moduleSection(module: ReportModule, prefix: string, flame: InlineFlamegraph | undefined, poolWait: boolean): { html: string; anchors: ModuleAnchors } {
  const p = module.profile;
  const functionRows = new Map<string, string>();
  const exportRows = new Map<string, string>();
  const panels = {
    module: prefix,
    coldStart: `${prefix}-cold`,
    latency: `${prefix}-latency`,
    exports: `${prefix}-exports`,
    memory: `${prefix}-memory`,
    cache: `${prefix}-cache`,
    functions: `${prefix}-functions`,
    flame: `${prefix}-flamegraph`,
    pool: `${prefix}-pool`,
  };
  const latencyRows = p.exports.map((e) => ({ label: e.name, e: e.latency, timing: e.timing }));
  const latency =
    p.exports.length === 0
      ? `<p class="empty">No export was called.</p>`
      : latencyTable(latencyRows, `${prefix}-latency-table`) + percentileChart(`${prefix}-latency-chart`, 'Latency by percentile, per export (HdrHistogram)', p.exports.map((e) => ({ label: e.name, latency: e.latency })));
  const pool =
    poolWait && module.queueWait !== undefined
      ? panel(
          panels.pool,
          'Pool queue wait',
          `<p>Time from <code>call()</code> to a worker starting the call.</p>` +
            latencyTable([{ label: 'queue wait', e: module.queueWait }], `${prefix}-wait-table`) +
            percentileChart(`${prefix}-wait-chart`, 'Queue wait by percentile (HdrHistogram)', [{ label: 'queue wait', latency: module.queueWait }]),
        )
      : '';
  const body = [
    panel(panels.coldStart, 'Cold start', coldStart(p, prefix)),
    panel(panels.latency, 'Latency', latency),
    panel(panels.exports, 'Exports', exportsTable(p, prefix, exportRows)),
    panel(panels.memory, 'Memory', memory(p, prefix)),
    panel(panels.cache, 'Cache simulation', p.cacheSimulation === undefined ? notRecorded('Cache simulation', 'Profile with the cache simulator to see misses per function.') : cache(p.cacheSimulation, prefix)),
    panel(panels.functions, 'Top functions', topFunctions(module, prefix, functionRows)),
    panel(panels.flame, 'Flamegraph', flamePanel(prefix, flame, 'flame')),
    pool,
  ].join('\n');
  const html =
    `<section class="module" id="${prefix}"><h2>Module <code>${name(p.module.label)}</code></h2>` +
    `<p class="meta">${text(formatBytes(p.module.sizeBytes))}, sha256 <code>${text(p.module.id.slice(0, 16))}…</code>, ${text(num(p.instances))} instance${p.instances === 1 ? '' : 's'}</p>\n${body}</section>`;
  return { html, anchors: { label: p.module.label, moduleId: p.module.id, functionRows, exportRows, panels } };
}

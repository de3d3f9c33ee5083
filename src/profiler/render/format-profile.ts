import { frameKey } from '../model/call-tree.js';
import { distinctLabels } from './frame-labels.js';
import type { ModuleProfile } from '../model/module-profile.js';
import { formatCacheReport } from './cache-table.js';
import { formatBytes, formatMs, formatNs, formatRate, renderTable, terminalSafe } from './terminal-text.js';
import { formatAllocations } from './format-allocations.js';

/** A module profile as text tables for a terminal: header, cold start, per-export metrics. */
export function formatProfile(profile: ModuleProfile): string {
  const { module, coldStart, memory, cache } = profile;
  const lines: string[] = [];
  lines.push(
    `module ${terminalSafe(module.label)}  sha256:${module.id.slice(0, 12)}  ${formatBytes(module.sizeBytes)}  instances: ${profile.instances}`,
  );
  lines.push(
    `cold start: read ${formatMs(coldStart.readMs)} · hash ${formatMs(coldStart.hashMs)} · ` +
      `${coldStart.cache === 'miss' ? `compile ${formatMs(coldStart.compileMs)}` : `cache ${coldStart.cache}`} · ` +
      `instantiate ${formatMs(coldStart.instantiateMs)} · first call ${formatMs(coldStart.firstCallMs)}` +
      (coldStart.firstCallExport === undefined ? '' : ` (${terminalSafe(coldStart.firstCallExport)})`),
  );
  if (profile.instrumentation !== undefined) {
    const { passes, rewriteMs, fromDiskCache } = profile.instrumentation;
    lines.push(`rewritten: ${passes.join(', ')} (${fromDiskCache ? 'from the disk cache' : `binaryen ${formatMs(rewriteMs)}`})`);
  }
  const declared =
    memory.declaredInitialPages === undefined
      ? 'no memory'
      : `declared ${memory.declaredInitialPages}..${memory.declaredMaximumPages ?? '∞'} pages`;
  lines.push(
    `memory: ${declared}, limit ${memory.limitPages} pages${memory.capped ? ' (maximum capped)' : ''}, peak ${formatBytes(memory.peakBytes)}`,
  );
  lines.push(
    `module cache: ${cache.hits} hits, ${cache.misses} misses, ${cache.coalesced} coalesced, ${cache.evictions} evictions, ` +
      `${cache.entries}/${cache.maxEntries} entries, ${formatBytes(cache.bytes)}/${formatBytes(cache.maxBytes)}, compile ${formatMs(cache.compileMs)}`,
  );
  if (profile.exports.length === 0) {
    lines.push('(no calls yet)');
    if (profile.allocations !== undefined) lines.push('', formatAllocations(profile.allocations));
    return lines.join('\n');
  }
  const counted = profile.exports.some((e) => e.instructions > 0);
  const rows = profile.exports.map((e) => {
    const failed = Object.entries(e.errors)
      .map(([code, n]) => `${code}×${n}`)
      .join(' ');
    return [
      e.name,
      String(e.calls),
      failed === '' ? '0' : failed,
      formatNs(e.latency.mean),
      formatNs(e.latency.p50),
      formatNs(e.latency.p90),
      formatNs(e.latency.p95),
      formatNs(e.latency.p99),
      formatNs(e.latency.max),
      formatRate(e.callsPerSecond),
      e.memory.growthEvents === 0 ? '—' : `+${formatBytes(e.memory.bytesGrown)} (${e.memory.growthEvents}×)`,
      e.bytesIn + e.bytesOut === 0 ? '—' : `${formatBytes(e.bytesIn)} / ${formatBytes(e.bytesOut)}`,
      e.timing.sampledCalls > 0 ? `1/${e.timing.sampleInterval}` : 'all',
      ...(counted ? [e.calls === 0 ? '—' : Math.round(e.instructions / e.calls).toLocaleString('en-US')] : []),
    ];
  });
  lines.push(
    renderTable(
      ['export', 'calls', 'errors', 'mean', 'p50', 'p90', 'p95', 'p99', 'max', 'rate', 'mem growth', 'in / out', 'timed', ...(counted ? ['instr/call'] : [])],
      rows,
      ['left', 'right', 'left', ...Array<'right'>(11).fill('right')],
    ),
  );
  if (profile.functions !== undefined) lines.push('', formatTopFunctions(profile.functions));
  if (profile.cacheSimulation !== undefined) lines.push('', formatCacheReport(profile.cacheSimulation));
  if (profile.allocations !== undefined) lines.push('', formatAllocations(profile.allocations));
  return lines.join('\n');
}

/** The "top functions" table: self and total weight, share of the profile, calls, average. */
export function formatTopFunctions(functions: NonNullable<ModuleProfile['functions']>, limit = 15): string {
  const { unit, total, mode } = functions;
  const value = (v: number): string =>
    unit === 'nanoseconds' ? formatNs(v) : unit === 'bytes' ? formatBytes(v) : Math.round(v).toLocaleString('en-US') + ` ${unit === 'instructions' ? 'instr' : unit}`;
  const share = (v: number): string => (total > 0 ? `${((100 * v) / total).toFixed(1)}%` : '—');
  const shown = functions.top.slice(0, limit);
  // Two functions may print alike (one name, or names alike once shortened): say which is which.
  const labels = distinctLabels(shown, (name) => terminalSafe(name));
  const rows = shown.map((f) => [
    labels.get(frameKey(f))!,
    value(f.self),
    share(f.self),
    value(f.total),
    share(f.total),
    mode === 'sampling' ? '—' : String(f.calls),
    mode === 'sampling' ? '—' : value(f.average),
  ]);
  return `top functions (${mode}, by self ${unit})\n` +
    renderTable(['function', 'self', 'self %', 'total', 'total %', 'calls', 'avg/call'], rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right']);
}

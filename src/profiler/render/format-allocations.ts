/**
 * An allocation report as text for a terminal: what allocator, totals, the peak and who reached
 * it, top sites, leaks (live at the end, with stacks), temporary allocations, the per-call leak
 * check and linear memory against the live heap.
 */
import type { AllocationReport, AllocationSite } from '../model/allocation-report.js';
import { formatBytes, renderTable, terminalSafe } from './terminal-text.js';

/** Innermost frames shown per stack in tables (the JSON has them all). */
const STACK_FRAMES = 4;

export function stackLabel(stack: AllocationSite['stack'], frames = STACK_FRAMES): string {
  if (stack.length === 0) return '(host)';
  const shown = stack.slice(-frames).map((f) => terminalSafe(f.name, 48));
  return (stack.length > frames ? '… → ' : '') + shown.join(' → ');
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Mean lifetime of the site's freed blocks: instructions when counted, else host calls. */
function lifetimeLabel(site: AllocationSite): string {
  if (site.lifetimeInstructions !== undefined) return `${count(site.lifetimeInstructions.mean)} instr`;
  if (site.lifetimeCalls !== undefined) return `${site.lifetimeCalls.mean.toFixed(1)} calls`;
  return '—';
}

export function formatAllocations(report: AllocationReport, limit = 10): string {
  const { allocator, totals, peak } = report;
  const lines: string[] = [];
  lines.push(
    `allocations (${allocator.family}: ${allocator.functions.map((f) => terminalSafe(f, 40)).join(', ') || 'none recognised'}; frees ${allocator.freesVisible ? 'seen' : 'NOT seen'})`,
  );
  for (const note of allocator.notes) lines.push(`  note: ${note}`);
  lines.push(
    `  total ${count(totals.blocks)} blocks, ${formatBytes(totals.bytes)}; freed ${count(totals.freedBlocks)} (${formatBytes(totals.freedBytes)}); ` +
      `temporary ${count(totals.temporaryBlocks)}; live at end ${count(totals.liveBlocksAtEnd)} blocks, ${formatBytes(totals.liveBytesAtEnd)}`,
  );
  const oddities = [
    totals.unknownFrees ? `${count(totals.unknownFrees)} frees of unknown pointers` : '',
    totals.failedAllocations ? `${count(totals.failedAllocations)} failed allocations` : '',
    totals.inferredFrees ? `${count(totals.inferredFrees)} inferred frees (addresses reused without a free seen)` : '',
  ].filter(Boolean);
  if (oddities.length > 0) lines.push(`  ${oddities.join('; ')}`);
  lines.push(
    `  peak live heap ${formatBytes(peak.liveBytes)} in ${count(peak.liveBlocks)} blocks` +
      (peak.export === undefined ? ' (outside a call)' : `, reached in ${terminalSafe(peak.export)}() call #${peak.call}`) +
      ` at ${stackLabel(peak.stack)}`,
  );
  const lastPoint = report.timeline[report.timeline.length - 1];
  if (lastPoint !== undefined) {
    const grows = report.timeline.filter((p) => p.event === 'grow').length;
    lines.push(
      `  linear memory ${formatBytes(lastPoint.memoryBytes)} (${grows} growth${grows === 1 ? '' : 's'} seen), live heap ${formatBytes(lastPoint.liveBytes)}: ` +
        `${(100 * (lastPoint.liveToMemoryRatio ?? 0)).toFixed(1)}% of memory`,
    );
  }
  const top = report.sites.slice(0, limit);
  if (top.length > 0) {
    lines.push('', `top allocation sites (by bytes allocated)`);
    lines.push(
      renderTable(
        ['site', 'blocks', 'bytes', 'avg', 'at peak', 'at end', 'temporary', 'reallocs', 'mean lifetime'],
        top.map((s) => [
          stackLabel(s.stack),
          count(s.blocks),
          formatBytes(s.bytes),
          formatBytes(Math.round(s.averageBytes)),
          formatBytes(s.liveBytesAtPeak),
          formatBytes(s.liveBytesAtEnd),
          count(s.temporaryBlocks),
          s.reallocs === 0 ? '—' : `${count(s.reallocs)} (chain ${s.longestReallocChain})`,
          lifetimeLabel(s),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  const leaks = report.sites.filter((s) => s.liveBytesAtEnd > 0).sort((a, b) => b.liveBytesAtEnd - a.liveBytesAtEnd).slice(0, limit);
  lines.push('', leaks.length === 0 ? 'leaks: none (nothing live at the end)' : 'live at end (leaks, unless freed later)');
  if (leaks.length > 0) {
    lines.push(renderTable(['site', 'blocks', 'bytes'], leaks.map((s) => [stackLabel(s.stack, 8), count(s.liveBlocksAtEnd), formatBytes(s.liveBytesAtEnd)]), ['left', 'right', 'right']));
  }
  const temporary = report.sites.filter((s) => s.temporaryBlocks > 0).sort((a, b) => b.temporaryBlocks - a.temporaryBlocks).slice(0, limit);
  if (temporary.length > 0) {
    lines.push('', 'temporary allocations (freed before the next allocation)');
    lines.push(renderTable(['site', 'temporary', 'of blocks'], temporary.map((s) => [stackLabel(s.stack), count(s.temporaryBlocks), count(s.blocks)]), ['left', 'right', 'right']));
  }
  for (const call of report.perCall) {
    const verdict = call.liveBytesGainedPerCall > 0 ? `gains ${formatBytes(Math.round(call.liveBytesGainedPerCall))} live per call` : 'returns to its baseline';
    lines.push('', `per-call leak check: ${terminalSafe(call.export)}() × ${call.calls} ${verdict}`);
    for (const site of call.sites.slice(0, limit)) lines.push(`  +${formatBytes(Math.round(site.bytesPerCall))}/call  ${stackLabel(site.stack, 8)}`);
  }
  return lines.join('\n');
}

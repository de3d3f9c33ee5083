/**
 * A heap guard for users' tests (memray's `limit_memory` markers, for wasm guests): checks an
 * allocation report against limits and throws HeapLimitError naming the sites behind the excess.
 */
import { HeapLimitError } from '../../errors.js';
import type { AllocationReport, AllocationSite } from '../model/allocation-report.js';
import { guestText } from '../../untrusted-text.js';

export interface HeapLimits {
  /** Most bytes live at any moment (the report's peak). */
  readonly maxPeakBytes?: number;
  /** Most live bytes any export may gain per call (the per-call leak check; needs calls ≥ 2). */
  readonly maxLeakedBytesPerCall?: number;
  /** Most bytes still live when the report was taken. */
  readonly maxLiveBytesAtEnd?: number;
}

/** Sites named in the error, at most. */
const TOP_SITES = 5;

const stackText = (stack: AllocationSite['stack']): string => stack.map((f) => guestText(f.name)).join(' → ') || '(host)';

export function assertHeap(report: AllocationReport, limits: HeapLimits): void {
  const fail = (limit: string, allowed: number, actual: number, what: string, sites: { stack: string; bytes: number }[]): never => {
    const top = sites.slice(0, TOP_SITES);
    throw new HeapLimitError(
      `${what}: ${actual} bytes, over ${limit} = ${allowed}` + (top.length === 0 ? '' : `; top sites: ${top.map((s) => `${s.stack} (${s.bytes} B)`).join('; ')}`),
      limit,
      allowed,
      actual,
      top,
    );
  };
  if (limits.maxPeakBytes !== undefined && report.peak.liveBytes > limits.maxPeakBytes) {
    const sites = [...report.sites].sort((a, b) => b.liveBytesAtPeak - a.liveBytesAtPeak).filter((s) => s.liveBytesAtPeak > 0);
    fail('maxPeakBytes', limits.maxPeakBytes, report.peak.liveBytes, 'peak live heap', sites.map((s) => ({ stack: stackText(s.stack), bytes: s.liveBytesAtPeak })));
  }
  if (limits.maxLeakedBytesPerCall !== undefined) {
    for (const call of report.perCall) {
      if (call.liveBytesGainedPerCall <= limits.maxLeakedBytesPerCall) continue;
      fail(
        'maxLeakedBytesPerCall', limits.maxLeakedBytesPerCall, call.liveBytesGainedPerCall,
        `${guestText(call.export)}() gains live heap on every call (${call.calls} calls)`,
        call.sites.map((s) => ({ stack: stackText(s.stack), bytes: s.bytesPerCall })),
      );
    }
  }
  if (limits.maxLiveBytesAtEnd !== undefined && report.totals.liveBytesAtEnd > limits.maxLiveBytesAtEnd) {
    const sites = report.sites.filter((s) => s.liveBytesAtEnd > 0).sort((a, b) => b.liveBytesAtEnd - a.liveBytesAtEnd);
    fail('maxLiveBytesAtEnd', limits.maxLiveBytesAtEnd, report.totals.liveBytesAtEnd, 'live heap at end (leaks)', sites.map((s) => ({ stack: stackText(s.stack), bytes: s.liveBytesAtEnd })));
  }
}

/**
 * The difference of two allocation reports, site by site (heaptrack's diff of two traces): what
 * a change to the guest, its input or its settings did to who allocates and what stays live.
 * Sites are matched by their stacks (frame identity: function index, else name).
 */
import { frameKey, type FrameIdentity } from '../model/call-tree.js';
import type { AllocationReport, AllocationSite } from '../model/allocation-report.js';

export interface AllocationSiteDelta {
  readonly stack: readonly FrameIdentity[];
  /** `after − before` of each measure (a site only in one report counts as 0 in the other). */
  readonly blocks: number;
  readonly bytes: number;
  readonly liveBytesAtPeak: number;
  readonly liveBytesAtEnd: number;
  readonly temporaryBlocks: number;
  /** Present in `before` only, `after` only, or both. */
  readonly presence: 'before' | 'after' | 'both';
}

export interface AllocationDiff {
  readonly totals: { readonly blocks: number; readonly bytes: number; readonly liveBytesAtEnd: number; readonly temporaryBlocks: number };
  readonly peakLiveBytes: number;
  /** Changed sites, largest change in bytes allocated first (then live at end). */
  readonly sites: readonly AllocationSiteDelta[];
}

const keyOf = (stack: readonly FrameIdentity[]): string => stack.map(frameKey).join('\u0000');

export function diffAllocations(before: AllocationReport, after: AllocationReport): AllocationDiff {
  const old = new Map<string, AllocationSite>(before.sites.map((s) => [keyOf(s.stack), s]));
  const seen = new Set<string>();
  const sites: AllocationSiteDelta[] = [];
  const delta = (a: AllocationSite | undefined, b: AllocationSite | undefined, stack: readonly FrameIdentity[]): AllocationSiteDelta => ({
    stack,
    blocks: (b?.blocks ?? 0) - (a?.blocks ?? 0),
    bytes: (b?.bytes ?? 0) - (a?.bytes ?? 0),
    liveBytesAtPeak: (b?.liveBytesAtPeak ?? 0) - (a?.liveBytesAtPeak ?? 0),
    liveBytesAtEnd: (b?.liveBytesAtEnd ?? 0) - (a?.liveBytesAtEnd ?? 0),
    temporaryBlocks: (b?.temporaryBlocks ?? 0) - (a?.temporaryBlocks ?? 0),
    presence: a === undefined ? 'after' : b === undefined ? 'before' : 'both',
  });
  for (const site of after.sites) {
    const key = keyOf(site.stack);
    seen.add(key);
    sites.push(delta(old.get(key), site, site.stack));
  }
  for (const [key, site] of old) if (!seen.has(key)) sites.push(delta(site, undefined, site.stack));
  const changed = sites.filter((s) => s.blocks !== 0 || s.bytes !== 0 || s.liveBytesAtPeak !== 0 || s.liveBytesAtEnd !== 0 || s.temporaryBlocks !== 0);
  changed.sort((a, b) => Math.abs(b.bytes) - Math.abs(a.bytes) || Math.abs(b.liveBytesAtEnd) - Math.abs(a.liveBytesAtEnd));
  return {
    totals: {
      blocks: after.totals.blocks - before.totals.blocks,
      bytes: after.totals.bytes - before.totals.bytes,
      liveBytesAtEnd: after.totals.liveBytesAtEnd - before.totals.liveBytesAtEnd,
      temporaryBlocks: after.totals.temporaryBlocks - before.totals.temporaryBlocks,
    },
    peakLiveBytes: after.peak.liveBytes - before.peak.liveBytes,
    sites: changed,
  };
}

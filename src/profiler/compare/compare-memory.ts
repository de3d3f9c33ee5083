/**
 * Allocation and cache deltas between two profiles, per allocation site and per function.
 * Both reports count exactly (allocations by the tracker, accesses by the simulator), so every
 * delta here is exact and the totals gate like any deterministic metric.
 */
import type { AllocationReport } from '../model/allocation-report.js';
import type { CacheCounters, CacheReport } from '../model/cache-report.js';
import type { FrameIdentity } from '../model/call-tree.js';

/** Sites and functions are paired across builds by names, the only identity two builds share. */
export function stackKey(stack: readonly FrameIdentity[]): string {
  return stack.map((f) => f.name).join(' → ');
}

export interface CountDelta {
  readonly before: number;
  readonly after: number;
  readonly delta: number;
}

const delta = (before: number, after: number): CountDelta => ({ before, after, delta: after - before });

export type Presence = 'both' | 'appeared' | 'vanished';

export interface AllocationSiteDelta {
  /** The site's stack by names, outermost first (guest text: escape it to show it). */
  readonly stack: readonly string[];
  readonly presence: Presence;
  readonly blocks: CountDelta;
  readonly bytes: CountDelta;
  readonly liveBytesAtEnd: CountDelta;
}

export interface AllocationComparison {
  readonly totals: { readonly blocks: CountDelta; readonly bytes: CountDelta; readonly liveBytesAtEnd: CountDelta; readonly temporaryBlocks: CountDelta };
  readonly peakLiveBytes: CountDelta;
  /** Sites whose counts changed, largest byte change first. */
  readonly sites: readonly AllocationSiteDelta[];
}

type SiteCounts = { stack: readonly string[]; blocks: number; bytes: number; liveBytesAtEnd: number };

function sitesByKey(report: AllocationReport): Map<string, SiteCounts> {
  const map = new Map<string, SiteCounts>();
  for (const site of report.sites) {
    const key = stackKey(site.stack);
    // Two sites can share names (two functions called alike): their counts add up.
    const into = map.get(key) ?? { stack: site.stack.map((f) => f.name), blocks: 0, bytes: 0, liveBytesAtEnd: 0 };
    into.blocks += site.blocks;
    into.bytes += site.bytes;
    into.liveBytesAtEnd += site.liveBytesAtEnd;
    map.set(key, into);
  }
  return map;
}

export function compareAllocations(before: AllocationReport, after: AllocationReport): AllocationComparison {
  const b = sitesByKey(before);
  const a = sitesByKey(after);
  const zero = (stack: readonly string[]): SiteCounts => ({ stack, blocks: 0, bytes: 0, liveBytesAtEnd: 0 });
  const sites: AllocationSiteDelta[] = [];
  for (const key of new Set([...b.keys(), ...a.keys()])) {
    const x = b.get(key);
    const y = a.get(key);
    const from = x ?? zero(y!.stack);
    const to = y ?? zero(x!.stack);
    if (from.blocks === to.blocks && from.bytes === to.bytes && from.liveBytesAtEnd === to.liveBytesAtEnd) continue;
    sites.push({
      stack: from.stack,
      presence: x === undefined ? 'appeared' : y === undefined ? 'vanished' : 'both',
      blocks: delta(from.blocks, to.blocks),
      bytes: delta(from.bytes, to.bytes),
      liveBytesAtEnd: delta(from.liveBytesAtEnd, to.liveBytesAtEnd),
    });
  }
  sites.sort((p, q) => Math.abs(q.bytes.delta) - Math.abs(p.bytes.delta) || (stackKey(p.stack.map((name) => ({ name }))) < stackKey(q.stack.map((name) => ({ name }))) ? -1 : 1));
  return {
    totals: {
      blocks: delta(before.totals.blocks, after.totals.blocks),
      bytes: delta(before.totals.bytes, after.totals.bytes),
      liveBytesAtEnd: delta(before.totals.liveBytesAtEnd, after.totals.liveBytesAtEnd),
      temporaryBlocks: delta(before.totals.temporaryBlocks, after.totals.temporaryBlocks),
    },
    peakLiveBytes: delta(before.peak.liveBytes, after.peak.liveBytes),
    sites,
  };
}

export interface CacheDeltas {
  readonly accesses: CountDelta;
  readonly d1Misses: CountDelta;
  readonly llMisses: CountDelta;
  readonly estimatedCycles: CountDelta;
}

export interface CacheFunctionDelta extends CacheDeltas {
  readonly name: string;
  readonly presence: Presence;
}

export interface CacheComparison {
  readonly totals: CacheDeltas;
  /** Functions whose counters changed, largest change of estimated cycles first. */
  readonly functions: readonly CacheFunctionDelta[];
  /** The two simulations used different cache geometries: their miss counts are not comparable. */
  readonly geometryDiffers: boolean;
}

const ZERO: CacheCounters = { reads: 0, writes: 0, d1ReadMisses: 0, d1WriteMisses: 0, llReadMisses: 0, llWriteMisses: 0, estimatedCycles: 0 };

function cacheDeltas(b: CacheCounters, a: CacheCounters): CacheDeltas {
  return {
    accesses: delta(b.reads + b.writes, a.reads + a.writes),
    d1Misses: delta(b.d1ReadMisses + b.d1WriteMisses, a.d1ReadMisses + a.d1WriteMisses),
    llMisses: delta(b.llReadMisses + b.llWriteMisses, a.llReadMisses + a.llWriteMisses),
    estimatedCycles: delta(b.estimatedCycles, a.estimatedCycles),
  };
}

function addCounters(x: CacheCounters, y: CacheCounters): CacheCounters {
  return {
    reads: x.reads + y.reads, writes: x.writes + y.writes, d1ReadMisses: x.d1ReadMisses + y.d1ReadMisses, d1WriteMisses: x.d1WriteMisses + y.d1WriteMisses,
    llReadMisses: x.llReadMisses + y.llReadMisses, llWriteMisses: x.llWriteMisses + y.llWriteMisses, estimatedCycles: x.estimatedCycles + y.estimatedCycles,
  };
}

export function compareCache(before: CacheReport, after: CacheReport): CacheComparison {
  const byName = (report: CacheReport): Map<string, CacheCounters> => {
    const map = new Map<string, CacheCounters>();
    for (const f of report.functions) map.set(f.name, addCounters(map.get(f.name) ?? ZERO, f));
    return map;
  };
  const b = byName(before);
  const a = byName(after);
  const functions: CacheFunctionDelta[] = [];
  for (const name of new Set([...b.keys(), ...a.keys()])) {
    const d = cacheDeltas(b.get(name) ?? ZERO, a.get(name) ?? ZERO);
    if (d.accesses.delta === 0 && d.d1Misses.delta === 0 && d.llMisses.delta === 0 && d.estimatedCycles.delta === 0) continue;
    functions.push({ name, presence: !b.has(name) ? 'appeared' : !a.has(name) ? 'vanished' : 'both', ...d });
  }
  functions.sort((p, q) => Math.abs(q.estimatedCycles.delta) - Math.abs(p.estimatedCycles.delta) || (p.name < q.name ? -1 : 1));
  const g = (r: CacheReport): string => JSON.stringify([r.geometry.d1, r.geometry.ll]);
  return { totals: cacheDeltas(before.totals, after.totals), functions, geometryDiffers: g(before) !== g(after) };
}

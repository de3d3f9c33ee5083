/**
 * The allocation tracker: a pure model fed by allocator events (allocate, free, reallocate) and
 * call boundaries, producing an AllocationReport. It knows nothing of sandboxes or wasm: the
 * adapter in host/profiling/ (or a test) feeds it.
 *
 *   allocate(site, pointer, bytes) ─┐      live table: pointer → slot (PointerTable → typed columns)
 *   free(pointer)                  ─┼──►   per-site counters (SiteCounters)
 *   reallocate(site, old, new, n)  ─┘      global live bytes, peak (DHAT's t-gmax, taken lazily)
 *   beginCall(export) / endCall(memoryBytes) → call numbers, timeline, per-call leak check
 *
 * Definitions, as the anchors use them:
 * - live at peak: the blocks live when total live bytes were highest (DHAT t-gmax); the per-site
 *   copy is taken only when the live total is about to fall from a new peak, not on every rise.
 * - temporary: freed before the next allocation (heaptrack).
 * - lifetime: instructions (when a clock is given: deterministic) and host calls between
 *   allocation and free.
 * - a C realloc frees the old block and allocates the new one at the realloc's site (its chain
 *   grows by one); AssemblyScript's `__renew` that moves leaves the old object to the collector.
 */
import type { FrameIdentity } from '../model/call-tree.js';
import {
  ALLOCATION_REPORT_SCHEMA,
  type AllocationReport,
  type AllocationSite,
  type AllocatorInfo,
  type LifetimeStats,
  type MemoryTimelinePoint,
  type PerCallLeak,
  type SizeBucket,
} from '../model/allocation-report.js';
import { PointerTable } from './pointer-table.js';
import { StackTrie } from './stack-trie.js';

/** Power-of-two buckets: 0 for empty blocks, k+1 for sizes in [2^k, 2^(k+1)). */
export const BUCKETS = 34;
/** Most timeline points kept (one per call and per growth); later ones are counted, not kept. */
export const TIMELINE_CAP = 10_000;

class SiteCounters {
  blocks = 0;
  bytes = 0;
  freedBlocks = 0;
  freedBytes = 0;
  liveBlocks = 0;
  liveBytes = 0;
  peakBlocks = 0;
  peakBytes = 0;
  temporary = 0;
  reallocs = 0;
  longestChain = 0;
  readonly histogram = new Float64Array(BUCKETS);
  lifeCount = 0;
  lifeCallsSum = 0;
  lifeCallsMin = Infinity;
  lifeCallsMax = 0;
  lifeInstrSum = 0;
  lifeInstrMin = Infinity;
  lifeInstrMax = 0;
}

/** Per export: its calls, and live bytes (total and per site) after its first and last. */
export interface ExportCalls {
  calls: number;
  firstLive: number;
  lastLive: number;
  firstSites: Float64Array | undefined;
  lastSites: Float64Array | undefined;
}

function bucketOf(bytes: number): number {
  return bytes <= 0 ? 0 : Math.min(BUCKETS - 1, 32 - Math.clz32(bytes));
}

/** Power-of-two buckets as the report lists them: non-empty ones only. */
export function sizeHistogram(counts: ArrayLike<number>): SizeBucket[] {
  const buckets: SizeBucket[] = [];
  for (let i = 0; i < counts.length; i++) {
    const blocks = counts[i]!;
    if (blocks !== 0) buckets.push({ minBytes: i === 0 ? 0 : 2 ** (i - 1), maxBytes: i === 0 ? 0 : 2 ** i - 1, blocks });
  }
  return buckets;
}

export function lifetime(count: number, sum: number, min: number, max: number): LifetimeStats | undefined {
  return count === 0 ? undefined : { min, mean: sum / count, max };
}

export interface AllocationTrackerOptions {
  readonly allocator: AllocatorInfo;
  /** The frame a site's frame id stands for. */
  readonly frame: (id: number) => FrameIdentity;
  /** Guest instructions executed so far; absent: lifetimes in calls only. */
  readonly clock?: () => number;
}

export class AllocationTracker {
  readonly sites = new StackTrie();
  private readonly counters: SiteCounters[] = [new SiteCounters()];
  /** pointer → slot in the columns below. */
  private readonly slots = new PointerTable();
  private slotSite = new Int32Array(1024);
  private slotBytes = new Float64Array(1024);
  private slotBornInstr = new Float64Array(1024);
  private slotBornCall = new Int32Array(1024);
  private slotChain = new Int32Array(1024);
  private freeSlots: number[] = [];
  private nextSlot = 0;

  private blocks = 0;
  private bytes = 0;
  private freedBlocks = 0;
  private freedBytes = 0;
  private temporary = 0;
  private liveBlocks = 0;
  private liveBytes = 0;
  private unknownFrees = 0;
  private failed = 0;
  private inferred = 0;
  private lastAllocated = -1;

  private peakBytes = 0;
  private peakBlocks = 0;
  private peakSite = 0;
  private peakExport: string | undefined;
  private peakCall: number | undefined;
  /** A new peak was reached and the per-site copy of it is not taken yet. */
  private peakPending = false;

  /** Host calls begun so far (the clock of lifetimes in calls). */
  private callSeq = 0;
  private currentExport: string | undefined;
  private currentCall: number | undefined;
  private readonly exports = new Map<string, ExportCalls>();
  private readonly timeline: MemoryTimelinePoint[] = [];
  private timelineDropped = 0;

  constructor(private readonly options: AllocationTrackerOptions) {}

  /** A new block of `bytes` at `pointer`, allocated at `site` (a StackTrie id). */
  allocate(site: number, pointer: number, bytes: number, chain = 0): void {
    if (pointer === 0) {
      this.failed++;
      return;
    }
    const stale = this.slots.get(pointer);
    if (stale >= 0) {
      // The old block's free was not seen (frees invisible): it cannot still be live.
      this.inferred++;
      this.release(pointer, false);
    }
    const counters = this.site(site);
    counters.blocks++;
    counters.bytes += bytes;
    counters.liveBlocks++;
    counters.liveBytes += bytes;
    counters.histogram[bucketOf(bytes)]!++;
    if (chain > counters.longestChain) counters.longestChain = chain;
    this.blocks++;
    this.bytes += bytes;
    this.liveBlocks++;
    this.liveBytes += bytes;
    const slot = this.slot();
    this.slots.set(pointer, slot);
    this.slotSite[slot] = site;
    this.slotBytes[slot] = bytes;
    this.slotBornInstr[slot] = this.options.clock === undefined ? 0 : this.options.clock();
    this.slotBornCall[slot] = this.callSeq;
    this.slotChain[slot] = chain;
    this.lastAllocated = pointer;
    this.notePeak(site);
  }

  /** Live bytes past the peak: the peak moves here, to this site and call. */
  private notePeak(site: number): void {
    if (this.liveBytes <= this.peakBytes) return;
    this.peakBytes = this.liveBytes;
    this.peakBlocks = this.liveBlocks;
    this.peakSite = site;
    this.peakExport = this.currentExport;
    this.peakCall = this.currentCall;
    this.peakPending = true;
  }

  /** The block at `pointer` was freed (0 and unknown pointers are counted, not failed). */
  free(pointer: number): void {
    if (pointer === 0) return;
    if (!this.release(pointer, pointer === this.lastAllocated)) {
      this.unknownFrees++;
      return;
    }
    this.lastAllocated = -1;
  }

  /**
   * A reallocation at `site`: `old` → `pointer`, now `bytes`. `freesOld`: a C realloc (the old
   * block is gone once it moved); false for a collector's renew (the old object stays until swept).
   */
  reallocate(site: number, old: number, pointer: number, bytes: number, freesOld: boolean): void {
    const slot = old === 0 ? -1 : this.slots.get(old);
    if (slot < 0) {
      if (old !== 0) this.unknownFrees++;
      if (pointer === 0 && bytes === 0) return; // realloc(p, 0) freeing an unknown block
      this.allocate(site, pointer, bytes);
      return;
    }
    if (pointer === 0) {
      if (bytes === 0 && freesOld) this.free(old); // realloc(p, 0) freed p
      else this.failed++;
      return;
    }
    const counters = this.counters[this.slotSite[slot]!]!;
    counters.reallocs++;
    const chain = this.slotChain[slot]! + 1;
    if (pointer === old) {
      // Resized in place: the block stays at its site; its size changes.
      const delta = bytes - this.slotBytes[slot]!;
      if (delta < 0) this.takePeak();
      this.slotBytes[slot] = bytes;
      this.slotChain[slot] = chain;
      if (chain > counters.longestChain) counters.longestChain = chain;
      counters.liveBytes += delta;
      counters.bytes += Math.max(0, delta);
      this.bytes += Math.max(0, delta);
      this.liveBytes += delta;
      this.notePeak(site);
      return;
    }
    if (freesOld) this.release(old, false);
    this.allocate(site, pointer, bytes, chain);
  }

  /** A host call into `exportName` begins. */
  beginCall(exportName: string): void {
    let calls = this.exports.get(exportName);
    if (calls === undefined) {
      calls = { calls: 0, firstLive: 0, lastLive: 0, firstSites: undefined, lastSites: undefined };
      this.exports.set(exportName, calls);
    }
    calls.calls++;
    this.callSeq++;
    this.currentExport = exportName;
    this.currentCall = calls.calls;
  }

  /** The call begun last ended, with linear memory at `memoryBytes`. */
  endCall(memoryBytes: number): void {
    const name = this.currentExport;
    if (name === undefined) return;
    const calls = this.exports.get(name)!;
    const sites = this.siteLiveBytes();
    if (calls.calls === 1) {
      calls.firstLive = this.liveBytes;
      calls.firstSites = sites;
    }
    calls.lastLive = this.liveBytes;
    calls.lastSites = sites;
    this.point({ export: name, call: calls.calls, memoryBytes, liveBytes: this.liveBytes, event: 'call' });
    this.currentExport = undefined;
    this.currentCall = undefined;
  }

  /** Linear memory grew to `memoryBytes` (seen at an allocator event or a call's end). */
  memoryGrew(memoryBytes: number): void {
    this.point({ export: this.currentExport ?? '(outside a call)', call: this.currentCall ?? 0, memoryBytes, liveBytes: this.liveBytes, event: 'grow' });
  }

  get live(): { readonly blocks: number; readonly bytes: number } {
    return { blocks: this.liveBlocks, bytes: this.liveBytes };
  }

  report(): AllocationReport {
    this.takePeak();
    const frame = this.options.frame;
    const sites: AllocationSite[] = [];
    this.counters.forEach((c, id) => {
      if (c === undefined || c.blocks === 0) return;
      sites.push({
        stack: this.sites.stack(id, frame),
        blocks: c.blocks,
        bytes: c.bytes,
        freedBlocks: c.freedBlocks,
        freedBytes: c.freedBytes,
        liveBlocksAtPeak: c.peakBlocks,
        liveBytesAtPeak: c.peakBytes,
        liveBlocksAtEnd: c.liveBlocks,
        liveBytesAtEnd: c.liveBytes,
        temporaryBlocks: c.temporary,
        averageBytes: c.bytes / c.blocks,
        sizeHistogram: sizeHistogram(c.histogram),
        ...(this.options.clock === undefined ? {} : optional('lifetimeInstructions', lifetime(c.lifeCount, c.lifeInstrSum, c.lifeInstrMin, c.lifeInstrMax))),
        ...optional('lifetimeCalls', lifetime(c.lifeCount, c.lifeCallsSum, c.lifeCallsMin, c.lifeCallsMax)),
        reallocs: c.reallocs,
        longestReallocChain: c.longestChain,
      });
    });
    sites.sort(bySizeThenStack);
    return {
      schema: ALLOCATION_REPORT_SCHEMA,
      allocator: this.options.allocator,
      totals: {
        blocks: this.blocks,
        bytes: this.bytes,
        freedBlocks: this.freedBlocks,
        freedBytes: this.freedBytes,
        temporaryBlocks: this.temporary,
        liveBlocksAtEnd: this.liveBlocks,
        liveBytesAtEnd: this.liveBytes,
        unknownFrees: this.unknownFrees,
        failedAllocations: this.failed,
        inferredFrees: this.inferred,
      },
      peak: {
        liveBytes: this.peakBytes,
        liveBlocks: this.peakBlocks,
        ...(this.peakExport === undefined ? {} : { export: this.peakExport, call: this.peakCall }),
        stack: this.sites.stack(this.peakSite, frame),
      },
      sites,
      perCall: this.perCall(),
      timeline: [...this.timeline],
      ...(this.timelineDropped > 0 ? { timelineDropped: this.timelineDropped } : {}),
      clock: this.options.clock === undefined ? 'none' : 'instructions',
    };
  }

  private perCall(): PerCallLeak[] {
    return perCallLeaks(this.exports, (id) => this.sites.stack(id, this.options.frame));
  }

  private point(point: MemoryTimelinePoint): void {
    if (this.timeline.length >= TIMELINE_CAP) {
      this.timelineDropped++;
      return;
    }
    this.timeline.push({ ...point, liveToMemoryRatio: point.memoryBytes === 0 ? 0 : point.liveBytes / point.memoryBytes });
  }

  private siteLiveBytes(): Float64Array {
    const live = new Float64Array(this.counters.length);
    this.counters.forEach((c, id) => {
      if (c !== undefined) live[id] = c.liveBytes;
    });
    return live;
  }

  private site(id: number): SiteCounters {
    let counters = this.counters[id];
    if (counters === undefined) {
      while (this.counters.length < id) this.counters.push(undefined as unknown as SiteCounters);
      counters = this.counters[id] = new SiteCounters();
    }
    return counters;
  }

  /** Copies every site's live counts as the peak's, if a new peak is pending (before live bytes fall). */
  private takePeak(): void {
    if (!this.peakPending) return;
    this.peakPending = false;
    for (const c of this.counters) {
      if (c === undefined) continue;
      c.peakBlocks = c.liveBlocks;
      c.peakBytes = c.liveBytes;
    }
  }

  /** Frees the block at `pointer`; false when no block is there. */
  private release(pointer: number, temporary: boolean): boolean {
    const slot = this.slots.delete(pointer);
    if (slot < 0) return false;
    this.takePeak();
    this.freeSlots.push(slot);
    const bytes = this.slotBytes[slot]!;
    const c = this.counters[this.slotSite[slot]!]!;
    c.liveBlocks--;
    c.liveBytes -= bytes;
    c.freedBlocks++;
    c.freedBytes += bytes;
    this.liveBlocks--;
    this.liveBytes -= bytes;
    this.freedBlocks++;
    this.freedBytes += bytes;
    if (temporary) {
      c.temporary++;
      this.temporary++;
    }
    const calls = this.callSeq - this.slotBornCall[slot]!;
    c.lifeCount++;
    c.lifeCallsSum += calls;
    if (calls < c.lifeCallsMin) c.lifeCallsMin = calls;
    if (calls > c.lifeCallsMax) c.lifeCallsMax = calls;
    if (this.options.clock !== undefined) {
      const instructions = this.options.clock() - this.slotBornInstr[slot]!;
      c.lifeInstrSum += instructions;
      if (instructions < c.lifeInstrMin) c.lifeInstrMin = instructions;
      if (instructions > c.lifeInstrMax) c.lifeInstrMax = instructions;
    }
    return true;
  }

  private slot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.nextSlot++;
    if (slot >= this.slotSite.length) this.growColumns();
    return slot;
  }

  private growColumns(): void {
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    this.slotSite = grow(this.slotSite, (n) => new Int32Array(n));
    this.slotBytes = grow(this.slotBytes, (n) => new Float64Array(n));
    this.slotBornInstr = grow(this.slotBornInstr, (n) => new Float64Array(n));
    this.slotBornCall = grow(this.slotBornCall, (n) => new Int32Array(n));
    this.slotChain = grow(this.slotChain, (n) => new Int32Array(n));
  }
}

/** Report order (shared with the wasm recorder's reader): bytes, then blocks, then stack text — deterministic. */
export function bySizeThenStack(a: AllocationSite, b: AllocationSite): number {
  return b.bytes - a.bytes || b.blocks - a.blocks || compareStacks(a.stack, b.stack);
}

export function compareStacks(a: readonly FrameIdentity[], b: readonly FrameIdentity[]): number {
  const x = a.map((f) => `${f.name}#${f.functionIndex ?? ''}`).join(';');
  const y = b.map((f) => `${f.name}#${f.functionIndex ?? ''}`).join(';');
  return x < y ? -1 : x > y ? 1 : 0;
}

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** What per-call leak checking needs of one export: its calls, and live bytes (by site) after its first and latest call. */
export interface ExportLiveBytes {
  readonly calls: number;
  readonly firstLive: number;
  readonly lastLive: number;
  readonly firstSites: ArrayLike<number> | undefined;
  readonly lastSites: ArrayLike<number> | undefined;
}

/**
 * The per-call leak check, whoever recorded the counts (this tracker or the wasm recorder): an
 * export called N times gains (last − first) / (N − 1) live bytes a call, and so does each site.
 */
export function perCallLeaks(byExport: ReadonlyMap<string, ExportLiveBytes>, stackOf: (site: number) => readonly FrameIdentity[]): PerCallLeak[] {
  const out: PerCallLeak[] = [];
  for (const [name, calls] of byExport) {
    if (calls.calls < 2 || calls.firstSites === undefined || calls.lastSites === undefined) continue;
    const n = calls.calls - 1;
    const first = calls.firstSites;
    const last = calls.lastSites;
    const sites: { stack: readonly FrameIdentity[]; bytesPerCall: number }[] = [];
    for (let id = 0; id < last.length; id++) {
      const gained = last[id]! - (first[id] ?? 0);
      if (gained > 0) sites.push({ stack: stackOf(id), bytesPerCall: gained / n });
    }
    sites.sort((x, y) => y.bytesPerCall - x.bytesPerCall || compareStacks(x.stack, y.stack));
    out.push({ export: name, calls: calls.calls, liveBytesGainedPerCall: (calls.lastLive - calls.firstLive) / n, sites });
  }
  return out;
}

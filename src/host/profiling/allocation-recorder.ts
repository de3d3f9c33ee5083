/**
 * The allocation recorder (assembly/recorders/allocations.ts → build/recorders/allocations.wasm)
 * as the host sees it: one recorder instance per sandbox, linked as the guest's allocator hook
 * import, so allocator events stay in wasm. Per host call the adapter tells it the call number
 * and afterwards reads its memory (live bytes per site: the per-call check and the timeline);
 * `report()` reads the rest. The numbers and their definitions are the JS tracker's
 * (profiler/build/allocation-tracker.ts); test/allocation-recorder.test.ts holds them equal.
 *
 * What it does not record: stacks (sites are calling functions) and instruction lifetimes.
 * Memory growth is seen as the JS tracker sees it: at the next allocator event (each carries
 * the memory's size) or the call's end.
 */
import { bySizeThenStack, compareStacks, lifetime, optional, perCallLeaks, sizeHistogram, BUCKETS, TIMELINE_CAP, type ExportCalls } from '../../profiler/build/allocation-tracker.js';
import { ALLOCATION_REPORT_SCHEMA, type AllocationReport, type AllocationSite, type AllocatorInfo, type MemoryTimelinePoint, type PerCallLeak } from '../../profiler/model/allocation-report.js';
import type { FrameIdentity } from '../../profiler/model/call-tree.js';
import { recorderModule } from './bundled-recorders.js';
import { WASM_PAGE_BYTES } from '../../wasm/wasm-binary.js';

// The recorder's layout (assembly/recorders/allocations.ts): header fields, then site fields.
const H = { liveBlocks: 5, liveBytes: 6, unknownFrees: 7, failed: 8, inferred: 9, peakBytes: 10, peakBlocks: 11, peakSite: 12, peakCall: 13 } as const;
const S = {
  blocks: 0, bytes: 1, freedBlocks: 2, freedBytes: 3, liveBlocks: 4, liveBytes: 5, peakBlocks: 6, peakBytes: 7,
  temporary: 8, reallocs: 9, longestChain: 10, lifeCallsSum: 12, lifeCallsMin: 13, lifeCallsMax: 14, shrunk: 15, histogram: 17,
} as const;

interface RecorderExports {
  readonly memory: WebAssembly.Memory;
  init(capacity: number): number;
  sitesAddress(): number;
  siteFields(): number;
  beginCall(seq: number): void;
  endCall(): void;
  takePeak(): void;
  sync(): void;
  notePages(pages: number): number;
  growthPoints(): number;
  growthAddress(): number;
  clearGrowth(): void;
  readonly alloc: WebAssembly.ExportValue;
}

export class AllocationRecorder {
  private readonly exports: RecorderExports;
  private readonly header: number;
  private readonly sites: number;
  private readonly fields: number;
  private readonly capacity: number;
  private seq = 0;
  private current: { name: string; call: number } | undefined;
  /** Call sequence number → export and call number (the peak names its call). */
  private readonly calls: { name: string; call: number }[] = [];
  private readonly byExport = new Map<string, ExportCalls>();
  private readonly timeline: MemoryTimelinePoint[] = [];
  private timelineDropped = 0;

  constructor(
    /** Site ids are profile ids: one row each. */
    siteCount: number,
    private readonly allocator: AllocatorInfo,
    private readonly frame: (id: number) => FrameIdentity,
  ) {
    this.exports = new WebAssembly.Instance(recorderModule('allocations'), {}).exports as unknown as RecorderExports;
    this.capacity = Math.max(1, siteCount);
    this.header = this.exports.init(this.capacity);
    this.sites = this.exports.sitesAddress();
    this.fields = this.exports.siteFields();
  }

  /** The import the guest links as its allocator hook. */
  get hookImport(): WebAssembly.ExportValue {
    return this.exports.alloc;
  }

  beginCall(name: string): void {
    let calls = this.byExport.get(name);
    if (calls === undefined) this.byExport.set(name, (calls = { calls: 0, firstLive: 0, lastLive: 0, firstSites: undefined, lastSites: undefined }));
    calls.calls++;
    this.seq++;
    this.current = { name, call: calls.calls };
    this.calls[this.seq] = this.current;
    this.exports.beginCall(this.seq);
  }

  /** The instance exists: its memory's size is the first one known (growth in its start function is on no timeline, as with the JS tracker). */
  instantiated(memoryBytes: number): void {
    this.exports.notePages(memoryBytes / WASM_PAGE_BYTES);
    this.exports.clearGrowth();
  }

  endCall(memoryBytes: number): void {
    this.takeGrowth();
    if (this.exports.notePages(memoryBytes / WASM_PAGE_BYTES) !== 0) this.memoryGrew(memoryBytes);
    this.exports.endCall();
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    const calls = this.byExport.get(current.name)!;
    this.exports.sync();
    const live = this.headerField(H.liveBytes);
    const sites = this.siteLiveBytes();
    if (calls.calls === 1) {
      calls.firstLive = live;
      calls.firstSites = sites;
    }
    calls.lastLive = live;
    calls.lastSites = sites;
    this.point({ export: current.name, call: calls.calls, memoryBytes, liveBytes: live, event: 'call' });
  }

  private memoryGrew(memoryBytes: number): void {
    this.exports.sync();
    this.point({ export: this.current?.name ?? '(outside a call)', call: this.current?.call ?? 0, memoryBytes, liveBytes: this.headerField(H.liveBytes), event: 'grow' });
  }

  /** The growth points the recorder saw at allocator events since the last call's end, in order. */
  private takeGrowth(): void {
    const count = this.exports.growthPoints();
    if (count === 0) return;
    const f64 = new Float64Array(this.exports.memory.buffer, this.exports.growthAddress(), count * 3);
    for (let i = 0; i < count; i++) {
      const seq = f64[i * 3]!;
      const call = seq < 0 ? undefined : this.calls[seq];
      this.point({ export: call?.name ?? '(outside a call)', call: call?.call ?? 0, memoryBytes: f64[i * 3 + 1]! * WASM_PAGE_BYTES, liveBytes: f64[i * 3 + 2]!, event: 'grow' });
    }
    this.exports.clearGrowth();
  }

  report(): AllocationReport {
    this.takeGrowth();
    this.exports.takePeak();
    this.exports.sync();
    const f64 = new Float64Array(this.exports.memory.buffer);
    const h = (field: number): number => f64[(this.header >>> 3) + field]!;
    const base = this.sites >>> 3;
    const sites: AllocationSite[] = [];
    for (let id = 0; id < this.capacity; id++) {
      const at = base + id * this.fields;
      const s = (field: number): number => f64[at + field]!;
      const blocks = s(S.blocks);
      if (blocks === 0) continue;
      // Every freed block (inferred frees too) closed one lifetime.
      const count = s(S.freedBlocks);
      sites.push({
        stack: [this.frame(id)],
        blocks,
        bytes: s(S.bytes),
        freedBlocks: s(S.freedBlocks),
        freedBytes: s(S.freedBytes),
        liveBlocksAtPeak: s(S.peakBlocks),
        liveBytesAtPeak: s(S.peakBytes),
        liveBlocksAtEnd: blocks - s(S.freedBlocks),
        liveBytesAtEnd: s(S.bytes) - s(S.freedBytes) - s(S.shrunk),
        temporaryBlocks: s(S.temporary),
        averageBytes: s(S.bytes) / blocks,
        sizeHistogram: sizeHistogram(f64.subarray(at + S.histogram, at + S.histogram + BUCKETS)),
        ...optional('lifetimeCalls', lifetime(count, s(S.lifeCallsSum), s(S.lifeCallsMin), s(S.lifeCallsMax))),
        reallocs: s(S.reallocs),
        longestReallocChain: s(S.longestChain),
      });
    }
    sites.sort(bySizeThenStack);
    const sum = (pick: (site: AllocationSite) => number): number => sites.reduce((n, site) => n + pick(site), 0);
    const peakCall = h(H.peakCall);
    const peakAt = peakCall >= 0 ? this.calls[peakCall] : undefined;
    return {
      schema: ALLOCATION_REPORT_SCHEMA,
      allocator: this.allocator,
      totals: {
        blocks: sum((s) => s.blocks),
        bytes: sum((s) => s.bytes),
        freedBlocks: sum((s) => s.freedBlocks),
        freedBytes: sum((s) => s.freedBytes),
        temporaryBlocks: sum((s) => s.temporaryBlocks),
        liveBlocksAtEnd: h(H.liveBlocks),
        liveBytesAtEnd: h(H.liveBytes),
        unknownFrees: h(H.unknownFrees),
        failedAllocations: h(H.failed),
        inferredFrees: h(H.inferred),
      },
      peak: {
        liveBytes: h(H.peakBytes),
        liveBlocks: h(H.peakBlocks),
        ...(peakAt === undefined ? {} : { export: peakAt.name, call: peakAt.call }),
        stack: h(H.peakBytes) === 0 ? [] : [this.frame(h(H.peakSite))],
      },
      sites,
      perCall: this.perCall(),
      timeline: [...this.timeline],
      ...(this.timelineDropped > 0 ? { timelineDropped: this.timelineDropped } : {}),
      clock: 'none',
    };
  }

  private perCall(): PerCallLeak[] {
    return perCallLeaks(this.byExport, (id) => [this.frame(id)]);
  }

  private point(point: MemoryTimelinePoint): void {
    if (this.timeline.length >= TIMELINE_CAP) {
      this.timelineDropped++;
      return;
    }
    this.timeline.push({ ...point, liveToMemoryRatio: point.memoryBytes === 0 ? 0 : point.liveBytes / point.memoryBytes });
  }

  private headerField(field: number): number {
    return new Float64Array(this.exports.memory.buffer, this.header + field * 8, 1)[0]!;
  }

  /** Live bytes of every site, derived as the recorder keeps them: bytes − freed − shrunk. */
  private siteLiveBytes(): Float64Array {
    const f64 = new Float64Array(this.exports.memory.buffer);
    const column = new Float64Array(this.capacity);
    const base = this.sites >>> 3;
    for (let id = 0; id < this.capacity; id++) {
      const at = base + id * this.fields;
      column[id] = f64[at + S.bytes]! - f64[at + S.freedBytes]! - f64[at + S.shrunk]!;
    }
    return column;
  }
}

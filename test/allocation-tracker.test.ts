import { describe, expect, it } from 'vitest';
import { AllocationTracker } from '../src/profiler/build/allocation-tracker.js';
import type { AllocatorInfo } from '../src/profiler/model/allocation-report.js';

const INFO: AllocatorInfo = { family: 'c', functions: ['malloc', 'free'], freesVisible: true, notes: [] };
const NAMES = ['main', 'parse', 'alloc_node', 'grow'];

function tracker(clock?: () => number): { t: AllocationTracker; site: (...ids: number[]) => number } {
  const t = new AllocationTracker({ allocator: INFO, frame: (id) => ({ name: NAMES[id]!, functionIndex: id }), ...(clock ? { clock } : {}) });
  const site = (...ids: number[]): number => ids.reduce((parent, id) => t.sites.child(parent, id), 0);
  return { t, site };
}

const names = (stack: readonly { name: string }[]): string => stack.map((f) => f.name).join(';');

describe('allocation tracker', () => {
  it('keeps per-site totals, live at the global peak (t-gmax) and live at the end (t-end)', () => {
    const { t, site } = tracker();
    const parse = site(0, 1);
    const node = site(0, 1, 2);
    t.allocate(parse, 1000, 100);
    t.allocate(node, 2000, 50);
    t.free(1000); // live falls from the peak of 150: the peak's copy is taken here
    t.allocate(node, 3000, 20);
    t.allocate(node, 4000, 20);
    const report = t.report();
    expect(report.totals).toMatchObject({ blocks: 4, bytes: 190, freedBlocks: 1, freedBytes: 100, liveBlocksAtEnd: 3, liveBytesAtEnd: 90 });
    expect(report.peak).toMatchObject({ liveBytes: 150, liveBlocks: 2 });
    expect(names(report.peak.stack)).toBe('main;parse;alloc_node');
    const [first, second] = report.sites;
    expect(names(first!.stack)).toBe('main;parse');
    expect(first).toMatchObject({ blocks: 1, bytes: 100, liveBytesAtPeak: 100, liveBlocksAtPeak: 1, liveBytesAtEnd: 0, freedBytes: 100 });
    expect(names(second!.stack)).toBe('main;parse;alloc_node');
    expect(second).toMatchObject({ blocks: 3, bytes: 90, liveBytesAtPeak: 50, liveBlocksAtPeak: 1, liveBytesAtEnd: 90, liveBlocksAtEnd: 3, averageBytes: 30 });
  });

  it('counts a block freed before the next allocation as temporary (heaptrack)', () => {
    const { t, site } = tracker();
    const s = site(1);
    t.allocate(s, 10, 8);
    t.free(10); // temporary
    t.allocate(s, 10, 8);
    t.allocate(s, 20, 8);
    t.free(10); // not: another allocation came between
    t.free(20); // not: the last allocation was 20, but 10's free came between
    const report = t.report();
    expect(report.totals.temporaryBlocks).toBe(1);
    expect(report.sites[0]!.temporaryBlocks).toBe(1);
  });

  it('buckets sizes by powers of two', () => {
    const { t, site } = tracker();
    const s = site(1);
    [0, 1, 3, 4, 7, 1000, 1024].forEach((size, i) => t.allocate(s, 100 + i * 8, size));
    expect(t.report().sites[0]!.sizeHistogram).toEqual([
      { minBytes: 0, maxBytes: 0, blocks: 1 },
      { minBytes: 1, maxBytes: 1, blocks: 1 },
      { minBytes: 2, maxBytes: 3, blocks: 1 },
      { minBytes: 4, maxBytes: 7, blocks: 2 },
      { minBytes: 512, maxBytes: 1023, blocks: 1 },
      { minBytes: 1024, maxBytes: 2047, blocks: 1 },
    ]);
  });

  it('follows realloc growth chains: a moved C block frees the old one, in place keeps it', () => {
    const { t, site } = tracker();
    const g = site(3);
    t.allocate(g, 100, 8);
    t.reallocate(g, 100, 200, 16, true); // moved: 100 freed
    t.reallocate(g, 200, 200, 32, true); // grown in place
    t.reallocate(g, 200, 300, 64, true); // moved again
    const report = t.report();
    expect(report.totals).toMatchObject({ blocks: 3, bytes: 8 + 16 + 16 + 64, freedBlocks: 2, freedBytes: 8 + 32, liveBlocksAtEnd: 1, liveBytesAtEnd: 64 });
    expect(report.sites[0]).toMatchObject({ reallocs: 3, longestReallocChain: 3 });
  });

  it("leaves a collector's renew source live until it is swept", () => {
    const { t, site } = tracker();
    const s = site(1);
    t.allocate(s, 100, 8);
    t.reallocate(s, 100, 200, 16, false);
    expect(t.live).toEqual({ blocks: 2, bytes: 24 });
    t.free(100);
    expect(t.live).toEqual({ blocks: 1, bytes: 16 });
  });

  it('counts what it cannot match: unknown frees, failed allocations, addresses reused without a free', () => {
    const { t, site } = tracker();
    const s = site(1);
    t.free(64);
    t.free(0);
    t.allocate(s, 0, 10);
    t.allocate(s, 500, 10);
    t.allocate(s, 500, 12);
    expect(t.report().totals).toMatchObject({ unknownFrees: 1, failedAllocations: 1, inferredFrees: 1, liveBlocksAtEnd: 1, liveBytesAtEnd: 12 });
  });

  it('measures lifetimes in instructions and in calls', () => {
    let now = 0;
    const { t, site } = tracker(() => now);
    const s = site(1);
    t.beginCall('run');
    now = 100;
    t.allocate(s, 8, 4);
    now = 150;
    t.free(8); // 50 instructions, same call
    t.allocate(s, 16, 4);
    t.endCall(65536);
    t.beginCall('run');
    t.beginCall('run');
    now = 400;
    t.free(16); // 250 instructions, 2 calls later
    t.endCall(65536);
    const site0 = t.report().sites[0]!;
    expect(site0.lifetimeInstructions).toEqual({ min: 50, mean: 150, max: 250 });
    expect(site0.lifetimeCalls).toEqual({ min: 0, mean: 1, max: 2 });
  });

  it('checks each export against its live-byte baseline: bytes gained per call, by site', () => {
    const { t, site } = tracker();
    const leaky = site(1, 2);
    const clean = site(3);
    let pointer = 8;
    for (let call = 0; call < 5; call++) {
      t.beginCall('handle');
      t.allocate(leaky, (pointer += 64), 24);
      t.allocate(clean, (pointer += 64), 100);
      t.free(pointer);
      t.endCall(131072);
    }
    t.beginCall('other');
    t.endCall(131072);
    const report = t.report();
    expect(report.perCall).toHaveLength(1);
    const [handle] = report.perCall;
    expect(handle).toMatchObject({ export: 'handle', calls: 5, liveBytesGainedPerCall: 24 });
    expect(handle!.sites.map((s) => [names(s.stack), s.bytesPerCall])).toEqual([['parse;alloc_node', 24]]);
    expect(report.timeline).toHaveLength(6);
    expect(report.timeline[4]).toEqual({ export: 'handle', call: 5, memoryBytes: 131072, liveBytes: 120, event: 'call', liveToMemoryRatio: 120 / 131072 });
    expect(report.peak).toMatchObject({ export: 'handle', call: 5, liveBytes: 220 });
  });
});

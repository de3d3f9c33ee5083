import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import {
  AllocationProfiler,
  HeapLimitError,
  WasmHost,
  allocationTree,
  assertHeap,
  diffAllocations,
  formatAllocations,
  formatProfile,
  fromFolded,
  renderFlamegraph,
  toFolded,
  toPprofHeap,
  type AllocationReport,
} from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });

async function cHeapReport(): Promise<AllocationReport> {
  const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true, hooks: true } });
  const profiler = new AllocationProfiler(module);
  const sandbox = profiler.instantiate();
  sandbox.call('list', 10);
  sandbox.call('grow', 4);
  for (let i = 0; i < 3; i++) sandbox.call('keep', 100);
  return profiler.report();
}

describe('allocation views', () => {
  it('the allocation tree weighs stacks by bytes live at peak, allocated, blocks or live at end; folded stacks round-trip', async () => {
    const report = await cHeapReport();
    const allocated = allocationTree(report, 'allocated');
    expect(allocated.unit).toBe('bytes');
    expect(allocated.root.total).toBe(report.totals.bytes);
    expect(allocationTree(report, 'blocks').root.total).toBe(report.totals.blocks);
    expect(allocationTree(report, 'liveAtEnd').root.total).toBe(300);
    expect(allocationTree(report, 'liveAtPeak').root.total).toBe(report.sites.reduce((n, s) => n + s.liveBytesAtPeak, 0));
    // keep() (func[7]: no name section) calls posix_memalign itself; its nested malloc is not a second event.
    expect(toFolded(allocationTree(report, 'liveAtEnd')).trim()).toBe('func[7] 300');
    expect(fromFolded(toFolded(allocated), 'allocations', 'bytes').root.total).toBe(report.totals.bytes);
    const svg = renderFlamegraph(allocated, { title: 'allocations' });
    expect(svg).toContain('<svg');
    expect(svg).toContain('bytes');
  });

  it('the pprof heap profile carries all four sample types and re-imports to the same numbers', async () => {
    const report = await cHeapReport();
    const profile = Profile.decode(gunzipSync(toPprofHeap(report)));
    const strings = profile.stringTable.strings;
    expect(profile.sampleType.map((t) => `${strings[Number(t.type)]}/${strings[Number(t.unit)]}`)).toEqual([
      'alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes',
    ]);
    expect(strings[Number(profile.defaultSampleType)]).toBe('inuse_space');
    const sum = (i: number): number => profile.sample.reduce((n, s) => n + Number(s.value[i]), 0);
    expect([sum(0), sum(1), sum(2), sum(3)]).toEqual([report.totals.blocks, report.totals.bytes, report.totals.liveBlocksAtEnd, report.totals.liveBytesAtEnd]);
    // Leaf first: each sample's first location is the allocating function.
    const nameOf = new Map(profile.function.map((f) => [String(f.id), strings[Number(f.name)]]));
    const keep = profile.sample.find((s) => Number(s.value[3]) === 300)!;
    expect(keep.locationId.map((id) => nameOf.get(String(id)))).toEqual(['func[7]']);
    const site = profile.sample.find((s) => Number(s.value[0]) === 10)!; // list(): 10 nodes
    expect(site.locationId.map((id) => nameOf.get(String(id)))).toEqual(['func[5]']);
  });

  it('formatProfile prints the allocation summary; formatAllocations names leaks and the per-call check', async () => {
    const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true } });
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    for (let i = 0; i < 3; i++) sandbox.call('keep', 100);
    const text = formatProfile(module.profile());
    expect(text).toContain('allocations (c: malloc, free, calloc, realloc, posix_memalign; frees seen)');
    expect(text).toMatch(/live at end 3 blocks, 300 B/);
    expect(text).toContain('per-call leak check: keep() × 3 gains 100 B live per call');
    expect(formatAllocations(profiler.report())).toMatch(/live at end \(leaks[^\n]*\n[^\n]*\n[^\n]*\nfunc\[7\]\s+3\s+300 B/);
  });

  it('assertHeap throws a typed error naming the top sites', async () => {
    const report = await cHeapReport();
    expect(() => assertHeap(report, { maxPeakBytes: 10_000, maxLeakedBytesPerCall: 100, maxLiveBytesAtEnd: 300 })).not.toThrow();
    const leak = (() => {
      try {
        assertHeap(report, { maxLeakedBytesPerCall: 0 });
      } catch (error) {
        return error as HeapLimitError;
      }
      throw new Error('expected ERR_HEAP_LIMIT');
    })();
    expect(leak).toBeInstanceOf(HeapLimitError);
    expect(leak).toMatchObject({ code: 'ERR_HEAP_LIMIT', limit: 'maxLeakedBytesPerCall', allowedBytes: 0, actualBytes: 100 });
    expect(leak.sites[0]).toEqual({ stack: 'func[7]', bytes: 100 });
    expect(leak.message).toBe('keep() gains live heap on every call (3 calls): 100 bytes, over maxLeakedBytesPerCall = 0; top sites: func[7] (100 B)');
    expect(() => assertHeap(report, { maxPeakBytes: 303 })).toThrow(/peak live heap: 304 bytes, over maxPeakBytes = 303/);
    expect(() => assertHeap(report, { maxLiveBytesAtEnd: 0 })).toThrow(HeapLimitError);
  });

  it('diffs two reports site by site (heaptrack-style)', async () => {
    const run = async (keeps: number, withList: boolean): Promise<AllocationReport> => {
      const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true } });
      const profiler = new AllocationProfiler(module);
      const sandbox = profiler.instantiate();
      if (withList) sandbox.call('list', 10);
      for (let i = 0; i < keeps; i++) sandbox.call('keep', 100);
      return profiler.report();
    };
    const diff = diffAllocations(await run(3, true), await run(5, false));
    expect(diff.totals).toEqual({ blocks: 4 - 10, bytes: 2 * 104 - 120, liveBytesAtEnd: 200, temporaryBlocks: -1 });
    expect(diff.sites.map((s) => [s.stack.map((f) => f.name).join(';'), s.presence, s.blocks, s.bytes, s.liveBytesAtEnd])).toEqual([
      ['func[7]', 'both', 4, 208, 200], // |+208| bytes first
      ['func[5]', 'before', -10, -120, 0],
    ]);
  });
});

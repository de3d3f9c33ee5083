import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AllocationProfiler, InvalidOptionError, WasmHost, type AllocationReport, type AllocationSite } from '../src/index.js';
import { guestBytes, guestPath } from './helpers/guests.js';
import { stripCustomSections } from './helpers/strip.js';

const host = new WasmHost({ instrumentCacheDir: false });
const stackOf = (site: { stack: readonly { name: string }[] }): string => site.stack.map((f) => f.name).join(';');
const siteAt = (report: AllocationReport, stack: string): AllocationSite => {
  const site = report.sites.find((s) => stackOf(s) === stack);
  if (site === undefined) throw new Error(`no site ${stack}; sites: ${report.sites.map(stackOf).join(' | ')}`);
  return site;
};
const LEAK_SITE = 'assembly/alloc/leak;~lib/arraybuffer/ArrayBuffer#constructor';
const CHURN_SITE = 'assembly/alloc/churn;~lib/arraybuffer/ArrayBuffer#constructor';

describe('allocation profiler on AssemblyScript (alloc.wasm)', () => {
  it("leak() leaves exactly the buffers it keeps, with their bytes, at the leak site; churn's site ends empty", async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true, hooks: true } });
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    expect(sandbox.call('churn', 500, 64)).toBe(32_000);
    expect(sandbox.call('leak', 7, 100)).toBe(7);
    profiler.collect();
    const report = profiler.report();
    expect(report.allocator).toMatchObject({ family: 'assemblyscript', freesVisible: true });
    expect(report.allocator.functions).toEqual(['~lib/rt/itcms/__new', '~lib/rt/tlsf/insertBlock']);
    expect(siteAt(report, LEAK_SITE)).toMatchObject({ blocks: 7, bytes: 700, liveBlocksAtEnd: 7, liveBytesAtEnd: 700, freedBlocks: 0 });
    expect(siteAt(report, CHURN_SITE)).toMatchObject({ blocks: 500, bytes: 32_000, freedBlocks: 500, freedBytes: 32_000, liveBlocksAtEnd: 0, liveBytesAtEnd: 0, averageBytes: 64 });
    expect(siteAt(report, CHURN_SITE).sizeHistogram).toEqual([{ minBytes: 64, maxBytes: 127, blocks: 500 }]);
    // What else is live is the module's own `kept` array (made by its start function).
    const others = report.sites.filter((s) => s.liveBytesAtEnd > 0 && stackOf(s) !== LEAK_SITE);
    expect(others.every((s) => s.stack[0]!.name === '~start')).toBe(true);
    expect(report.totals.unknownFrees).toBe(0);
    expect(report.totals.liveBytesAtEnd).toBe(700 + others.reduce((n, s) => n + s.liveBytesAtEnd, 0));
    expect(report.peak.export).toBe('churn');
  });

  it("the per-call check finds leak()'s bytes per call at its site", async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true, hooks: true } });
    const profiler = new AllocationProfiler(module, { collectAfterEachCall: true });
    const sandbox = profiler.instantiate();
    for (let i = 0; i < 6; i++) sandbox.call('leak', 4, 50);
    const report = profiler.report();
    const [leak] = report.perCall;
    expect(leak!.export).toBe('leak');
    expect(leak!.calls).toBe(6);
    const bufferGain = leak!.sites.find((s) => stackOf(s) === LEAK_SITE);
    expect(bufferGain!.bytesPerCall).toBe(200);
    // The kept array's store grows too (__renew is inlined into it at -O3: it shows as __new calls).
    expect(leak!.liveBytesGainedPerCall).toBeGreaterThanOrEqual(200);
    expect(report.timeline.filter((p) => p.event === 'call')).toHaveLength(6);
  });

  it('without call-tree hooks a site is the calling function', async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true } });
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    sandbox.call('leak', 3, 10);
    profiler.collect();
    expect(siteAt(profiler.report(), '~lib/arraybuffer/ArrayBuffer#constructor')).toMatchObject({ liveBytesAtEnd: 30, liveBlocksAtEnd: 3 });
  });

  it('says so when a stripped module hides the frees inside the runtime', async () => {
    const module = await host.load(stripCustomSections(guestBytes('alloc')), { instrument: { allocator: true } });
    expect(module.instrumentation!.allocators).toEqual(['__new']); // found by its export name
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    sandbox.call('churn', 300, 64);
    profiler.collect();
    sandbox.call('churn', 300, 64);
    const report = profiler.report();
    expect(report.allocator.freesVisible).toBe(false);
    expect(report.allocator.notes[0]).toMatch(/frees cannot be seen.*name section/);
    expect(report.totals.freedBlocks).toBe(report.totals.inferredFrees); // no free was seen: only addresses handed out again
    expect(report.totals.inferredFrees).toBeGreaterThan(0); // swept addresses handed out again
    expect(report.totals.liveBlocksAtEnd).toBe(report.totals.blocks - report.totals.inferredFrees!);
  });

  it('counts lifetimes in instructions, the same on every run', async () => {
    const run = async (): Promise<unknown> => {
      const module = await host.load(guestPath('alloc'), { instrument: { allocator: true, fuel: true } });
      const profiler = new AllocationProfiler(module);
      profiler.instantiate().call('churn', 400, 32);
      profiler.collect();
      const site = siteAt(profiler.report(), '~lib/arraybuffer/ArrayBuffer#constructor');
      return site.lifetimeInstructions;
    };
    const first = await run();
    expect(first).toMatchObject({ min: expect.any(Number) as number });
    expect(await run()).toEqual(first);
  });

  it('joins the module profile as `allocations`', async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true } });
    const profiler = new AllocationProfiler(module);
    profiler.instantiate().call('leak', 2, 10);
    expect(module.profile().allocations?.totals.blocks).toBe(profiler.report().totals.blocks);
  });

  it('refuses a module loaded without allocator hooks, and stacks without call-tree hooks', async () => {
    const plain = await host.load(guestPath('alloc'));
    expect(() => new AllocationProfiler(plain)).toThrow(InvalidOptionError);
    const noHooks = await host.load(guestPath('alloc'), { instrument: { allocator: true } });
    expect(() => new AllocationProfiler(noHooks, { stacks: true })).toThrow(/hooks: true/);
  });
});

describe('allocation profiler on a C-style heap (c-heap.wat, no name section)', () => {
  it('has exact counts: malloc/free, calloc + realloc chain as one event per call, posix_memalign, leaks per call', async () => {
    const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true } });
    expect(module.instrumentation!.allocators).toEqual(['malloc', 'free', 'calloc', 'realloc', 'posix_memalign']);
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    expect(sandbox.call('list', 10)).toBe(10);
    expect(sandbox.call('grow', 4)).toBe(128);
    for (let i = 0; i < 3; i++) sandbox.call('keep', 100);
    const report = profiler.report();
    expect(report.allocator).toMatchObject({ family: 'c', freesVisible: true });
    // list: 10 nodes of 12 bytes, all freed, the last made freed first (temporary)
    expect(siteAt(report, 'func[5]')).toMatchObject({ blocks: 10, bytes: 120, freedBlocks: 10, liveBytesAtEnd: 0, temporaryBlocks: 1 });
    // grow: calloc(2, 4) then 4 reallocs that move: 8+16+32+64+128 bytes, one chain of 4; malloc/free inside realloc unseen
    expect(siteAt(report, 'func[6]')).toMatchObject({ blocks: 5, bytes: 248, freedBlocks: 5, freedBytes: 248, reallocs: 4, longestReallocChain: 4, liveBytesAtEnd: 0 });
    // keep: a 4-byte out-slot (freed) and the posix_memalign'd 100 bytes (kept) per call
    expect(siteAt(report, 'func[7]')).toMatchObject({ blocks: 6, bytes: 312, freedBlocks: 3, freedBytes: 12, liveBlocksAtEnd: 3, liveBytesAtEnd: 300 });
    expect(report.totals).toMatchObject({ blocks: 21, bytes: 680, liveBlocksAtEnd: 3, liveBytesAtEnd: 300, unknownFrees: 0, failedAllocations: 0, inferredFrees: 0 });
    expect(report.perCall).toEqual([{ export: 'keep', calls: 3, liveBytesGainedPerCall: 100, sites: [{ stack: [{ name: 'func[7]', functionIndex: 7 }], bytesPerCall: 100 }] }]);
    expect(report.peak).toMatchObject({ liveBytes: 304, export: 'keep', call: 3 }); // the third out-slot, before its free
  });

  it('reports the failed allocation when the heap hits the memory limit', async () => {
    const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true }, memoryLimitPages: 2 });
    const profiler = new AllocationProfiler(module);
    const sandbox = profiler.instantiate();
    expect(sandbox.call('keep', 200_000)).toBe(0);
    expect(profiler.report().totals.failedAllocations).toBe(1);
  });
});

describe('allocation profiler on sql.js (real C from npm)', () => {
  it('every byte malloc\'d by a workload that closes its database is freed or reported live with a site', async () => {
    const script = fileURLToPath(new URL('./fixtures/sqljs-allocations.mjs', import.meta.url));
    // sql.js's glue names malloc and free only by their minified export names (Ia, Ja in 1.x).
    const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify({ Ia: 'malloc', Ja: 'free' })], { timeout: 120_000 });
    const result = JSON.parse(stdout) as {
      totals: AllocationReport['totals'];
      liveSites: { stack: string[]; liveBytes: number; liveBlocks: number }[];
      liveBytesFromSites: number;
      freedBytesFromSites: number;
    };
    expect(result.totals.blocks).toBeGreaterThan(500);
    expect(result.totals.unknownFrees).toBe(0);
    expect(result.totals.inferredFrees).toBe(0);
    expect(result.totals.freedBytes + result.totals.liveBytesAtEnd).toBe(result.totals.bytes);
    expect(result.liveBytesFromSites).toBe(result.totals.liveBytesAtEnd);
    expect(result.freedBytesFromSites).toBe(result.totals.freedBytes);
    expect(result.liveSites.every((s) => s.stack.length > 0)).toBe(true);
  }, 150_000);
});

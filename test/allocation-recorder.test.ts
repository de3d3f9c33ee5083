import { describe, expect, it } from 'vitest';
import { AllocationProfiler, WasmHost, type AllocationReport, type Sandbox } from '../src/index.js';
import { guestBytes, guestPath } from './helpers/guests.js';
import { stripCustomSections } from './helpers/strip.js';

const host = new WasmHost({ instrumentCacheDir: false });

/** The same workload under the wasm recorder and the JS tracker. */
async function both(guest: string | Uint8Array, work: (sandbox: Sandbox, collect: () => void) => void, collectAfterEachCall = false): Promise<[AllocationReport, AllocationReport]> {
  const module = await host.load(typeof guest === 'string' ? guestPath(guest) : guest, { instrument: { allocator: true } });
  const reports: AllocationReport[] = [];
  for (const engine of ['wasm', 'js'] as const) {
    const profiler = new AllocationProfiler(module, { engine, collectAfterEachCall });
    expect(profiler.engine).toBe(engine);
    const sandbox = profiler.instantiate();
    work(sandbox, () => profiler.collect(sandbox));
    reports.push(profiler.report());
  }
  return reports as [AllocationReport, AllocationReport];
}

describe('the wasm allocation recorder and the JS tracker produce identical reports', () => {
  it('alloc.wasm: churn, leak, the collector sweeping, per-call leak check', async () => {
    const [wasm, js] = await both('alloc', (sandbox, collect) => {
      sandbox.call('churn', 3000, 48);
      for (let i = 0; i < 4; i++) sandbox.call('leak', 6, 100);
      // Thousands live at once: the recorder's table grows twice, moving every entry.
      sandbox.call('leak', 5000, 16);
      collect();
      sandbox.call('churn', 500, 300);
    }, true);
    expect(wasm.totals.blocks).toBeGreaterThan(8500);
    expect(wasm.totals.freedBlocks).toBeGreaterThan(3000);
    expect(wasm.perCall).toHaveLength(2);
    expect(wasm).toEqual(js);
  });

  it('c-heap.wasm: malloc/free, calloc, realloc chains in place and moved, posix_memalign, a failed allocation, memory growth', async () => {
    const [wasm, js] = await both('c-heap', (sandbox) => {
      sandbox.call('list', 50);
      sandbox.call('grow', 6);
      for (let i = 0; i < 5; i++) sandbox.call('keep', 4000);
      sandbox.call('keep', 100_000); // grows memory
      sandbox.call('keep', 0x7fffffff); // refused
    });
    expect(wasm.totals).toMatchObject({ failedAllocations: 1 });
    expect(wasm.totals.temporaryBlocks).toBeGreaterThan(0);
    expect(wasm.sites.some((s) => s.longestReallocChain === 6)).toBe(true);
    // Growth is seen at the next allocator event by the JS tracker, at the call's end by the
    // recorder: same call, same memory size, live bytes of that moment (docs/profiler.md).
    const grows = (r: AllocationReport): unknown[] => r.timeline.filter((p) => p.event === 'grow').map((p) => [p.export, p.call, p.memoryBytes]);
    // The heap's top is then ≈126 KB: two pages, grown to exactly what it needs.
    expect(grows(wasm)).toEqual([['keep', 6, 131072]]);
    expect(grows(js)).toEqual(grows(wasm));
    const withoutGrowth = (r: AllocationReport): AllocationReport => ({ ...r, timeline: r.timeline.filter((p) => p.event !== 'grow') });
    expect(withoutGrowth(wasm)).toEqual(withoutGrowth(js));
  });

  it('a stripped module: frees unseen, reused addresses inferred', async () => {
    const [wasm, js] = await both(stripCustomSections(guestBytes('alloc')), (sandbox, collect) => {
      sandbox.call('churn', 400, 64);
      collect();
      sandbox.call('churn', 400, 64);
    });
    expect(wasm.totals.inferredFrees).toBeGreaterThan(0);
    expect(wasm).toEqual(js);
  });

  it('is the default engine without stacks or fuel, and refuses stacks', async () => {
    const module = await host.load(guestPath('c-heap'), { instrument: { allocator: true } });
    expect(new AllocationProfiler(module).engine).toBe('wasm');
    const stacked = await host.load(guestPath('c-heap'), { instrument: { allocator: true, hooks: true } });
    expect(new AllocationProfiler(stacked).engine).toBe('js');
    expect(() => new AllocationProfiler(stacked, { engine: 'wasm', stacks: true })).toThrow(/use engine: 'js' for stacks/);
  });
});

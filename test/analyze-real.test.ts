/**
 * Findings on profiles of real guests (not hand-made data): what the rules read is what the
 * host and the profilers produce (call trees, the allocation tracker, the cache simulator), and a
 * profile saved and read back analyses the same.
 */
import { describe, expect, it } from 'vitest';
import { AllocationProfiler, CacheProfiler, GuestProfiler, WasmHost, analyze, parseSavedProfileText, SAVED_PROFILE_SCHEMA } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost();

describe('findings on real guests', () => {
  it('host-imports: a guest asking the host for every item spends its time in (host)', async () => {
    const module = await host.load(guestPath('hostcalls'), { instrument: { hooks: true } });
    const profiler = new GuestProfiler(module, 'instrumented');
    // Each lookup busies the host for ≈20 µs: far more than the guest's loop step and the hooks.
    const lookup = (i: number): number => {
      const until = performance.now() + 0.02;
      while (performance.now() < until);
      return i & 7;
    };
    const sandbox = profiler.instantiate({ imports: { host: { lookup } } });
    expect(sandbox.call('chatty', 200)).toBe(700);
    expect(sandbox.call('quiet', 200)).toBe(700);
    // Without a hook calibration (≈1 s on a busy machine) the share's interval is [0, share].
    const report = analyze({ modules: [{ profile: module.profile(), tree: profiler.tree() }] });
    const found = report.findings.filter((f) => f.id === 'host-imports');
    expect(found.map((f) => f.where)).toEqual([{ module: 'hostcalls.wasm', function: 'assembly/hostcalls/chatty', path: ['assembly/hostcalls/chatty', '(host)'] }]);
    expect(found[0]!.evidence).toContainEqual({ label: 'host calls', value: 200, unit: 'calls' });
    expect(found[0]!.confidence).toMatchObject({ kind: 'interval', low: 0 });
  });

  it('memory-growth: alloc.wasm keeping 400 KiB a call grows its memory, counted exactly', async () => {
    const module = await host.load(guestPath('alloc'));
    const sandbox = module.instantiate();
    for (let i = 0; i < 10; i++) sandbox.call('leak', 100, 4096);
    const profile = module.profile();
    const events = profile.exports[0]!.memory.growthEvents;
    const [finding] = analyze({ modules: [{ profile }] }).findings.filter((f) => f.id === 'memory-growth');
    expect(finding!.evidence[0]).toEqual({ label: 'growth events', value: events, unit: 'calls' });
    expect(events).toBeGreaterThanOrEqual(2);
    expect(finding!.recommendation).toContain(`initial memory of ${Math.ceil(profile.memory.peakBytes / 65536)} pages`);
    expect(finding!.confidence).toEqual({ kind: 'exact' });
  });

  it("leak and allocation-hot-spot: alloc.wasm's leak names its site and the bytes it keeps a call; churn allocates but returns to its baseline", async () => {
    const module = await host.load(guestPath('alloc'), { instrument: { allocator: true, hooks: true } });
    const profiler = new AllocationProfiler(module, { collectAfterEachCall: true }); // live = still referenced
    const sandbox = profiler.instantiate();
    for (let i = 0; i < 5; i++) expect(sandbox.call('churn', 1000, 64)).toBe(64_000);
    for (let i = 0; i < 5; i++) expect(sandbox.call('leak', 10, 256)).toBe(10 * (i + 1));
    const report = analyze({ modules: [{ profile: module.profile() }] });
    const site = 'assembly/alloc/leak → ~lib/arraybuffer/ArrayBuffer#constructor';

    const leaks = report.findings.filter((f) => f.id === 'leak');
    expect(leaks.map((f) => f.where)).toEqual([{ module: 'alloc.wasm', export: 'leak', path: ['assembly/alloc/leak', '~lib/arraybuffer/ArrayBuffer#constructor'], site }]);
    const [leaked] = leaks;
    // 10 buffers of 256 B a call, and the kept array's backing store growing by 48 B a call on average.
    expect(leaked!.title).toBe('leak keeps 2608 more live bytes after every call');
    expect(leaked!.evidence).toEqual([
      { label: 'live bytes gained per call', value: 2608, unit: 'bytes' },
      { label: 'calls', value: 5, unit: 'calls' },
      { label: `from ${site}`, value: 2560, unit: 'bytes/call' },
      { label: 'from assembly/alloc/leak', value: 48, unit: 'bytes/call' },
    ]);
    expect(leaked!.saving.value).toBe(2608 * 4);
    expect(leaked!.recommendation).toContain(`Free, or stop keeping, what ${site} allocates in each leak call`);
    expect(leaked!.confidence).toEqual({ kind: 'exact' });
    // churn was checked (5 calls) and gained nothing.
    expect(module.profile().allocations!.perCall.find((p) => p.export === 'churn')).toMatchObject({ calls: 5, liveBytesGainedPerCall: 0 });

    const hot = report.findings.filter((f) => f.id === 'allocation-hot-spot');
    expect(hot.map((f) => f.where.site)).toEqual(['assembly/alloc/churn → ~lib/arraybuffer/ArrayBuffer#constructor']);
    expect(hot[0]!.where.export).toBe('churn');
    expect(hot[0]!.title).toBe('assembly/alloc/churn → ~lib/arraybuffer/ArrayBuffer#constructor allocates 1000 blocks a call');
    expect(hot[0]!.evidence).toEqual([
      { label: 'blocks', value: 5000, unit: 'blocks' },
      { label: 'bytes', value: 320_000, unit: 'bytes' },
      { label: 'blocks per call', value: 1000, unit: 'blocks' },
      { label: 'temporary blocks', value: 0, unit: 'blocks' }, // the collector frees them after the call, not before the next allocation
      { label: 'average size', value: 64, unit: 'bytes' },
    ]);
    expect(hot[0]!.saving.value).toBe(320_000);
  });

  it("poor-locality: a real cache simulation of matrix.wasm names sumColumnMajor, not sumRowMajor", async () => {
    const module = await host.load(guestPath('matrix'), { instrument: { memory: true, hooks: true } });
    // A fixed geometry (not this machine's): the 2 MiB matrix fits neither level.
    const cache = new CacheProfiler(module, { d1: { sizeBytes: 32768, associativity: 8, lineBytes: 64 }, ll: { sizeBytes: 1 << 20, associativity: 16, lineBytes: 64 } });
    const sandbox = cache.instantiate();
    sandbox.call('init', 512);
    expect(sandbox.call('sumRowMajor')).toBe(sandbox.call('sumColumnMajor'));
    const report = analyze({ modules: [{ profile: module.profile() }] });
    const found = report.findings.filter((f) => f.id === 'poor-locality');
    expect(found.map((f) => f.where)).toEqual([{ module: 'matrix.wasm', export: 'sumColumnMajor', function: 'assembly/matrix/sumColumnMajor' }]);
    const [f] = found;
    expect(f!.title).toBe('assembly/matrix/sumColumnMajor misses D1 on 100 % of its loads, striding 4096 B');
    // 512 × 512 loads of 8 B, each 4 KiB from the last: every one a new line, in D1 and in LL.
    expect(f!.evidence).toEqual([
      { label: 'loads', value: 262_144, unit: 'accesses' },
      { label: 'D1 misses', value: 262_144, unit: 'misses' },
      { label: 'D1 miss rate', value: 100, unit: '%' },
      { label: 'LL misses', value: 262_144, unit: 'misses' },
      { label: 'LL miss rate', value: 100, unit: '%' },
      { label: 'stride', value: 4096, unit: 'bytes' },
      { label: 'element', value: 8, unit: 'bytes' },
      { label: 'line', value: 64, unit: 'bytes' },
    ]);
    // Walked in address order it would miss once per 8 doubles, as sumRowMajor nearly does (its 2 MiB do not start on a line boundary: 32,769 lines).
    expect(f!.saving.value).toBe(262_144 - 32_768);
    const row = module.profile().cacheSimulation!.functions.find((fn) => fn.name === 'assembly/matrix/sumRowMajor')!;
    expect(row).toMatchObject({ reads: 262_144, d1ReadMisses: 32_769, stride: { kind: 'sequential', bytes: 8 } });
    expect(f!.severity).toBe('high');
  });

  it('a real profile saved and read back gives the same report', async () => {
    const module = await host.load(guestPath('profile'), { instrument: { hooks: true, fuel: true } });
    const profiler = new GuestProfiler(module, 'instructions');
    profiler.instantiate().call('outer', 1000);
    const measured = { profile: module.profile(), tree: profiler.tree(), limits: { fuel: 1_000_000 } };
    const text = JSON.stringify({ schema: SAVED_PROFILE_SCHEMA, savedAt: new Date().toISOString(), modules: [measured] });
    const again = analyze({ modules: parseSavedProfileText(text).modules });
    const direct = analyze({ modules: [measured] });
    expect(again).toEqual(JSON.parse(JSON.stringify(direct)));
    // outer(1000) runs 230,059 instructions of the fuel's 1,000,000: no limit is approached.
    expect(direct.passed.map((p) => p.id)).toContain('limit-approached');
    expect(direct.findings[0]!.evidence[0]).toEqual({ label: 'self weight', value: 230_036, unit: 'instructions' });
  });
});

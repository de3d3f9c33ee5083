import { describe, expect, it } from 'vitest';
import { CacheProfiler } from '../src/host/profiling/cache-profiler.js';
import { WasmHost, type Sandbox } from '../src/index.js';
import type { CacheGeometry } from '../src/profiler/model/cache-report.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });
const both = { instrument: { memory: true, hooks: true } } as const;

// D1 1 KiB 2-way (8 sets), LL 64 KiB 4-way (256 sets), 64 B lines.
const SMALL = { d1: { sizeBytes: 1024, associativity: 2, lineBytes: 64 }, ll: { sizeBytes: 65536, associativity: 4, lineBytes: 64 } } satisfies Partial<CacheGeometry>;

async function recordBoth(guest: string, run: (s: Sandbox) => void, memoryLimitPages?: number) {
  const module = await host.load(guestPath(guest), { ...both, ...(memoryLimitPages === undefined ? {} : { memoryLimitPages }) });
  const out = [];
  for (const recorder of ['wasm', 'js'] as const) {
    const profiler = new CacheProfiler(module, { ...SMALL, recorder });
    run(profiler.instantiate());
    out.push({ recording: profiler.recording(), report: profiler.report() });
  }
  return out;
}

describe('the wasm cache recorder', () => {
  it.each([
    ['matrix', (s: Sandbox) => (s.call('init', 48), s.call('sumRowMajor'), s.call('sumColumnMajor'))],
    ['sum', (s: Sandbox) => (s.call('fillSeries', 20_000), s.call('sumSeries'), s.call('sumSeriesChecked'), s.typed('sumF64', { params: ['Float64Array'], result: 'f64' })(new Float64Array(3000).fill(1)))],
    ['alloc', (s: Sandbox) => (s.call('churn', 200, 100), s.call('leak', 30, 700))],
    ['fib', (s: Sandbox) => s.call('fib', 18)],
    ['profile', (s: Sandbox) => s.call('outer', 2000)],
    // A trap unwinds frames without exit hooks (the recorder closes them at the boundary); an
    // out-of-bounds address is reported before it traps and lies beyond the tracked lines.
    ['trap', (s: Sandbox) => (expect(() => s.call('loadAt', 0xfffffff0)).toThrow(), expect(() => s.call('divide', 1, 0)).toThrow(), s.call('divide', 84, 2))],
  ] as const)('records exactly what the pure model records on %s', async (guest, run) => {
    const [wasm, js] = await recordBoth(guest, run as (s: Sandbox) => void);
    expect(wasm!.recording).toEqual(js!.recording);
    expect(wasm!.report).toEqual(js!.report);
    expect(js!.report.totals.reads + js!.report.totals.writes).toBeGreaterThan(['fib', 'profile', 'trap'].includes(guest) ? -1 : 1000);
    if (guest === 'trap') {
      expect(js!.recording.untrackedLines).toBeGreaterThan(0);
      // Each trapped call closed at the boundary: one completed call per export called.
      expect(js!.report.exports.map((e) => [e.name, e.calls]).sort()).toEqual([['divide', 2], ['loadAt', 1]]);
    }
  });

  it('agrees on long traces whose line table grows and whose tracked range runs out', async () => {
    // 64 pages (4 MiB) tracked; 100 000 doubles (800 KB) walked twice, the line table grows as they are touched.
    const [wasm, js] = await recordBoth('sum', (s) => (s.call('fillSeries', 100_000), s.call('sumSeries'), s.call('sumSeries')), 64);
    expect(wasm!.recording).toEqual(js!.recording);
  });
});

describe('CacheProfiler options', () => {
  it('needs memory hooks, and a geometry cachegrind would accept', async () => {
    const plain = await host.load(guestPath('matrix'));
    expect(() => new CacheProfiler(plain)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('{ instrument: { memory: true } }') }));
    const module = await host.load(guestPath('matrix'), both);
    expect(() => new CacheProfiler(module, { d1: { sizeBytes: 1024, associativity: 3, lineBytes: 64 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^options\.d1: .*multiple/) }));
    expect(() => new CacheProfiler(module, { recorder: 'c' as 'js' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    // One level given: the other is this machine's, and the source says so.
    expect(new CacheProfiler(module, { d1: SMALL.d1 }).geometry.source).toMatch(/^the caller \(--D1\), the rest /);
  });

  it('without function hooks gives totals and the reuse histogram, and says why there is no more', async () => {
    const module = await host.load(guestPath('matrix'), { instrument: { memory: true } });
    const [wasm, js] = await Promise.all(['wasm', 'js'].map(async (recorder) => {
      const profiler = new CacheProfiler(module, { ...SMALL, recorder: recorder as 'wasm' | 'js' });
      const sandbox = profiler.instantiate();
      sandbox.call('init', 16);
      sandbox.call('sumColumnMajor');
      return profiler.report();
    }));
    expect(wasm).toEqual(js);
    expect(wasm!.functions).toEqual([]);
    expect(wasm!.exports).toEqual([]);
    expect(wasm!.callTree).toBeUndefined();
    expect(wasm!.totals.reads).toBeGreaterThanOrEqual(256);
    expect(wasm!.notes.join('\n')).toContain('need the module loaded with { instrument: { memory: true, hooks: true } }');
  });
});

describe('several sandboxes of one profiler', () => {
  it('merge by call path: counters add up, each sandbox had its own cache', async () => {
    const module = await host.load(guestPath('matrix'), both);
    const profiler = new CacheProfiler(module, SMALL);
    const single = new CacheProfiler(module, SMALL);
    const run = (s: Sandbox) => (s.call('init', 16), s.call('sumRowMajor'));
    run(profiler.instantiate());
    run(profiler.instantiate());
    run(single.instantiate());
    const one = single.report();
    const two = profiler.report();
    expect(two.totals.reads).toBe(2 * one.totals.reads);
    expect(two.totals.d1ReadMisses).toBe(2 * one.totals.d1ReadMisses);
    expect(two.exports.find((e) => e.name === 'sumRowMajor')).toMatchObject({ calls: 2, reads: 2 * 256 });
    expect(two.callTree!.children.map((c) => c.name)).toEqual(one.callTree!.children.map((c) => c.name));
  });
});

describe('matrix.wasm under a small cache', () => {
  it('misses once per line walking row-major and on every access walking column-major', async () => {
    const n = 64;
    // Where the matrix lies in this guest's memory: the first element sumRowMajor loads.
    const plain = await host.load(guestPath('matrix'), { instrument: { memory: true } });
    let first = -1;
    const probe = plain.instantiate({ memoryHooks: { load: (a, bytes) => void (first < 0 && bytes === 8 && (first = a)), store: () => undefined } });
    probe.call('init', n);
    first = -1;
    probe.call('sumRowMajor');
    expect(first % 8).toBe(0); // f64-aligned: no element straddles two lines

    const module = await host.load(guestPath('matrix'), both);
    const profiler = new CacheProfiler(module, SMALL);
    const sandbox = profiler.instantiate();
    sandbox.call('init', n);
    sandbox.call('sumRowMajor');
    sandbox.call('sumColumnMajor');
    const report = profiler.report();
    const byName = new Map(report.exports.map((e) => [e.name, e]));
    const row = byName.get('sumRowMajor')!;
    const column = byName.get('sumColumnMajor')!;
    const lines = Math.ceil(((first % 64) + n * n * 8) / 64); // 512 or 513
    // Row-major: 8 elements per line, each line loaded once (init's stores left only the tail in D1,
    // and the walk evicts it before reaching it). The whole 32 KiB matrix stays in the 64 KiB LL.
    // (Each iteration also stores to one shadow-stack slot, AssemblyScript's GC root: one line, always hit.)
    expect(row).toMatchObject({ calls: 1, reads: n * n, d1ReadMisses: lines, llReadMisses: 0, workingSetLines: lines + 1 });
    // Column-major: a row is 512 B = 8 lines, so a column's 64 lines all fall in one D1 set of 2 ways:
    // every access misses D1. In LL they spread over 32 sets × 2 lines (4 ways): all hit.
    expect(column).toMatchObject({ calls: 1, reads: n * n, d1ReadMisses: n * n, llReadMisses: 0, workingSetLines: lines + 1 });
    expect([row.d1WriteMisses, column.d1WriteMisses]).toEqual([0, 0]);
    expect(row.estimatedCycles).toBe(row.writes + n * n - lines + 5 * lines);
    expect(column.estimatedCycles).toBe(column.writes + 5 * n * n);
    const fn = new Map(report.functions.map((f) => [f.name, f]));
    expect(fn.get('assembly/matrix/sumRowMajor')?.stride).toEqual({ kind: 'sequential', bytes: 8 });
    expect(fn.get('assembly/matrix/sumColumnMajor')?.stride).toEqual({ kind: 'strided', bytes: n * 8 });
    // The start function (the runtime's setup at instantiation) is a call from the host too.
    expect(report.callTree!.children.map((c) => c.name)).toEqual(['~start', 'assembly/matrix/init', 'assembly/matrix/sumRowMajor', 'assembly/matrix/sumColumnMajor']);
    expect(report.callTree!.children[2]!.total).toMatchObject({ reads: n * n, d1ReadMisses: lines });
    expect(module.profile().cacheSimulation).toEqual(report);
  });
});

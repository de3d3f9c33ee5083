/**
 * Every analyzer rule on hand-made profiles: one case where it fires (with the numbers it
 * must report) and one where it must stay silent.
 */
import { describe, expect, it } from 'vitest';
import { ALLOCATION_REPORT_SCHEMA, type AllocationReport, type AllocationSite } from '../src/profiler/model/allocation-report.js';
import { CACHE_REPORT_SCHEMA, type CacheFunctionStats, type CacheReport } from '../src/profiler/model/cache-report.js';
import type { PoolProfile } from '../src/profiler/model/pool-profile.js';
import type { AnalysisInput, AnalysisRule, AnalyzedModule, FindingDraft } from '../src/profiler/analyze/rule.js';
import { allocationHotSpot } from '../src/profiler/analyze/rules/allocation-hot-spot.js';
import { coldStartCompile } from '../src/profiler/analyze/rules/cold-start-compile.js';
import { errorRate } from '../src/profiler/analyze/rules/error-rate.js';
import { hostCallOverhead } from '../src/profiler/analyze/rules/host-call-overhead.js';
import { hostImports } from '../src/profiler/analyze/rules/host-imports.js';
import { hotFunction } from '../src/profiler/analyze/rules/hot-function.js';
import { leak } from '../src/profiler/analyze/rules/leak.js';
import { limitApproached } from '../src/profiler/analyze/rules/limit-approached.js';
import { limitExhausted } from '../src/profiler/analyze/rules/limit-exhausted.js';
import { memoryGrowth } from '../src/profiler/analyze/rules/memory-growth.js';
import { moduleCache } from '../src/profiler/analyze/rules/module-cache.js';
import { poolQueueWait } from '../src/profiler/analyze/rules/pool-queue-wait.js';
import { poolSaturation } from '../src/profiler/analyze/rules/pool-saturation.js';
import { poolSpinning } from '../src/profiler/analyze/rules/pool-spinning.js';
import { poorLocality } from '../src/profiler/analyze/rules/poor-locality.js';
import { tailLatency } from '../src/profiler/analyze/rules/tail-latency.js';
import { trapStorm } from '../src/profiler/analyze/rules/trap-storm.js';
import { exportProfile, latencyMix, moduleProfile, treeOf } from './helpers/profiles.js';

function findings(rule: AnalysisRule, input: AnalysisInput): readonly FindingDraft[] {
  const outcome = rule.run(input);
  if (outcome.state !== 'ran') throw new Error(`${rule.id} skipped: ${outcome.reason}`);
  return outcome.findings;
}
const one = (m: AnalyzedModule): AnalysisInput => ({ modules: [m] });

describe('hot-function', () => {
  const tree = (kernelSelf: number) =>
    treeOf('instructions', 'instructions', [['outer', 100, 10, [['kernel', kernelSelf, 30], ['helper', 200, 10]]]], (n) => ({ outer: 3, kernel: 1, helper: 2 })[n]);

  it('fires when one function holds most self weight, with its path and an exact saving', () => {
    const [f, ...rest] = findings(hotFunction, one({ profile: moduleProfile('profile.wasm'), tree: tree(1700) }));
    expect(rest).toHaveLength(0);
    expect(f!.where).toEqual({ module: 'profile.wasm', function: 'kernel', path: ['outer', 'kernel'] });
    expect(f!.saving.value).toBe(1700);
    expect(f!.saving.share).toBeCloseTo(0.85, 12);
    expect(f!.severity).toBe('high');
    expect(f!.confidence).toEqual({ kind: 'exact' });
    expect(f!.evidence).toContainEqual({ label: 'calls', value: 30, unit: 'calls' });
  });

  it('stays silent when the weight is spread', () => {
    expect(findings(hotFunction, one({ profile: moduleProfile('m'), tree: tree(250) }))).toEqual([]);
  });

  it('a sampled share carries a Wilson interval; an instrumented one the hook-cost bounds', () => {
    const sampled = treeOf('sampling', 'samples', [['outer', 10, 0, [['kernel', 80, 0], ['helper', 10, 0]]]]);
    const [s] = findings(hotFunction, one({ profile: moduleProfile('m'), tree: sampled }));
    expect(s!.confidence).toMatchObject({ kind: 'interval', level: 0.95 });
    const c = s!.confidence as { low: number; high: number };
    expect(c.low).toBeCloseTo(0.7112, 3);
    expect(c.high).toBeCloseTo(0.8666, 3);
    const timed = treeOf('instrumented', 'nanoseconds', [['outer', 1000, 1, [['kernel', 8000, 10], ['helper', 1000, 1]]]]);
    const [t] = findings(hotFunction, one({ profile: moduleProfile('m'), tree: timed, hookOverhead: { perCall: 50, perChildCall: 50 } }));
    expect(t!.confidence).toEqual({ kind: 'interval', low: (8000 - 100 * 10) / 10000, high: 0.8, level: 1 });
  });
});

describe('host-imports', () => {
  it('fires when (host) frames dominate a guest function', () => {
    const tree = treeOf('instrumented', 'nanoseconds', [['render', 200, 1, [['(host)', 800, 400]]], ['other', 1000, 1]]);
    const [f, ...rest] = findings(hostImports, one({ profile: moduleProfile('m'), tree }));
    expect(rest).toHaveLength(0);
    expect(f!.where).toEqual({ module: 'm', function: 'render', path: ['render', '(host)'] });
    expect(f!.evidence).toEqual([
      { label: 'in host imports', value: 800, unit: 'nanoseconds' },
      { label: 'function inclusive', value: 1000, unit: 'nanoseconds' },
      { label: 'host calls', value: 400, unit: 'calls' },
    ]);
    expect(f!.saving.share).toBeCloseTo(0.4, 12);
  });

  it('stays silent when host calls are a small part', () => {
    const tree = treeOf('instrumented', 'nanoseconds', [['render', 900, 1, [['(host)', 100, 4]]]]);
    expect(findings(hostImports, one({ profile: moduleProfile('m'), tree }))).toEqual([]);
  });
});

describe('host-call-overhead', () => {
  it('fires for many calls barely longer than an empty call', () => {
    const e = exportProfile('add', { calls: 1_000_000, latency: latencyMix(1000, 60) });
    const [f] = findings(hostCallOverhead, one({ profile: moduleProfile('add.wasm', { exports: [e] }), callOverheadNs: 50 }));
    expect(f!.where).toEqual({ module: 'add.wasm', export: 'add' });
    expect(f!.saving.value).toBe(50 * 1_000_000);
    expect(f!.saving.share).toBeCloseTo(50 / 60, 2);
    expect(f!.severity).toBe('high');
  });

  it('never counts more crossing than the call itself when the yardstick reads above it', () => {
    const e = exportProfile('add', { calls: 1_000_000, latency: latencyMix(1000, 96) });
    const [f] = findings(hostCallOverhead, one({ profile: moduleProfile('add.wasm', { exports: [e] }), callOverheadNs: 143 }));
    expect(f!.saving.value).toBe(96 * 1_000_000);
    expect(f!.saving.share).toBe(1);
    expect(f!.title).toBe('add: 1,000,000 calls of 96 ns, no longer than an empty call (143 ns): all of each is the crossing into the guest');
    expect(f!.recommendation).toContain('each pay about 96 ns to cross');
  });

  it('stays silent for long calls, and for few calls', () => {
    const long = exportProfile('work', { calls: 1_000_000, latency: latencyMix(1000, 5000) });
    const few = exportProfile('add', { calls: 999, latency: latencyMix(999, 60) });
    expect(findings(hostCallOverhead, one({ profile: moduleProfile('m', { exports: [long, few] }), callOverheadNs: 50 }))).toEqual([]);
  });

  it('is skipped without the empty-call yardstick', () => {
    expect(hostCallOverhead.run(one({ profile: moduleProfile('m') }))).toEqual({ state: 'skipped', reason: 'the cost of an empty call was not measured beside the profile' });
  });
});

describe('memory-growth', () => {
  it('fires when memory keeps growing during calls, advising the peak as initial memory', () => {
    const e = exportProfile('grow', { calls: 40, memory: { growthEvents: 20, bytesGrown: 20 * 65536, bytesBefore: 0, bytesAfter: 0 } });
    const profile = moduleProfile('grow.wasm', { exports: [e], memory: { limitPages: 4096, declaredInitialPages: 1, declaredMaximumPages: undefined, capped: true, peakBytes: 21 * 65536 } });
    const [f] = findings(memoryGrowth, one({ profile }));
    expect(f!.recommendation).toContain('initial memory of 21 pages');
    expect(f!.saving).toMatchObject({ value: 20, share: 0.5 });
    expect(f!.severity).toBe('high');
  });

  it('stays silent for a single first growth', () => {
    const e = exportProfile('f', { memory: { growthEvents: 1, bytesGrown: 65536, bytesBefore: 0, bytesAfter: 0 } });
    expect(findings(memoryGrowth, one({ profile: moduleProfile('m', { exports: [e] }) }))).toEqual([]);
  });
});

function site(name: string, over: Partial<AllocationSite>): AllocationSite {
  return {
    stack: [{ name: 'churn', functionIndex: 5 }, { name, functionIndex: 6 }],
    blocks: 10, bytes: 2560, freedBlocks: 10, freedBytes: 2560, liveBlocksAtPeak: 0, liveBytesAtPeak: 0, liveBlocksAtEnd: 0, liveBytesAtEnd: 0,
    temporaryBlocks: 0, averageBytes: 256, sizeHistogram: [], reallocs: 0, longestReallocChain: 0,
    ...over,
  };
}

function allocations(sites: AllocationSite[], perCall: AllocationReport['perCall'] = []): AllocationReport {
  const bytes = sites.reduce((n, s) => n + s.bytes, 0);
  return {
    schema: ALLOCATION_REPORT_SCHEMA,
    allocator: { family: 'assemblyscript', functions: ['__new'], freesVisible: true, notes: [] },
    totals: { blocks: sites.reduce((n, s) => n + s.blocks, 0), bytes, freedBlocks: 0, freedBytes: 0, temporaryBlocks: 0, liveBlocksAtEnd: 0, liveBytesAtEnd: 0 },
    peak: { liveBytes: 409_600, liveBlocks: 100, stack: [] },
    sites,
    perCall,
    timeline: [],
  };
}

describe('allocation-hot-spot', () => {
  it('fires for a site allocating thousands of temporary blocks a call', () => {
    const hot = site('newBuffer', { blocks: 20_000, bytes: 5_120_000, temporaryBlocks: 19_999 });
    const profile = moduleProfile('alloc.wasm', { exports: [exportProfile('churn', { calls: 1 })], allocations: allocations([hot, site('small', {})]) });
    const [f, ...rest] = findings(allocationHotSpot, one({ profile }));
    expect(rest).toHaveLength(0);
    expect(f!.where).toMatchObject({ module: 'alloc.wasm', export: 'churn', function: 'newBuffer', site: 'churn → newBuffer' });
    expect(f!.saving.value).toBe(5_120_000);
    expect(f!.evidence).toContainEqual({ label: 'blocks per call', value: 20_000, unit: 'blocks' });
    expect(f!.severity).toBe('high');
  });

  it("counts blocks per call of the export entering the site, AssemblyScript's assembly/<file>/<export> included", () => {
    const entered = site('newBuffer', { blocks: 2000, bytes: 128_000, stack: [{ name: 'assembly/alloc/churn' }, { name: 'newBuffer' }] });
    const profile = moduleProfile('alloc.wasm', { exports: [exportProfile('churn', { calls: 2 }), exportProfile('leak', { calls: 98 })], allocations: allocations([entered]) });
    const [f] = findings(allocationHotSpot, one({ profile }));
    expect(f!.where.export).toBe('churn');
    expect(f!.evidence).toContainEqual({ label: 'blocks per call', value: 1000, unit: 'blocks' });
  });

  it('stays silent for a few long-lived blocks a call', () => {
    const profile = moduleProfile('m', { exports: [exportProfile('churn', { calls: 10 })], allocations: allocations([site('newBuffer', { blocks: 50 })]) });
    expect(findings(allocationHotSpot, one({ profile }))).toEqual([]);
  });
});

describe('leak', () => {
  const leaking = (perCall: number): AllocationReport =>
    allocations([site('keep', { blocks: 1000 })], [{ export: 'leak', calls: 10, liveBytesGainedPerCall: perCall, sites: [{ stack: [{ name: 'leak' }, { name: 'keep' }], bytesPerCall: perCall }] }]);

  it('fires when live bytes grow every call, naming the site', () => {
    const [f] = findings(leak, one({ profile: moduleProfile('alloc.wasm', { allocations: leaking(409_600) }) }));
    expect(f!.where).toEqual({ module: 'alloc.wasm', export: 'leak', path: ['leak', 'keep'], site: 'leak → keep' });
    expect(f!.saving.value).toBe(409_600 * 9);
    expect(f!.severity).toBe('high');
    expect(f!.recommendation).toContain('after about 655 calls');
  });

  it('stays silent when every call returns to its baseline', () => {
    expect(findings(leak, one({ profile: moduleProfile('m', { allocations: leaking(0) }) }))).toEqual([]);
  });
});

describe('poor-locality', () => {
  const stats = (name: string, accesses: number, d1Misses: number, stride: CacheFunctionStats['stride']): CacheFunctionStats => ({
    name, reads: accesses, writes: 0, d1ReadMisses: d1Misses, d1WriteMisses: 0, llReadMisses: d1Misses / 2, llWriteMisses: 0,
    estimatedCycles: accesses + 35 * d1Misses, stride,
  });
  const matrix: CacheReport = {
    schema: CACHE_REPORT_SCHEMA,
    geometry: { d1: { sizeBytes: 32768, associativity: 8, lineBytes: 64 }, ll: { sizeBytes: 1 << 20, associativity: 16, lineBytes: 64 }, source: 'test' },
    totals: { reads: 524_288, writes: 0, d1ReadMisses: 294_912, d1WriteMisses: 0, llReadMisses: 147_456, llWriteMisses: 0, estimatedCycles: 524_288 + 35 * 294_912 },
    functions: [stats('sumColumnMajor', 262_144, 262_144, { kind: 'strided', bytes: 4096 }), stats('sumRowMajor', 262_144, 32_768, { kind: 'sequential', bytes: 8 })],
    exports: [],
    reuseDistance: { lineBytes: 64, buckets: [], cold: 0 },
    notes: [],
  };

  it('names sumColumnMajor in matrix.wasm, and not sumRowMajor', () => {
    const found = findings(poorLocality, one({ profile: moduleProfile('matrix.wasm', { cacheSimulation: matrix }) }));
    expect(found.map((f) => f.where)).toEqual([{ module: 'matrix.wasm', function: 'sumColumnMajor' }]);
    const [f] = found;
    expect(f!.evidence).toContainEqual({ label: 'D1 miss rate', value: 100, unit: '%' });
    expect(f!.evidence).toContainEqual({ label: 'stride', value: 4096, unit: 'bytes' });
    expect(f!.saving.value).toBe(262_144 - 32_768);
    expect(f!.severity).toBe('high');
    expect(f!.recommendation).toMatch(/swap the loops/);
  });

  it("judges the main walk's loads: a counter stored to one stack slot each iteration does not halve the rate", () => {
    const column: CacheFunctionStats = {
      ...stats('sumColumnMajor', 262_144, 262_144, { kind: 'strided', bytes: 4096 }),
      writes: 262_145,
      streams: [
        { kind: 'store', bytes: 4, deltas: 262_144, stride: { kind: 'strided', bytes: 0 } },
        { kind: 'load', bytes: 8, deltas: 262_143, stride: { kind: 'strided', bytes: 4096 } },
      ],
    };
    const [f] = findings(poorLocality, one({ profile: moduleProfile('matrix.wasm', { cacheSimulation: { ...matrix, functions: [column] } }) }));
    expect(f!.title).toBe('sumColumnMajor misses D1 on 100 % of its loads, striding 4096 B');
    expect(f!.evidence[0]).toEqual({ label: 'loads', value: 262_144, unit: 'accesses' });
    expect(f!.saving.value).toBe(262_144 - 32_768);
  });

  it('stays silent for a unit-stride walk, whatever its streaming misses', () => {
    const rowOnly = { ...matrix, functions: [matrix.functions[1]!] };
    expect(findings(poorLocality, one({ profile: moduleProfile('matrix.wasm', { cacheSimulation: rowOnly }) }))).toEqual([]);
  });
});

describe('cold-start-compile', () => {
  it('fires when compiling is most of the cold start', () => {
    const profile = moduleProfile('big.wasm', { coldStart: { readMs: 1, hashMs: 1, cache: 'miss', compileMs: 45, instantiateMs: 2, firstCallMs: 1, firstCallExport: 'f' } });
    const [f] = findings(coldStartCompile, one({ profile }));
    expect(f!.saving).toMatchObject({ value: 45, unit: 'ms', share: 0.9 });
    expect(f!.severity).toBe('high');
    expect(f!.confidence).toEqual({ kind: 'interval', low: 0.9 * 0.8, high: 1, level: 0.9 });
  });

  it('stays silent on a cache hit and on a cheap compile', () => {
    const cheap = moduleProfile('m', { coldStart: { readMs: 0, hashMs: 0, cache: 'miss', compileMs: 0.5, instantiateMs: 0.1, firstCallMs: 0, firstCallExport: 'f' } });
    expect(findings(coldStartCompile, { modules: [{ profile: moduleProfile('m') }, { profile: cheap }] })).toEqual([]);
  });
});

describe('module-cache', () => {
  const withCache = (hits: number, misses: number, evictions: number, entries: number) =>
    moduleProfile('m', { cache: { hits, misses, coalesced: 0, evictions, oversize: 0, compileMs: misses * 10, entries, bytes: 1000, maxEntries: 4, maxBytes: 4000 } });

  it('fires when reloads miss', () => {
    // 40 loads: 10 first loads (4 held, 6 evicted), 30 reloads of which 20 compiled again.
    const [f] = findings(moduleCache, one({ profile: withCache(10, 30, 6, 4) }));
    expect(f!.title).toBe('Module cache: 33 % hit rate over 30 reloads (40 loads), 6 evictions');
    expect(f!.saving).toMatchObject({ value: 20 * 10, unit: 'ms' });
    expect(f!.saving.share).toBeCloseTo(2 / 3, 12);
    expect(f!.recommendation).toMatch(/Raise the module cache's bounds/);
  });

  it('stays silent for first loads (every module missing once) and for a warm cache', () => {
    expect(findings(moduleCache, one({ profile: withCache(3, 12, 0, 12) }))).toEqual([]);
    expect(findings(moduleCache, one({ profile: withCache(90, 10, 0, 10) }))).toEqual([]);
  });
});

describe('error-rate', () => {
  it('fires above 1 % failed calls of a module, naming the export failing most', () => {
    const divide = exportProfile('divide', { calls: 100, errors: { ERR_WASM_TRAP: 4 } });
    const load = exportProfile('loadAt', { calls: 100, errors: { ERR_WASM_TRAP: 2, ERR_GUEST_ABORT: 4 } });
    const [f] = findings(errorRate, one({ profile: moduleProfile('trap.wasm', { exports: [divide, load] }) }));
    expect(f!.title).toBe('trap.wasm: 10 of 200 calls failed (5.0 %), in 2 exports');
    expect(f!.where).toEqual({ module: 'trap.wasm', export: 'loadAt' });
    expect(f!.evidence.slice(0, 3)).toEqual([{ label: 'calls', value: 200, unit: 'calls' }, { label: 'ERR_WASM_TRAP', value: 6, unit: 'calls' }, { label: 'ERR_GUEST_ABORT', value: 4, unit: 'calls' }]);
    expect(f!.saving).toMatchObject({ value: 10, share: 0.05 });
    expect(f!.severity).toBe('medium');
  });

  it('stays silent at 1 %, and leaves calls stopped by limits to limit-exhausted', () => {
    const e = exportProfile('divide', { calls: 100, errors: { ERR_WASM_TRAP: 1, ERR_DEADLINE_EXCEEDED: 50 } });
    expect(findings(errorRate, one({ profile: moduleProfile('m', { exports: [e] }) }))).toEqual([]);
  });
});

describe('trap-storm', () => {
  it('fires from 100 traps of an export', () => {
    const e = exportProfile('parse', { calls: 1000, errors: { ERR_WASM_TRAP: 90, ERR_GUEST_ABORT: 10, ERR_OUT_OF_FUEL: 5 } });
    const [f] = findings(trapStorm, one({ profile: moduleProfile('m', { exports: [e] }) }));
    expect(f!.evidence).toEqual([{ label: 'ERR_WASM_TRAP', value: 90, unit: 'calls' }, { label: 'ERR_GUEST_ABORT', value: 10, unit: 'calls' }]);
    expect(f!.saving.value).toBe(100);
  });

  it('stays silent for 99 traps', () => {
    const e = exportProfile('parse', { calls: 1000, errors: { ERR_WASM_TRAP: 99 } });
    expect(findings(trapStorm, one({ profile: moduleProfile('m', { exports: [e] }) }))).toEqual([]);
  });
});

describe('limit-exhausted', () => {
  it('fires when calls hit their deadline or fuel', () => {
    const e = exportProfile('spin', { calls: 4, errors: { ERR_DEADLINE_EXCEEDED: 1, ERR_OUT_OF_FUEL: 1 } });
    const [f] = findings(limitExhausted, one({ profile: moduleProfile('m', { exports: [e] }) }));
    expect(f!.title).toBe('spin: 2 of 4 calls stopped by the deadline and fuel (50 %)');
    expect(f!.severity).toBe('high');
  });

  it('stays silent when no call was stopped', () => {
    const e = exportProfile('spin', { calls: 4, errors: { ERR_WASM_TRAP: 4 } });
    expect(findings(limitExhausted, one({ profile: moduleProfile('m', { exports: [e] }) }))).toEqual([]);
  });
});

describe('limit-approached', () => {
  it('fires for p99 near the deadline, mean instructions near the fuel, peak near the memory limit', () => {
    const slow = exportProfile('slow', { calls: 200, latency: latencyMix(200, 40_000_000, 4, 90_000_000) });
    const hungry = exportProfile('hungry', { calls: 10, instructions: 10 * 850_000 });
    const profile = moduleProfile('m', { exports: [slow, hungry], memory: { limitPages: 10, declaredInitialPages: 1, declaredMaximumPages: undefined, capped: true, peakBytes: 9 * 65536 } });
    const found = findings(limitApproached, one({ profile, limits: { timeoutMs: 100, fuel: 1_000_000 } }));
    expect(found.map((f) => f.title)).toEqual(['slow uses 90 % of its deadline', 'hungry uses 85 % of its fuel', 'm uses 90 % of its memory limit']);
    expect(found[0]!.confidence.kind).toBe('interval');
    expect(found[1]!.confidence).toEqual({ kind: 'exact' });
  });

  it('uses the p99 of per-call instructions when the profile has their histogram', () => {
    // 200 calls: 197 of 100,000 instructions, 3 of 900,000 — the mean (112,000) is far from the fuel, the p99 is not.
    const instructionsPerCall = { ...latencyMix(200, 100_000, 3, 900_000), unit: 'instructions' as const };
    const e = exportProfile('parse', { calls: 200, instructions: 197 * 100_000 + 3 * 900_000, instructionsPerCall });
    const [f] = findings(limitApproached, one({ profile: moduleProfile('m', { exports: [e] }), limits: { fuel: 1_000_000 } }));
    expect(f!.title).toBe('parse uses 90 % of its fuel');
    expect(f!.evidence[0]).toEqual({ label: 'instructions per call (p99)', value: 900_000, unit: 'instructions' });
    expect(f!.confidence.kind).toBe('interval');
  });

  it('stays silent with headroom (and without known limits)', () => {
    const e = exportProfile('f', { calls: 200, latency: latencyMix(200, 1_000_000), instructions: 200 * 1000 });
    expect(findings(limitApproached, one({ profile: moduleProfile('m', { exports: [e] }), limits: { timeoutMs: 100, fuel: 1_000_000 } }))).toEqual([]);
    expect(findings(limitApproached, one({ profile: moduleProfile('m', { exports: [e] }) }))).toEqual([]);
  });
});

describe('tail-latency', () => {
  it('fires for p99 far above the median and names memory growth when the slow calls grew memory', () => {
    const e = exportProfile('handle', { calls: 1000, latency: latencyMix(1000, 1000, 20, 100_000), memory: { growthEvents: 20, bytesGrown: 20 * 65536, bytesBefore: 0, bytesAfter: 0 } });
    const [f] = findings(tailLatency, one({ profile: moduleProfile('m', { exports: [e] }) }));
    expect(f!.title).toMatch(/^handle: p99 100\d\d\d ns is 10\d × the median$/);
    expect(f!.recommendation).toContain('memory grew in 20 calls (2.0 %)');
    expect(f!.confidence.kind).toBe('interval');
  });

  it('says the data shows no cause when there is none', () => {
    const e = exportProfile('handle', { calls: 1000, latency: latencyMix(1000, 1000, 20, 100_000) });
    const [f] = findings(tailLatency, one({ profile: moduleProfile('m', { exports: [e] }) }));
    expect(f!.recommendation).toMatch(/does not show what the slow calls have in common \(no memory growth, queue wait or wake-ups\)/);
  });

  it('on a pool, names queue wait and wake-ups of sleeping workers', () => {
    const profile = moduleProfile('work.wasm', { exports: [exportProfile('work', { calls: 1000, latency: latencyMix(1000, 1000, 20, 100_000) })] });
    const p: PoolProfile = {
      modules: { work: profile },
      queueWait: { work: latencyMix(1000, 500, 20, 80_000) },
      workers: { threads: 1, restarts: 0, crashes: 0 },
      spin: { workerSpin: 2000, workerRounds: 400, workerEmptyRounds: 300, callerSpinMicros: 20, callerRounds: 0, callerEmptyRounds: 0 },
    };
    const [f] = findings(tailLatency, { modules: [], pool: p });
    expect(f!.where).toEqual({ module: 'work.wasm', export: 'work' });
    expect(f!.recommendation).toMatch(/pool queue wait p99 \d+ ns: more threads/);
    expect(f!.recommendation).toContain('workers slept 300 times between calls (30 % of calls) and had to be woken');
    expect(f!.evidence).toContainEqual({ label: 'worker sleeps', value: 300, unit: 'wake-ups' });
  });

  it('stays silent for a tight distribution and for too few calls', () => {
    const tight = exportProfile('a', { calls: 1000, latency: latencyMix(1000, 1000, 20, 5000) });
    const few = exportProfile('b', { calls: 50, latency: latencyMix(50, 1000, 5, 100_000) });
    expect(findings(tailLatency, one({ profile: moduleProfile('m', { exports: [tight, few] }) }))).toEqual([]);
  });
});

function pool(waitNs: number, saturated?: number): PoolProfile {
  const profile = moduleProfile('work.wasm', { exports: [exportProfile('work', { calls: 500, latency: latencyMix(500, 10_000) })] });
  return { modules: { work: profile }, queueWait: { work: latencyMix(500, waitNs) }, workers: { threads: 2, restarts: 0, crashes: 0 }, ...(saturated === undefined ? {} : { saturated }) };
}

describe('pool-queue-wait', () => {
  it('fires when calls wait longer than they run', () => {
    const [f] = findings(poolQueueWait, { modules: [], pool: pool(50_000) });
    expect(f!.title).toMatch(/^Pool module work: calls wait 5\.0 × as long in the queue as they run$/);
    expect(f!.recommendation).toContain('now 2');
    expect(f!.severity).toBe('high');
  });

  it('stays silent when the wait is shorter than the run, and is skipped without a pool', () => {
    expect(findings(poolQueueWait, { modules: [], pool: pool(2000) })).toEqual([]);
    expect(poolQueueWait.run({ modules: [] }).state).toBe('skipped');
  });
});

describe('pool-saturation', () => {
  it('fires when the pool refused calls', () => {
    const [f] = findings(poolSaturation, { modules: [], pool: pool(1000, 20) });
    expect(f!.saving).toMatchObject({ value: 20, share: 20 / 520 });
    expect(f!.severity).toBe('high');
  });

  it('stays silent when it refused none', () => {
    expect(findings(poolSaturation, { modules: [], pool: pool(1000, 0) })).toEqual([]);
  });
});

describe('pool-spinning', () => {
  const spinning = (workerEmpty: number, callerEmpty: number): PoolProfile => ({
    ...pool(1000, 0),
    spin: { workerSpin: 2000, workerRounds: 1000, workerEmptyRounds: workerEmpty, callerSpinMicros: 20, callerRounds: 500, callerEmptyRounds: callerEmpty },
  });

  it('fires when most spins find nothing, for workers and the caller, with the CPU burnt', () => {
    const found = findings(poolSpinning, { modules: [], pool: spinning(990, 450) });
    expect(found.map((f) => f.title)).toEqual([
      'Workers spun 1000 times on an empty ring; 99 % of the spins found nothing',
      'The caller spun 500 times on an empty ring; 90 % of the spins found nothing',
    ]);
    expect(found[0]!.saving).toMatchObject({ value: 990 * 2000, unit: 'ring polls', share: 0.99 });
    expect(found[1]!.saving).toMatchObject({ value: 450 * 20_000, unit: 'ns', share: 0.9 });
    expect(found[0]!.severity).toBe('high');
  });

  it('stays silent when spins mostly catch the next call, and is skipped without counts', () => {
    expect(findings(poolSpinning, { modules: [], pool: spinning(100, 20) })).toEqual([]);
    expect(poolSpinning.run({ modules: [], pool: pool(1000, 0) })).toEqual({ state: 'skipped', reason: 'the pool profile predates spin counts' });
  });
});

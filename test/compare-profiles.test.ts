import { describe, expect, it } from 'vitest';
import { CallTreeBuilder } from '../src/profiler/build/call-tree-builder.js';
import { compareProfiles } from '../src/profiler/compare/compare-profiles.js';
import { compareAllocations, compareCache } from '../src/profiler/compare/compare-memory.js';
import { namesOnly } from '../src/profiler/compare/names-only.js';
import { profileFromFolded, profileFromJson, type ProfileSide } from '../src/profiler/compare/profile-input.js';
import { exactGateFailures } from '../src/profiler/compare/regression-gate.js';
import { formatProfileComparison } from '../src/profiler/render/comparison-text.js';
import { ALLOCATION_REPORT_SCHEMA, type AllocationReport, type AllocationSite } from '../src/profiler/model/allocation-report.js';
import { CACHE_REPORT_SCHEMA, type CacheCounters, type CacheReport } from '../src/profiler/model/cache-report.js';
import { CompareInputError } from '../src/errors.js';

/** An instructions-mode tree: main calls work (and, in `after`, a new helper). */
function tree(names: string[], events: [('enter' | 'exit'), number, number][]) {
  const b = new CallTreeBuilder(names, 'instructions', 'instructions');
  for (const [kind, id, at] of events) (kind === 'enter' ? b.enter(id, at) : b.exit(id, at));
  return b.build();
}

const before = tree(['main', 'work', 'old'], [['enter', 0, 0], ['enter', 1, 10], ['exit', 1, 1010], ['enter', 2, 1010], ['exit', 2, 1110], ['exit', 0, 1200]]);
const after = tree(['main', 'work', 'helper'], [['enter', 0, 0], ['enter', 1, 10], ['exit', 1, 1011], ['enter', 2, 1011], ['exit', 2, 1061], ['exit', 0, 1151]]);

const side = (t: typeof before, source: string, extra: Partial<ProfileSide> = {}): ProfileSide => ({ ...profileFromJson(t, source), ...extra });

function site(stack: string[], blocks: number, bytes: number, liveBytesAtEnd = 0): AllocationSite {
  return {
    stack: stack.map((name) => ({ name })), blocks, bytes, freedBlocks: 0, freedBytes: 0, liveBlocksAtPeak: 0, liveBytesAtPeak: 0,
    liveBlocksAtEnd: 0, liveBytesAtEnd, temporaryBlocks: 0, averageBytes: bytes / blocks, sizeHistogram: [], reallocs: 0, longestReallocChain: 0,
  };
}

function allocations(sites: AllocationSite[], peak: number): AllocationReport {
  const sum = (pick: (s: AllocationSite) => number): number => sites.reduce((n, s) => n + pick(s), 0);
  return {
    schema: ALLOCATION_REPORT_SCHEMA,
    allocator: { family: 'assemblyscript', functions: ['__new'], freesVisible: true, notes: [] },
    totals: { blocks: sum((s) => s.blocks), bytes: sum((s) => s.bytes), freedBlocks: 0, freedBytes: 0, temporaryBlocks: 0, liveBlocksAtEnd: 0, liveBytesAtEnd: sum((s) => s.liveBytesAtEnd) },
    peak: { liveBytes: peak, liveBlocks: 1, stack: [] },
    sites, perCall: [], timeline: [],
  };
}

const counters = (reads: number, d1: number, ll: number): CacheCounters => ({ reads, writes: 0, d1ReadMisses: d1, d1WriteMisses: 0, llReadMisses: ll, llWriteMisses: 0, estimatedCycles: reads + 5 * d1 + 35 * ll });

function cache(functions: [string, CacheCounters][]): CacheReport {
  const totals = functions.reduce((t, [, c]) => ({ ...t, reads: t.reads + c.reads, d1ReadMisses: t.d1ReadMisses + c.d1ReadMisses, llReadMisses: t.llReadMisses + c.llReadMisses, estimatedCycles: t.estimatedCycles + c.estimatedCycles }), counters(0, 0, 0));
  const level = { sizeBytes: 32768, associativity: 8, lineBytes: 64 };
  return {
    schema: CACHE_REPORT_SCHEMA, geometry: { d1: level, ll: { ...level, sizeBytes: 1 << 22 }, source: 'test' }, totals,
    functions: functions.map(([name, c]) => ({ name, ...c, stride: { kind: 'sequential', bytes: 8 } })), exports: [],
    reuseDistance: { lineBytes: 64, buckets: [], cold: 0 }, notes: [],
  };
}

describe('profile comparison', () => {
  const comparison = compareProfiles(side(before, 'before.json'), side(after, 'after.json'));

  it('instructions mode: exact self and total deltas per function, appeared and vanished', () => {
    expect(comparison.exact).toBe(true);
    expect(comparison.total).toEqual({ before: 1200, after: 1151, delta: -49 });
    const byName = Object.fromEntries(comparison.functions.map((f) => [f.name, [f.presence, f.self.delta, f.total.delta]]));
    expect(byName).toEqual({ old: ['vanished', -100, -100], helper: ['appeared', 50, 50], work: ['both', 1, 1], main: ['both', 0, -49] });
    expect(comparison.appeared).toEqual(['helper']);
    expect(comparison.vanished).toEqual(['old']);
    expect(comparison.exactMetrics).toEqual([{ name: 'instructions', unit: 'instructions', before: 1200, after: 1151, delta: -49, relative: -49 / 1200, verdict: 'improved', beyondThreshold: true }]);
  });

  it('functions renamed with their source file pair by base name', () => {
    const a = tree(['assembly/v1/main', 'assembly/v1/work'], [['enter', 0, 0], ['enter', 1, 5], ['exit', 1, 105], ['exit', 0, 110]]);
    const b = tree(['assembly/v2/main', 'assembly/v2/work'], [['enter', 0, 0], ['enter', 1, 5], ['exit', 1, 99], ['exit', 0, 104]]);
    const c = compareProfiles(side(a, 'a'), side(b, 'b'));
    expect(c.functions.map((f) => [f.name, f.renamedFrom, f.presence, f.self.delta])).toEqual([
      ['assembly/v2/work', 'assembly/v1/work', 'both', -6],
      ['assembly/v2/main', 'assembly/v1/main', 'both', 0],
    ]);
    const renamed = namesOnly(a, new Map([['assembly/v1/main', 'assembly/v2/main'], ['assembly/v1/work', 'assembly/v2/work']]));
    expect(renamed.root.children[0]!.name).toBe('assembly/v2/main');
    expect(renamed.root.children[0]!.children[0]).toMatchObject({ name: 'assembly/v2/work', self: 100 });
  });

  it('allocation deltas per site and cache deltas per function, exact, and gated beyond the threshold', () => {
    const allocBefore = allocations([site(['main', 'parse'], 10, 1000), site(['main', 'old'], 1, 64)], 2000);
    const allocAfter = allocations([site(['main', 'parse'], 10, 1000), site(['main', 'fresh'], 4, 4096, 4096)], 6000);
    const cacheBefore = cache([['scan', counters(1000, 100, 10)], ['keep', counters(50, 0, 0)]]);
    const cacheAfter = cache([['scan', counters(1000, 13, 10)], ['keep', counters(50, 0, 0)]]);
    const c = compareProfiles(
      side(before, 'before.json', { allocations: allocBefore, cacheSimulation: cacheBefore }),
      side(after, 'after.json', { allocations: allocAfter, cacheSimulation: cacheAfter }),
    );
    expect(c.allocations!.sites.map((s) => [s.stack.join(';'), s.presence, s.bytes.delta, s.blocks.delta])).toEqual([['main;fresh', 'appeared', 4096, 4], ['main;old', 'vanished', -64, -1]]);
    expect(c.allocations!.totals.bytes).toEqual({ before: 1064, after: 5096, delta: 4032 });
    expect(c.allocations!.peakLiveBytes).toEqual({ before: 2000, after: 6000, delta: 4000 });
    expect(c.cache!.functions.map((f) => [f.name, f.d1Misses.delta, f.estimatedCycles.delta])).toEqual([['scan', -87, -435]]);
    expect(exactGateFailures(c.exactMetrics, 0.02).map((f) => f.name)).toEqual(['allocated blocks', 'allocated bytes', 'live bytes at end', 'peak live bytes']);
    expect(compareAllocations(allocBefore, allocBefore).sites).toEqual([]);
    expect(compareCache(cacheBefore, cacheBefore).functions).toEqual([]);
    const text = formatProfileComparison(c);
    expect(text).toContain('main → fresh');
    expect(text).toMatch(/\nscan +0 +100 +13 +0 +-435 *\n/);
  });

  it('refuses profiles of different units, and reads folded stacks', () => {
    const folded = profileFromFolded('main;work 30\nmain 5\n', 'a.folded');
    expect(() => compareProfiles(side(before, 'a.json'), folded)).toThrow(CompareInputError);
    const c = compareProfiles(folded, profileFromFolded('main;work 20\nmain 5\nmain;new 1\n', 'b.folded'));
    expect(c.exact).toBe(false);
    expect(c.functions.map((f) => [f.name, f.self.delta])).toEqual([['work', -10], ['new', 1], ['main', 0]]);
    expect(c.exactMetrics).toEqual([]);
    expect(c.notes[0]).toMatch(/weights are samples/);
  });

  it('fuel-counted exports of ModuleProfiles (run --fuel --json) compare as exact instructions per call', () => {
    const profile = (calls: number, instructions: number): unknown => ({
      result: 1, metrics: {},
      profile: { schema: 'wasm-sandbox/module-profile@1', exports: [{ name: 'run\u001b[2J', calls, instructions }, { name: 'plain', calls: 3, instructions: 0 }] },
    });
    const c = compareProfiles(profileFromJson(profile(2, 2000), 'a.json'), profileFromJson(profile(4, 4004), 'b.json'));
    expect(c.exactMetrics).toEqual([{ name: 'instructions per call of run\u001b[2J', unit: 'instructions', before: 1000, after: 1001, delta: 1, relative: 0.001, verdict: 'regressed', beyondThreshold: false }]);
    const text = formatProfileComparison(c);
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/^exact metric /);
    expect(text).toMatch(/\ninstructions per call of run\\x1b\[2J +1,000 +1,001 +\+1 +\+0\.1 % +regressed\n/);
  });

  it('names what is wrong with a profile file', () => {
    expect(() => profileFromJson({ schema: 'wasm-sandbox/module-profile@1', functions: { mode: 'instructions', unit: 'instructions', total: 1, top: [{ name: 'f' }] } }, 'p.json'))
      .toThrow('p.json: functions[0] needs a name, self and total');
    expect(() => profileFromJson({ schema: 'something@9' }, 'p.json')).toThrow(/unknown schema "something@9"/);
    expect(() => profileFromFolded('no weight here\n', 'x.txt')).toThrow(/x\.txt: not folded stacks/);
  });
});

import { describe, expect, it } from 'vitest';
import { geometryFromSysfs, parseCacheLevel, powerOfTwoSets } from '../src/profiler/build/cache-geometry.js';
import { buildCacheReport, missRateAt } from '../src/profiler/build/cache-report-builder.js';
import { recorderLimits } from '../src/profiler/build/cache-recording.js';
import { CacheSimulator } from '../src/profiler/build/cache-simulator.js';
import { LruCacheLevel } from '../src/profiler/build/lru-cache-level.js';
import { ReuseDistance, reuseBucket } from '../src/profiler/build/reuse-distance.js';
import { classifyStride, emptyStride, observeStride } from '../src/profiler/build/stride-detector.js';
import type { CacheGeometry } from '../src/profiler/model/cache-report.js';

// D1: 2 sets × 2 ways × 16 B lines (64 B); LL: 4 sets × 2 ways × 16 B (128 B).
const SMALL: CacheGeometry = { d1: { sizeBytes: 64, associativity: 2, lineBytes: 16 }, ll: { sizeBytes: 128, associativity: 2, lineBytes: 16 }, source: 'test' };

function simulate(trace: readonly (readonly ['r' | 'w', number, number])[], geometry = SMALL): CacheSimulator {
  const sim = new CacheSimulator(geometry, recorderLimits(1 << 16, geometry.d1.lineBytes, 4));
  for (const [kind, address, bytes] of trace) (kind === 'r' ? sim.load(address, bytes) : sim.store(address, bytes));
  return sim;
}

const root = (sim: CacheSimulator) => sim.recording().nodes[0]!;

describe('LRU cache level', () => {
  it('keeps each set most recent first and evicts the least recently used line', () => {
    const level = new LruCacheLevel({ sizeBytes: 64, associativity: 2, lineBytes: 16 });
    // Lines 0, 2, 4 map to set 0 (2 sets); line 1 to set 1.
    expect([level.touch(0), level.touch(2), level.touch(0)]).toEqual([true, true, false]);
    expect(level.set(0)).toEqual([0, 2]);
    expect(level.touch(4)).toBe(true); // evicts 2 (LRU), not 0
    expect(level.set(0)).toEqual([4, 0]);
    expect([level.touch(0), level.touch(2)]).toEqual([false, true]); // 0 stayed, 2 was evicted
    expect(level.set(0)).toEqual([2, 0]);
    expect(level.touch(1)).toBe(true);
    expect(level.set(1)).toEqual([1, -1]);
  });
});

describe('cache simulator on hand-made traces', () => {
  it('counts hits and misses of D1 and LL, write-allocate', () => {
    // 0x00 line 0 (set 0), 0x20 line 2 (set 0), 0x40 line 4 (set 0), 0x00 again.
    const sim = simulate([['r', 0x00, 4], ['r', 0x04, 4], ['w', 0x20, 4], ['r', 0x40, 4], ['r', 0x00, 4], ['r', 0x20, 4], ['w', 0x24, 4]]);
    // D1: 0 miss, 0 hit, 2 miss (write), 4 miss (evicts 0), 0 miss (evicts 2), 2 miss (evicts 4), 2 hit.
    // LL (4 sets: lines 0 and 4 share set 0; 2 is set 2): 0 miss, 2 miss, 4 miss, 0 hit, 2 hit.
    expect(root(sim)).toMatchObject({ reads: 5, writes: 2, d1ReadMisses: 4, d1WriteMisses: 1, llReadMisses: 2, llWriteMisses: 1 });
  });

  it('counts a reference straddling two lines once, and loads both lines', () => {
    const sim = simulate([['r', 14, 4], ['r', 16, 4], ['r', 12, 2], ['r', 30, 4]]);
    // 14..17 covers lines 0 and 1: one reference, one miss (both missed). Then line 1 hit, line 0 hit.
    // 30..33 covers lines 1 (hit) and 2 (miss): one miss.
    expect(root(sim)).toMatchObject({ reads: 4, d1ReadMisses: 2, llReadMisses: 2 });
    const recording = sim.recording();
    // Line touches: 0,1 cold; 1 (latest, 0); 0 (distance 1); 1 (distance 1); 2 cold.
    expect(recording.reuseCold).toBe(3);
    expect(recording.reuseBuckets.slice(0, 3)).toEqual([1, 2, 0]);
  });

  it('splits a bulk reference into one reference per line', () => {
    const sim = simulate([['w', 8, 40]]); // 8..47: lines 0, 1, 2
    expect(root(sim)).toMatchObject({ writes: 3, d1WriteMisses: 3 });
    const none = simulate([['w', 8, 0]]);
    expect(root(none)).toMatchObject({ writes: 0 });
  });

  it('estimates cycles as cachegrind does: L1 hits + 5·LL hits + 35·RAM', () => {
    const sim = simulate([['r', 0, 4], ['r', 0, 4], ['r', 0x20, 4], ['r', 0x40, 4], ['r', 0, 4]]);
    // D1: miss, hit, miss, miss, miss (0 evicted by 4). LL: 0, 2, 4 cold; 0 hits.
    const report = buildCacheReport(sim.recording(), { geometry: SMALL, frame: (id) => ({ name: `f${id}` }), exportName: () => undefined, hooks: false });
    expect(report.totals).toMatchObject({ reads: 5, d1ReadMisses: 4, llReadMisses: 3, estimatedCycles: 1 + 5 * 1 + 35 * 3, d1MissRate: 0.8, llMissRate: 0.6 });
  });

  it('attributes references to call-tree nodes and functions, with working sets per call', () => {
    const sim = new CacheSimulator(SMALL, recorderLimits(1 << 16, 16, 3));
    sim.enter(0); // export f0
    sim.load(0, 8);
    sim.enter(1);
    sim.load(16, 8);
    sim.load(32, 8);
    sim.exit(1);
    sim.exit(0);
    sim.enter(0);
    sim.load(0, 8);
    sim.enter(2);
    sim.enter(1);
    sim.store(48, 8);
    sim.unwind(); // a trap: f1, f2 and f0 close at the boundary
    const recording = sim.recording();
    expect(recording.nodes.map((n) => [n.parent, n.fn, n.calls, n.reads, n.writes, n.workingSetLines])).toEqual([
      [-1, -1, 0, 0, 0, 0],
      [0, 0, 2, 2, 0, 3 + 2],
      [1, 1, 1, 2, 0, 0],
      [1, 2, 1, 0, 0, 0],
      [3, 1, 1, 0, 1, 0],
    ]);
    const report = buildCacheReport(recording, { geometry: SMALL, frame: (id) => ({ name: `f${id}`, functionIndex: id }), exportName: (id) => (id === 0 ? 'run' : undefined), hooks: true });
    expect(report.exports).toEqual([expect.objectContaining({ name: 'run', calls: 2, reads: 4, writes: 1, workingSetLines: 2.5 })]);
    expect(report.functions.map((f) => [f.name, f.reads, f.writes])).toEqual([['f1', 2, 1], ['f0', 2, 0]]);
    expect(report.callTree!.children[0]!.total).toMatchObject({ reads: 4, writes: 1 });
    expect(report.callTree!.children[0]!.children.map((c) => c.name)).toEqual(['f1', 'f2']);
  });
});

describe('cache report of a deep recursion', () => {
  it('builds without recursing, and counts frames past the node table in their caller', () => {
    const limits = { ...recorderLimits(1 << 16, 16, 2), maxNodes: 10_000 };
    const sim = new CacheSimulator(SMALL, limits);
    for (let depth = 0; depth < 12_000; depth++) (sim.enter(depth % 2), sim.load(depth * 16, 4));
    for (let depth = 0; depth < 12_000; depth++) sim.exit(0);
    const recording = sim.recording();
    expect(recording.nodes).toHaveLength(10_000);
    expect(recording.droppedNodes).toBe(2_001);
    const report = buildCacheReport(recording, { geometry: SMALL, frame: (id) => ({ name: `f${id}` }), exportName: () => undefined, hooks: true });
    expect(report.callTree!.children[0]!.total.reads).toBe(12_000);
    expect(report.exports).toEqual([expect.objectContaining({ name: 'f0', calls: 1, reads: 12_000 })]);
  });
});

describe('reuse distance', () => {
  it('buckets the distinct lines touched since the last touch', () => {
    const reuse = new ReuseDistance(8);
    const buckets = [0, 1, 2, 0, 0, 3, 1, 2, 0, 4, 5, 6, 0, 7, 1, 1, 3, 2].map((line) => reuse.touch(line));
    // Distances: -, -, -, 2, 0, -, 3, 3, 3, -, -, -, 3, -, 6, 0, 6 (3: since 1,2,0,4,5,6,0,7,1,1), 6.
    expect(buckets).toEqual([-1, -1, -1, 2, 0, -1, 2, 2, 2, -1, -1, -1, 2, -1, 3, 0, 3, 3]);
    expect(reuse.touch(8)).toBe(-1);
    expect(reuse.untracked).toBe(1);
  });

  it('matches a naive LRU stack on seeded random traces', () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (const span of [3, 10, 50, 300, 2000]) {
      const reuse = new ReuseDistance(1 << 20);
      const stack: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const line = random(3) === 0 ? random(span) : (stack[random(Math.min(stack.length, 6))] ?? random(span));
        const depth = stack.indexOf(line);
        if (depth >= 0) stack.splice(depth, 1);
        stack.unshift(line);
        expect(reuse.touch(line)).toBe(depth < 0 ? -1 : reuseBucket(depth));
      }
    }
  });

  it('gives every fully associative LRU size its miss rate', () => {
    const sim = simulate([0, 16, 32, 48, 0, 16, 32, 48].map((a) => ['r', a, 4] as const));
    const report = buildCacheReport(sim.recording(), { geometry: SMALL, frame: (id) => ({ name: `${id}` }), exportName: () => undefined, hooks: false });
    // A cyclic walk over 4 lines: distance 3 each time; misses everything below 4 lines.
    expect(report.reuseDistance).toEqual({ lineBytes: 16, buckets: [{ maxDistance: 3, count: 4 }], cold: 4 });
    expect(missRateAt(report.reuseDistance, 2)).toBe(1);
    expect(missRateAt(report.reuseDistance, 4)).toBe(0.5);
  });
});

describe('stride detection', () => {
  const pattern = (addresses: readonly number[], bytes = 8) => {
    const state = emptyStride();
    for (const a of addresses) observeStride(state, a, bytes);
    return classifyStride(state);
  };
  it('tells sequential, strided and irregular streams apart', () => {
    expect(pattern([0, 8, 16, 24, 32])).toEqual({ kind: 'sequential', bytes: 8 });
    expect(pattern([64, 56, 48, 40])).toEqual({ kind: 'sequential', bytes: -8 });
    expect(pattern([0, 512, 1024, 1536, 8, 520, 1032, 1544])).toEqual({ kind: 'strided', bytes: 512 });
    expect(pattern([0, 40, 8, 1000, 24, 3])).toEqual({ kind: 'irregular' });
    expect(pattern([4])).toEqual({ kind: 'irregular' });
  });
});

describe('cache geometry', () => {
  it('parses cachegrind syntax and refuses what cannot be simulated', () => {
    expect(parseCacheLevel('32768,8,64')).toEqual({ sizeBytes: 32768, associativity: 8, lineBytes: 64 });
    expect(parseCacheLevel('32768,8')).toMatch(/size,assoc,line/);
    expect(parseCacheLevel('32768,8,48')).toMatch(/power of two/);
    expect(parseCacheLevel('49152,8,64')).toMatch(/sets/);
  });

  it('reads sysfs entries: level-1 data as D1, the highest unified level as LL', () => {
    const geometry = geometryFromSysfs(
      [
        { level: '1\n', type: 'Data\n', size: '48K\n', ways_of_associativity: '12\n', coherency_line_size: '64\n' },
        { level: '1', type: 'Instruction', size: '32K', ways_of_associativity: '8', coherency_line_size: '64' },
        { level: '2', type: 'Unified', size: '1280K', ways_of_associativity: '10', coherency_line_size: '64' },
        { level: '3', type: 'Unified', size: '30M', ways_of_associativity: '12', coherency_line_size: '64' },
      ],
      '/sys',
    );
    // 48 KiB 12-way: 64 sets, fine. 30 MiB 12-way: 40960 sets = 8192 × 5 → 60-way.
    expect(geometry?.d1).toEqual({ sizeBytes: 49152, associativity: 12, lineBytes: 64 });
    expect(geometry?.ll).toEqual({ sizeBytes: 31457280, associativity: 60, lineBytes: 64 });
    // The printed source says what was adjusted, as cachegrind's warning does.
    expect(geometry?.source).toBe('this machine (/sys, L3 as LL; L3 12-way simulated as 60-way (sets rounded to a power of two, as cachegrind does))');
    expect(powerOfTwoSets({ sizeBytes: 32768, associativity: 8, lineBytes: 64 })).toEqual({ sizeBytes: 32768, associativity: 8, lineBytes: 64 });
    expect(geometryFromSysfs([], '/sys')).toBeUndefined();
  });
});

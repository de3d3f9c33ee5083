import { describe, expect, it } from 'vitest';
import { WasmCacheRecorder } from '../src/host/profiling/wasm-cache-recorder.js';
import { recorderLimits } from '../src/profiler/build/cache-recording.js';
import { CacheSimulator } from '../src/profiler/build/cache-simulator.js';
import type { CacheGeometry } from '../src/profiler/model/cache-report.js';

// D1: 2 sets × 2 ways × 16 B lines; LL: 4 sets × 2 ways × 16 B. 1 KiB tracked: lines 0…63.
const SMALL: CacheGeometry = { d1: { sizeBytes: 64, associativity: 2, lineBytes: 16 }, ll: { sizeBytes: 128, associativity: 2, lineBytes: 16 }, source: 'test' };
const LIMITS = recorderLimits(1024, 16, 3);

type Event = readonly ['r' | 'w', number, number] | readonly ['enter' | 'exit', number];

/** The same events into the wasm recorder (as the guest's hook imports see them) and into the pure model. */
function both(trace: readonly Event[]) {
  const wasm = new WasmCacheRecorder(SMALL, LIMITS);
  const hooks = wasm.hooks;
  const model = new CacheSimulator(SMALL, LIMITS);
  for (const event of trace) {
    if (event[0] === 'enter' || event[0] === 'exit') {
      hooks[event[0]](event[1]);
      model[event[0]](event[1]);
    } else {
      const [kind, address, bytes] = event;
      // The memory pass passes (bytes, static offset, pointer): split the address between the two.
      const offset = address & 7;
      (kind === 'r' ? hooks.load : hooks.store)(bytes, offset, address - offset);
      (kind === 'r' ? model.load(address, bytes) : model.store(address, bytes));
    }
  }
  return { wasm: wasm.recording(), model: model.recording() };
}

describe("the wasm recorder's same-line path (repeated references to the line touched last)", () => {
  it('counts a run within one line as D1 hits at reuse distance 0, exactly as the model does', () => {
    // Line 0 eight times, line 1 once, line 0 again (distance 1), then 4 more within line 0.
    const trace: Event[] = [];
    for (let i = 0; i < 8; i++) trace.push(['r', i * 2, 2]);
    trace.push(['w', 16, 4], ['r', 0, 8], ['r', 8, 8], ['w', 12, 4], ['w', 12, 4], ['r', 15, 1]);
    const { wasm, model } = both(trace);
    expect(wasm).toEqual(model);
    expect(wasm.reuseBuckets.slice(0, 3)).toEqual([11, 1, 0]);
    expect(wasm.reuseCold).toBe(2);
    const root = wasm.nodes[0]!;
    expect([root.reads, root.writes, root.d1ReadMisses, root.d1WriteMisses]).toEqual([11, 3, 1, 1]);
  });

  it('stays exact where it must not apply: straddling, zero-size, bulk and untracked references, and calls between repeats', () => {
    const trace: Event[] = [
      ['r', 0, 4], ['r', 14, 4], ['r', 17, 2], // straddles lines 0–1, then stays in line 1
      ['r', 16, 0], ['r', 18, 2], // zero-size: touches nothing
      ['w', 20, 40], ['w', 56, 4], ['r', 59, 4], // bulk over lines 1–3, then repeats in line 3
      ['r', 1020, 8], ['r', 1020, 8], ['r', 1028, 4], ['r', 1028, 4], // lines 63–64 and 64: 64 is untracked
      ['r', 0, 4],
      // The working set counts a line once per top-level call: repeats across calls must count again.
      ['enter', 0], ['r', 4, 4], ['r', 8, 4], ['exit', 0],
      ['enter', 0], ['r', 8, 4], ['enter', 1], ['r', 8, 4], ['w', 9, 1], ['exit', 1], ['r', 10, 2], ['exit', 0],
      ['enter', 2], ['r', 10, 2], ['exit', 2],
    ];
    const { wasm, model } = both(trace);
    expect(wasm).toEqual(model);
    expect(wasm.untrackedLines).toBe(4); // line 64 (1024…1039) on each of four references
    // Each top-level call touched line 0 only: a working set of one line each.
    expect(wasm.nodes.filter((n) => n.parent === 0).map((n) => [n.fn, n.calls, n.workingSetLines])).toEqual([[0, 2, 2], [2, 1, 1]]);
  });

  it('counts two interleaved streams (the line touched before the last) at reuse distance 1, in D1 sets apart and shared', () => {
    // An array walk (lines 8…11, 8 reads each) interleaved with a local spilled at 0x34 (line 3).
    const trace: Event[] = [];
    for (let i = 0; i < 32; i++) trace.push(['r', 128 + i * 2, 2], ['w', 0x34, 4]);
    // Lines 4 and 6 share D1 set 0 with each other (2 sets): their alternation must still miss or hit as the model says.
    for (let i = 0; i < 6; i++) trace.push(['r', 64 + i, 1], ['r', 96 + i, 1], ['r', 0x200, 4]);
    // A call between two touches of the pair: the working set must count both lines again.
    trace.push(['r', 0x40, 4], ['r', 0x60, 4], ['enter', 1], ['r', 0x40, 4], ['r', 0x60, 4], ['r', 0x40, 4], ['exit', 1]);
    const { wasm, model } = both(trace);
    expect(wasm).toEqual(model);
    // Distance 1: 31 writes and 28 reads of the walk (4 reads are a line's first), then the pair
    // inside the call 3 times; the 3-line rotation (4, 6, 32) is distance 2, 5 rounds + 2 after.
    expect(wasm.reuseBuckets.slice(0, 3)).toEqual([0, 31 + 28 + 3, 15 + 2]);
    expect(wasm.nodes.find((n) => n.fn === 1)!.workingSetLines).toBe(2);
  });

  it('agrees with the model on a long seeded trace full of near repeats', () => {
    let seed = 11;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const trace: Event[] = [];
    let at = 0;
    for (let i = 0; i < 20_000; i++) {
      const roll = random(100);
      if (roll < 70) at = (at + random(8)) % 1000; // near: mostly the same line
      else if (roll < 95) at = random(1100); // anywhere, past the tracked range too
      else {
        trace.push([roll < 98 ? 'enter' : 'exit', random(3)]);
        continue;
      }
      trace.push([random(3) === 0 ? 'w' : 'r', at, [1, 2, 4, 8, 16, 24][random(6)]!]);
    }
    const { wasm, model } = both(trace);
    expect(wasm).toEqual(model);
    expect(wasm.reuseBuckets[0]).toBeGreaterThan(5000);
  });

  it('agrees with the model on sweeps: passes over groups of lines, with a recent line re-touched, jumps, cold lines, calls and renumbered times', () => {
    // The recorder's reuse stack takes depth by arithmetic where the latest times are all live
    // (a sweep), moves the lines above a shallow re-touch, and falls back to its segments
    // elsewhere; 64 tracked lines renumber their times every ~130 touches.
    let seed = 29;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const trace: Event[] = [];
    const recent: number[] = [];
    const touch = (line: number): void => {
      const bytes = [1, 2, 4, 8, 8, 16][random(6)]!;
      const within = bytes === 16 ? 0 : random(17 - bytes); // sometimes straddling into the next line
      trace.push([random(4) === 0 ? 'w' : 'r', line * 16 + within, bytes]);
      recent.push(line);
      if (recent.length > 12) recent.shift();
    };
    while (trace.length < 40_000) {
      const group = 2 + random(59);
      const start = random(70); // past the 64 tracked lines too, now and then
      const passes = 1 + random(4);
      for (let pass = 0; pass < passes; pass++) {
        for (let i = 0; i < group; i++) {
          touch(start + i);
          const roll = random(100);
          if (roll < 10) touch(recent[recent.length - 1 - random(Math.min(recent.length, 9))]!); // a line touched a moment ago
          else if (roll < 13) touch(random(80)); // a jump: deep, cold or untracked
          else if (roll < 14) trace.push([roll % 2 === 0 ? 'enter' : 'exit', random(3)]);
        }
      }
    }
    const { wasm, model } = both(trace);
    expect(wasm).toEqual(model);
    // Every kind of reuse was there: the same line, one line apart, and deep.
    // Every kind of reuse was there: the same line, shallow re-touches (moved lines), deep ones.
    const [same, one, two, four, ...deeper] = wasm.reuseBuckets;
    expect(Math.min(same!, one!, two!)).toBeGreaterThan(300);
    expect(four).toBeGreaterThan(1000);
    expect(deeper.reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);
  });
});

import { describe, expect, it } from 'vitest';
import { formatProfile, GuestProfiler, profileBySampling, WasmHost, type CallTree } from '../src/index.js';
import { NO_GUEST_NOTE, SAMPLING_NOTE, lostCallersNote, v8ProfileToCallTree, type GuestScript } from '../src/host/profiling/sampling-profiler.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });
const OUTER = 'assembly/profile/outer';

/** Share (%) of outer's total spent in the subtree of its child `name`. */
function share(tree: CallTree, name: string): number {
  const outer = tree.root.children.find((c) => c.name === OUTER)!;
  const child = outer.children.find((c) => c.name === `assembly/profile/${name}`)!;
  return (100 * child.total) / outer.total;
}

/**
 * Calls `work` until V8 has tiered it up: until five calls in a row take within 10 % of the
 * fastest seen (at most 3 s). V8 moves a function to its optimising tier in the background and
 * only for later calls, so early shares mix tiers; when that happens depends on what else the
 * process compiled (binaryen's 15 MB are compiled by the same background threads).
 */
function warmUp(work: () => void): void {
  const until = performance.now() + 3000;
  let best = Infinity;
  let steady = 0;
  while (steady < 5 && performance.now() < until) {
    const start = performance.now();
    work();
    const ms = performance.now() - start;
    steady = ms <= best * 1.1 ? steady + 1 : 0;
    best = Math.min(best, ms);
  }
}

describe('profiling modes attribute a known shape (outer: slow ≈80 %, fast ≈10 %)', () => {
  // Time-based shares on a shared 2-core machine: retried before they are called a failure.
  it('instrumented: exact calls, shares within ±5 points', { retry: 2 }, async () => {
    const module = await host.load(guestPath('profile'), { instrument: { hooks: true } });
    const profiler = new GuestProfiler(module, 'instrumented');
    const sandbox = profiler.instantiate();
    warmUp(() => sandbox.call('outer', 100_000));
    profiler.reset();
    for (let i = 0; i < 10; i++) sandbox.call('outer', 100_000);
    const tree = profiler.tree();
    const outer = tree.root.children.find((c) => c.name === OUTER)!;
    expect(outer.calls).toBe(10);
    expect(outer.children.map((c) => [c.name, c.calls, c.children.map((k) => [k.name, k.calls])])).toEqual([
      ['assembly/profile/slow', 10, [['assembly/profile/kernel', 10]]],
      ['assembly/profile/fast', 10, [['assembly/profile/kernel', 10]]],
      ['assembly/profile/kernel', 10, []],
    ]);
    expect(Math.abs(share(tree, 'slow') - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(tree, 'fast') - 10)).toBeLessThanOrEqual(5);
  });

  it('instructions: deterministic counts, exact shares', async () => {
    const trees: CallTree[] = [];
    for (let run = 0; run < 2; run++) {
      const module = await new WasmHost({ instrumentCacheDir: false }).load(guestPath('profile'), { instrument: { hooks: true, fuel: true } });
      const profiler = new GuestProfiler(module, 'instructions');
      profiler.instantiate().call('outer', 10_000);
      trees.push(profiler.tree());
    }
    expect(trees[0]).toEqual(trees[1]);
    const tree = trees[0]!;
    expect(tree.unit).toBe('instructions');
    expect(share(tree, 'slow')).toBeCloseTo(80, 0);
    expect(share(tree, 'fast')).toBeCloseTo(10, 0);
  });

  it('sampling: V8 samples keep the guest frames, shares within ±5 points', { retry: 2 }, async () => {
    const module = await host.load(guestPath('profile'));
    const sandbox = module.instantiate();
    for (let i = 0; i < 5; i++) sandbox.call('outer', 100_000);
    const tree = await profileBySampling(sandbox, () => {
      for (let i = 0; i < 40; i++) sandbox.call('outer', 200_000);
    });
    expect(tree.mode).toBe('sampling');
    expect(tree.root.total).toBeGreaterThan(200);
    expect(tree.notes[0]).toBe(SAMPLING_NOTE);
    expect(tree.notes[1]).toMatch(/^\d+ of \d+ guest samples \(\d+\.\d%\) lost their callers/);
    expect(tree.root.children.map((c) => c.name)).toEqual([OUTER]);
    expect(Math.abs(share(tree, 'slow') - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(tree, 'fast') - 10)).toBeLessThanOrEqual(5);
  });
});

describe('guest profiler', () => {
  it('closes calls that trap at the call boundary', async () => {
    const module = await host.load(guestPath('exits'), { instrument: { hooks: true } });
    const profiler = new GuestProfiler(module, 'instrumented');
    const sandbox = profiler.instantiate();
    expect(() => sandbox.call('boom', 1)).toThrow(expect.objectContaining({ code: 'ERR_WASM_TRAP' }));
    expect(sandbox.call('early', 2)).toBe(3);
    const tree = profiler.tree();
    expect(tree.root.children.map((c) => [c.name, c.calls, c.children.map((k) => k.name)])).toEqual([
      ['func[5]', 1, ['func[0]']],
      ['func[1]', 1, ['func[0]']],
    ]);
  });

  it('adds a top-functions table to the module profile', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { hooks: true, fuel: true } });
    const profiler = new GuestProfiler(module, 'instructions');
    profiler.instantiate().call('fib', 15);
    const profile = module.profile();
    expect(profile.functions).toMatchObject({ mode: 'instructions', unit: 'instructions', top: [{ name: 'assembly/fib/fib', calls: 1973 }] });
    expect(formatProfile(profile)).toMatch(/top functions \(instructions, by self instructions\)\n.*\n.*\nassembly\/fib\/fib\s+[\d,]+ instr\s+100\.0%/);
    expect(JSON.parse(JSON.stringify(profile))).toEqual(JSON.parse(JSON.stringify(profile)));
  });

  it('needs a module loaded with the hooks its mode uses', async () => {
    const plain = await host.load(guestPath('fib'));
    expect(() => new GuestProfiler(plain, 'instrumented')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/\{ instrument: \{ hooks: true \} \}/) }));
    const hooksOnly = await host.load(guestPath('fib'), { instrument: { hooks: true } });
    expect(() => new GuestProfiler(hooksOnly, 'instructions')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('V8 profiles to guest call trees', () => {
  // Script 7 is the guest (function bodies at bytes 40, 50, 60, 70, 80 are functions 0..4);
  // script 9 is another wasm module with the same indices and offsets.
  const frame = (id: number, functionName: string, scriptId: string, columnNumber: number, children: number[] = []) => ({
    id,
    callFrame: { functionName, url: scriptId === '0' ? '' : `wasm://wasm/${scriptId}`, scriptId, columnNumber },
    children,
  });
  const js = (id: number, functionName: string, children: number[] = []) => ({ id, callFrame: { functionName, url: 'file:///app.js', scriptId: '3', columnNumber: 1 }, children });
  const guest: GuestScript = {
    scriptId: '7',
    functionAt: (column) => (column >= 40 && column <= 80 && column % 10 === 0 ? { name: `f${column / 10 - 4}`, functionIndex: column / 10 - 4 } : undefined),
  };

  it('keeps the guest\'s frames by script and offset, the host boundary, and nothing of other modules', () => {
    const profile = {
      nodes: [
        js(1, '(root)', [2, 9, 10]),
        js(2, 'main', [3]),
        frame(3, 'js-to-wasm:i:i', '7', 60, [4]), // the wrapper of export f2
        frame(4, 'js-to-wasm:i:i', '7', 60, [5, 6]), // f2 itself, named like the wrapper
        frame(5, 'dup', '7', 70, []),
        frame(6, 'wasm-to-js:i:v', '7', 0, [7]),
        js(7, 'hostLog', [8]),
        frame(8, 'dup', '7', 80, [11]),
        js(9, 'unrelated'),
        js(10, 'record', [12]),
        frame(11, 'wasm-function[2]', '9', 60, []), // another module, called by the guest through the host
        frame(12, 'wasm-function[3]', '9', 70, []), // another module, called from JavaScript
      ],
      startTime: 0,
      endTime: 10,
      samples: [4, 5, 5, 7, 8, 9, 9, 3, 11, 12, 12],
      timeDeltas: Array<number>(11).fill(1),
    };
    const tree = v8ProfileToCallTree(profile, guest, 100_000);
    const flat: string[] = [];
    const go = (node: CallTree['root'], prefix: string) => {
      for (const c of node.children) {
        flat.push(`${prefix}${c.name}#${c.functionIndex ?? '-'}:${c.self}/${c.total}`);
        go(c, `${prefix}${c.name};`);
      }
    };
    go(tree.root, '');
    expect(flat).toEqual(['f2#2:1/6', 'f2;f3#3:2/2', 'f2;(host)#-:1/3', 'f2;(host);f4#4:1/2', 'f2;(host);f4;(host)#-:1/1']);
    expect(tree.sampleIntervalNs).toBe(100_000);
    expect(tree.notes).toEqual([SAMPLING_NOTE]); // no entries known: nothing said about lost callers
    // With f2 known as the only export, samples whose outermost guest frame is another
    // function lost their callers: f4 under (root) directly, f3 right under V8's generic
    // wrapper (a sample in f3's prologue: V8's walk skipped f2, as seen on hash-wasm's sha256).
    const lost = {
      ...profile,
      nodes: [
        ...profile.nodes.map((n) => (n.id === 1 ? { ...n, children: [...n.children, 13] } : n.id === 2 ? { ...n, children: [3, 14] } : n)),
        frame(13, 'dup', '7', 80),
        frame(14, 'js-to-wasm:i:', '0', 0, [15]),
        frame(15, 'wasm-function[3]', '7', 70),
      ],
      samples: [...profile.samples, 13, 13, 15],
      timeDeltas: Array<number>(14).fill(1),
    };
    const counted = v8ProfileToCallTree(lost, { ...guest, entries: new Set([2]) }, 100_000);
    expect(counted.root.children.map((c) => [c.name, c.total])).toEqual([['f2', 6], ['f4', 2], ['f3', 1]]);
    expect(counted.notes).toEqual([SAMPLING_NOTE, lostCallersNote(3, 9)]);
    expect(lostCallersNote(3, 9)).toBe('3 of 9 guest samples (33.3%) lost their callers and sit at the root (counted where the outermost frame is no function the host can call: a lower bound)');
  });

  it('without the guest\'s script the tree is empty and says why', () => {
    const tree = v8ProfileToCallTree({ nodes: [js(1, '(root)')], startTime: 0, endTime: 1, samples: [1], timeDeltas: [1] }, undefined, 1000);
    expect(tree.root.children).toEqual([]);
    expect(tree.notes).toEqual([SAMPLING_NOTE, NO_GUEST_NOTE]);
  });
});

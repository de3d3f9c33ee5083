import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuestProfiler, WasmHost, type CallTree, type GuestModule, type Sandbox } from '../src/index.js';
import { CallTreeBuilder } from '../src/profiler/build/call-tree-builder.js';
import { maxDepth, walkTree, type CallTreeNode } from '../src/profiler/model/call-tree.js';
import { CallTreeRecorder, DEFAULT_RECORDER_LIMITS, foldedNote, type RecorderLimits } from '../src/host/profiling/call-tree-recorder.js';
import { distIndexUrl, guestPath } from './helpers/guests.js';
import { wat } from './helpers/modules.js';

// The wasm recorder against the JS CallTreeBuilder (the reference): the same guest, the same
// calls, one sandbox each; the trees must be equal, node for node and in the same order.
const host = new WasmHost({ instrumentCacheDir: false });
const COUNTED = { hooks: true, fuel: true } as const;

/** Runs `run` on a profiler of each kind; with `sandboxes`, on that many fresh sandboxes. */
function instructionTrees(module: GuestModule, run: (sandbox: Sandbox) => void, sandboxes = 1): [CallTree, CallTree] {
  return profiled(module, (profiler) => {
    for (let i = 0; i < sandboxes; i++) run(profiler.instantiate());
  });
}

function profiled(module: GuestModule, run: (profiler: GuestProfiler) => void, recorderLimits?: RecorderLimits): [CallTree, CallTree] {
  const trees = (['wasm', 'javascript'] as const).map((recorder) => {
    const profiler = new GuestProfiler(module, 'instructions', { recorder, ...(recorderLimits === undefined ? {} : { recorderLimits }) });
    run(profiler);
    return profiler.tree();
  });
  return [trees[0]!, trees[1]!];
}

function calls(tree: CallTree): number {
  let n = 0;
  walkTree(tree, (node) => (n += node.calls));
  return n;
}

/** Every node in depth-first order with its depth, without recursion (trees thousands deep). */
function flatten(tree: CallTree): string[] {
  const out: string[] = [];
  const todo: [CallTreeNode, number][] = [[tree.root, 0]];
  while (todo.length > 0) {
    const [node, depth] = todo.pop()!;
    out.push(`${depth} ${node.name} ${node.functionIndex} ${node.calls} ${node.total} ${node.self} ${node.min} ${node.max}`);
    for (let i = node.children.length - 1; i >= 0; i--) todo.push([node.children[i]!, depth + 1]);
  }
  return out;
}

/** Runs `action` and swallows the guest's failure (a trap is part of the workload). */
function failing(action: () => unknown): void {
  try {
    action();
  } catch {
    // expected
  }
}

describe('the wasm call-tree recorder records the tree the JS builder records (instructions mode)', () => {
  it('fib: one path per depth, exact instruction weights', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const [wasm, js] = instructionTrees(module, (s) => {
      s.call('fib', 18);
      s.call('fib', 7);
    });
    expect(wasm).toEqual(js);
    expect(maxDepth(wasm.root)).toBe(18);
    expect(calls(wasm)).toBe(8361 + 41); // fib(n) makes 2·F(n+1) − 1 calls
    expect(wasm.root.total).toBe(75_610);
  });

  it('refills mid-call: with a deadline the meter hands out 200 000 instructions at a time, and the clock base follows', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => {
      const sandbox = profiler.instantiate({ timeoutMs: 60_000 });
      sandbox.call('fib', 25);
      expect(sandbox.lastCallInstructions).toBeGreaterThan(10 * 200_000); // ten refills and more
    });
    expect(wasm).toEqual(js);
    expect(wasm.root.total).toBeGreaterThan(10 * 200_000);
  });

  it('refills inside a leaf whose entry is still pending: it is reported with the base it was made under', async () => {
    // `spin` makes no calls, so its entry waits in the recorder's globals while its loop runs
    // through several 200 000-instruction refills.
    const module = await host.load(wat(`(module
      (func $spin (param $n i32) (result i32)
        (loop $l (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n)))
        (local.get $n))
      (func (export "run") (param $n i32) (result i32)
        (i32.add (call $spin (local.get $n)) (call $spin (i32.const 3)))))`, true), { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => {
      const sandbox = profiler.instantiate({ timeoutMs: 60_000 });
      sandbox.call('run', 300_000);
      expect(sandbox.lastCallInstructions).toBeGreaterThan(5 * 200_000);
    });
    expect(wasm).toEqual(js);
    const spin = wasm.root.children[0]!.children[0]!;
    expect(spin.calls).toBe(2);
    expect(spin.max).toBeGreaterThan(5 * 200_000);
    expect(spin.self).toBe(spin.total);
  });

  it('interp: a dispatch loop, the start function (weighs 0, as the JS clock reads then) and the host boundary', async () => {
    const module = await host.load(guestPath('interp'), { instrument: COUNTED });
    const [wasm, js] = instructionTrees(module, (s) => {
      s.call('run', 300);
      s.call('direct', 300);
    });
    expect(wasm).toEqual(js);
    expect(wasm.root.children.map((c) => c.name)).toEqual(['~start', 'assembly/interp/run', 'assembly/interp/direct']);
    expect(wasm.root.children[0]!.total).toBe(0);
  });

  it('profile and matrix: loops and leaf calls', async () => {
    for (const [guest, run] of [
      ['profile', (s: Sandbox) => s.call('outer', 2000)],
      ['matrix', (s: Sandbox) => (s.call('init', 40), s.call('sumRowMajor'), s.call('sumColumnMajor'))],
    ] as const) {
      const module = await host.load(guestPath(guest), { instrument: COUNTED });
      const [wasm, js] = instructionTrees(module, run);
      expect(wasm).toEqual(js);
      expect(calls(wasm)).toBeGreaterThan(2);
    }
  });

  // Recursion n deep, then a trap at the bottom (a stack overflow's depth would depend on how
  // much native stack each implementation's hook uses).
  const deep = wat(`(module
    (func $down (export "down") (param $n i32) (result i32)
      (if (result i32) (local.get $n)
        (then (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))
        (else (unreachable)))))`, true);

  it('traps: a call 5000 frames deep unwinds at the boundary (the recorder grows its memory)', async () => {
    const module = await host.load(deep, { instrument: COUNTED });
    const [wasm, js] = profiled(
      module,
      (profiler) => {
        const s = profiler.instantiate();
        failing(() => s.call('down', 5000));
        failing(() => s.call('down', 3));
      },
      { maxDepth: 1_000_000 },
    );
    // Thousands of levels: compared as flat lists (a recursive deep equality would overflow the stack).
    expect(flatten(wasm)).toEqual(flatten(js));
    expect(flatten(wasm).length).toBe(5002); // the root and 5001 levels: > the recorder's first 256 frames and nodes
    expect(wasm.root.total).toBe(js.root.total);
  });

  it('a start function that traps: the failed instantiation leaves the same (open, uncounted) path in both', async () => {
    const module = await host.load(wat(`(module (func $helper (result i32) (i32.const 0))
      (func $start (drop (i32.div_s (i32.const 1) (call $helper)))) (start $start) (func (export "never")))`, true), { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => failing(() => profiler.instantiate()));
    expect(wasm).toEqual(js);
    expect(wasm.root.children.map((c) => [c.name, c.calls, c.children.map((k) => [k.name, k.calls])])).toEqual([['start', 0, [['helper', 1]]]]);
  });

  it('many sandboxes per profiler: each has its own recorder, the trees merge', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => {
      for (let n = 5; n < 8; n++) profiler.instantiate().call('fib', n);
    });
    expect(wasm).toEqual(js);
    expect(wasm.root.children[0]!.calls).toBe(3);
  });

  // $catcher calls $thrower in a loop; each throw skips $thrower's exit (and its callee's):
  // the stack is out of step until $catcher's own exit closes them.
  const exceptions = wat(`(module
    (tag $oops)
    (func $leaf (result i32) (i32.const 1))
    (func $thrower (param $x i32) (drop (call $leaf)) (if (local.get $x) (then (throw $oops))))
    (func $catcher (export "catcher") (param $n i32) (result i32) (local $caught i32)
      (loop $again
        (try (do (call $thrower (i32.and (local.get $n) (i32.const 1))))
             (catch $oops (local.set $caught (i32.add (local.get $caught) (i32.const 1)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))
      (local.get $caught)))`, true);

  it('a wasm exception caught inside the guest: frames without exits close as the builder closes them', async () => {
    const module = await host.load(exceptions, { instrument: COUNTED });
    const [wasm, js] = instructionTrees(module, (s) => expect(s.call('catcher', 9)).toBe(5));
    expect(wasm).toEqual(js);
    expect(maxDepth(wasm.root)).toBeGreaterThan(3); // the out-of-step frames nest until catcher exits
  });

  // `back` is the host calling the guest again: leaves pending on both sides of the boundary.
  const callback = wat(`(module
    (import "env" "back" (func $back (param i32) (result i32)))
    (func $leaf (export "leaf") (param $n i32) (result i32) (i32.mul (local.get $n) (i32.const 3)))
    (func (export "outer") (param $n i32) (result i32)
      (i32.add (call $back (local.get $n)) (call $leaf (local.get $n)))))`, true);

  it('a host import calling back into the guest: entries pending across the boundary, the same tree', async () => {
    const module = await host.load(callback, { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => {
      let sandbox: Sandbox | undefined;
      const back = (n: number): number => (n === 0 ? 0 : sandbox!.call('leaf', n) as number) + (n > 1 ? (sandbox!.call('outer', n - 1) as number) : 0);
      sandbox = profiler.instantiate({ imports: { env: { back } } });
      expect(sandbox.call('outer', 4)).toBe(12 + 12 + 9 + 9 + 6 + 6 + 3 + 3);
    });
    expect(wasm).toEqual(js);
    expect(calls(wasm)).toBeGreaterThan(10);
  });

  // `tick` is the host: the test resets the profiler from inside a call, with frames open.
  const reentrant = wat(`(module
    (import "env" "tick" (func $tick))
    (func $inner (param $n i32) (loop $l (call $tick) (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n))))
    (func (export "outer") (param $n i32) (call $inner (local.get $n)) (call $inner (local.get $n))))`, true);

  it('reset() mid-call keeps open frames in place, as the builder does', async () => {
    const module = await host.load(reentrant, { instrument: COUNTED });
    const [wasm, js] = profiled(module, (profiler) => {
      let ticks = 0;
      const sandbox = profiler.instantiate({ imports: { env: { tick: () => (++ticks === 3 ? profiler.reset() : undefined) } } });
      sandbox.call('outer', 4);
      sandbox.call('outer', 2);
    });
    expect(wasm).toEqual(js);
    // Reset inside the third tick: outer, inner and the host frame open then count from there on.
    const shape = (node: CallTreeNode): unknown => [node.name, node.calls, node.children.map(shape)];
    expect(wasm.root.children.map(shape)).toEqual([['func[2]', 2, [['inner', 1 + 1 + 2, [['(host)', 1 + 1 + 4 + 2 + 2, []]]]]]]);
  });
});

describe('the wall-clock mode, with the clock injected', () => {
  it('gives the tree the builder gives for the same clock readings', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { hooks: true } });
    const steps = (): (() => number) => {
      let t = 1000;
      let k = 0;
      return () => (t += 0.0001 * (1 + (k++ % 7))); // ms, unevenly spaced
    };
    const names = module.instrumentation!.profiledFunctions;
    const indices = names.map((_, id) => (id < names.length - 1 ? id : undefined));
    const wallJs = steps();
    const builder = new CallTreeBuilder(names, 'instrumented', 'nanoseconds', [], indices);
    const jsClock = (): number => wallJs() * 1e6;
    const a = module.instantiate({ hooks: { enter: (id) => builder.enter(id, jsClock()), exit: (id) => builder.exit(id, jsClock()), unwound: () => builder.unwind(jsClock()) } });
    const wallWasm = steps();
    const recorder = new CallTreeRecorder('wall', {}, wallWasm);
    const b = module.instantiate({ linkedHooks: recorder.linkedHooks(() => wallWasm() * 1e6) });
    for (const s of [a, b]) s.call('fib', 15);
    const wasm = recorder.build(names, indices, 'instrumented', 'nanoseconds', []);
    expect(wasm).toEqual(builder.build());
    expect(wasm.root.total).toBeGreaterThan(0);
  });

  it('a real run: same shape and exact calls, weights from the real clock', async () => {
    const module = await host.load(guestPath('profile'), { instrument: { hooks: true } });
    const shape = (node: CallTreeNode): unknown => [node.name, node.calls, node.children.map(shape)];
    const trees = (['wasm', 'javascript'] as const).map((recorder) => {
      const profiler = new GuestProfiler(module, 'instrumented', { recorder });
      profiler.instantiate().call('outer', 1000);
      return profiler.tree();
    });
    expect(shape(trees[0]!.root)).toEqual(shape(trees[1]!.root));
    expect(trees[0]!.notes).toEqual(trees[1]!.notes);
    expect(trees[0]!.root.total).toBeGreaterThan(0);
  });
});

describe('bounded memory: calls beyond the limits fold into their caller, and say so', () => {
  it('beyond maxDepth: the tree stops at that depth, weights stay exact at the top', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const full = new GuestProfiler(module, 'instructions');
    full.instantiate().call('fib', 12);
    const folded = new GuestProfiler(module, 'instructions', { recorderLimits: { maxDepth: 4 } });
    folded.instantiate().call('fib', 12);
    const a = full.tree();
    const b = folded.tree();
    expect(maxDepth(b.root)).toBe(4);
    expect(b.root.total).toBe(a.root.total);
    const lost = calls(a) - calls(b);
    expect(lost).toBe(calls(a) - (1 + 2 + 4 + 8));
    expect(b.notes).toContain(foldedNote(lost));
    expect(a.notes.some((n) => n.includes('folded'))).toBe(false);
  });

  it('by default, past 2000 open calls (a stack overflow is deeper)', async () => {
    const module = await host.load(guestPath('trap'), { instrument: COUNTED });
    const profiler = new GuestProfiler(module, 'instructions');
    failing(() => profiler.instantiate().call('recurse', 0));
    const tree = profiler.tree();
    expect(maxDepth(tree.root)).toBe(DEFAULT_RECORDER_LIMITS.maxDepth);
    expect(tree.notes.some((n) => n.includes('folded'))).toBe(true);
  });

  it('beyond maxNodes: new paths fold, known paths keep counting', async () => {
    const module = await host.load(guestPath('profile'), { instrument: COUNTED });
    const profiler = new GuestProfiler(module, 'instructions', { recorderLimits: { maxNodes: 3 } });
    const sandbox = profiler.instantiate();
    sandbox.call('outer', 100);
    sandbox.call('outer', 100);
    const tree = profiler.tree();
    let nodes = 0;
    walkTree(tree, () => nodes++);
    expect(nodes).toBe(2); // the root is the third
    expect(tree.root.children[0]!.calls).toBe(2);
    expect(tree.notes.some((n) => n.includes('folded'))).toBe(true);
  });

  it('rejects limits that are no positive integer', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const profiler = new GuestProfiler(module, 'instructions', { recorderLimits: { maxDepth: 0 } });
    expect(() => profiler.instantiate()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/maxDepth/) }));
    expect(() => new GuestProfiler(module, 'instructions', { recorder: 'c++' as 'wasm' })).toThrow(/options.recorder/);
  });
});

describe('what the guest can reach', () => {
  it('only the recorder’s two functions: no memory, table or global of the host’s name space', async () => {
    const module = await host.load(guestPath('fib'), { instrument: COUNTED });
    const hostImports = WebAssembly.Module.imports(module.compiled).filter((i) => i.module === '__wasm_sandbox');
    expect(hostImports.map((i) => [i.name, i.kind]).sort()).toEqual([['budget', 'function'], ['enter', 'function'], ['exit', 'function']]);
  });

  it('a guest importing the hook names itself is refused before it could be linked to a recorder', () => {
    const sneaky = wat(`(module (import "__wasm_sandbox" "enter" (func $enter (param i32 i32)))
      (func (export "f") (call $enter (i32.const 0) (i32.const -5))))`);
    let error: unknown;
    try {
      host.loadSync(sneaky, { instrument: COUNTED });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'ERR_WASM_IMPORT', importModule: '__wasm_sandbox', importName: 'enter' });
  });
});

describe('compensation', () => {
  it('calibrates without binaryen: in a process whose module came from the disk cache', () => {
    const cache = mkdtempSync(join(tmpdir(), 'wasm-sandbox-recorder-'));
    const script = `
      const s = await import(${JSON.stringify(distIndexUrl())});
      const m = await new s.WasmHost({ instrumentCacheDir: ${JSON.stringify(cache)} }).load(${JSON.stringify(guestPath('fib'))}, { instrument: { hooks: true } });
      const p = new s.GuestProfiler(m, 'instrumented');
      p.instantiate().call('fib', 15);
      const tree = p.tree({ compensate: true });
      process.stdout.write(JSON.stringify([m.instrumentation.fromDiskCache, tree.root.children[0].calls, tree.notes.at(-1)]));`;
    const run = (): [boolean, number, string] => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [boolean, number, string];
    expect(run()[0]).toBe(false); // rewrote it (and loaded binaryen)
    const [fromCache, calls, note] = run();
    expect([fromCache, calls]).toEqual([true, 1]);
    expect(note).toMatch(/^hook overhead removed: \d+ per call, \d+ per child call$/);
  });
});

describe('the shipped recorder', () => {
  it('is found from the built package (dist/ → build/recorders/)', () => {
    const script = `
      const s = await import(${JSON.stringify(distIndexUrl())});
      const m = await new s.WasmHost({ instrumentCacheDir: false }).load(${JSON.stringify(guestPath('fib'))}, { instrument: { hooks: true, fuel: true } });
      const p = new s.GuestProfiler(m, 'instructions');
      p.instantiate().call('fib', 10);
      process.stdout.write(JSON.stringify([p.recorder, p.tree().root.children[0].calls, p.tree().root.total]));`;
    const [recorder, outerCalls, total] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [string, number, number];
    expect([recorder, outerCalls]).toEqual(['wasm', 1]);
    expect(total).toBeGreaterThan(1000);
  });
});

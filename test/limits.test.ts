import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { WasmHost, type WasmSandboxError } from '../src/index.js';
import { checkSupported, ID, UnsupportedFeatureError } from '../src/instrument/expression-walker.js';
import { guestPath } from './helpers/guests.js';
import { failure } from './helpers/failures.js';

const cacheDir = () => mkdtempSync(join(tmpdir(), 'wasm-sandbox-limits-'));
const host = new WasmHost({ instrumentCacheDir: cacheDir() });

describe('deadlines in-process', () => {
  it('stop an infinite loop in an export, discard the instance, and keep the host serving', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { deadline: true } });
    const sandbox = module.instantiate({ timeoutMs: 60 });
    const started = performance.now();
    const error = failure(() => sandbox.call('spinForever'));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(error.message).toMatch(/spin\.wasm: spinForever\(\): guest exceeded its deadline of 60 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(59);
    expect(elapsed).toBeLessThan(2000);
    expect(sandbox.discardedBy).toBe(error);
    expect(failure(() => sandbox.call('spin', 1)).code).toBe('ERR_SANDBOX_DISCARDED');
    // Another sandbox of the same module, and the next call, are unaffected.
    const fresh = module.instantiate({ timeoutMs: 60 });
    expect(fresh.call('spin', 10)).toBe(10);
    expect(module.profile().exports.find((e) => e.name === 'spinForever')!.errors).toEqual({ ERR_DEADLINE_EXCEEDED: 1 });
  });

  it('stop an infinite loop in the start function during instantiation', async () => {
    const module = await host.load(guestPath('start-loop'), { instrument: { deadline: true } });
    const started = performance.now();
    const error = failure(() => module.instantiate({ timeoutMs: 50 }));
    expect(error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stop a guest whose interrupt flag another thread sets', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { deadline: true } });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const sandbox = module.instantiate({ interrupt: flag });
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       setTimeout(() => { Atomics.store(workerData, 0, 1); }, 40);`,
      { eval: true, workerData: flag },
    );
    try {
      const error = failure(() => sandbox.call('spinForever'));
      expect(error.code).toBe('ERR_DEADLINE_EXCEEDED');
      expect(error.message).toMatch(/guest interrupted after/);
      expect((error as unknown as { timeoutMs: unknown }).timeoutMs).toBeUndefined();
    } finally {
      await worker.terminate();
    }
  });
});

describe('fuel', () => {
  it('counts instructions deterministically and reports them per call', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) {
      const fresh = new WasmHost({ instrumentCacheDir: false });
      const sandbox = (await fresh.load(guestPath('fib'), { instrument: { fuel: true } })).instantiate();
      counts.push(sandbox.callWithMetrics('fib', 20).metrics.instructions);
    }
    // Changes only when the cost model changes (and with it the disk cache's engine version).
    expect(counts).toEqual([197015, 197015, 197015]);
    const module = await host.load(guestPath('fib'), { instrument: { fuel: true } });
    const sandbox = module.instantiate({ fuel: 10_000_000 });
    sandbox.call('fib', 10);
    sandbox.call('fib', 20);
    expect(module.profile().exports[0]!.instructions).toBe(1589 + 197015);
  });

  it('stops a guest that runs out, at the next check point', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { fuel: true } });
    expect(module.instantiate({ fuel: 1589 }).call('fib', 10)).toBe(55);
    const sandbox = module.instantiate({ fuel: 1000 });
    const error = failure(() => sandbox.call('fib', 10)) as WasmSandboxError & { fuel: number; consumed: number };
    expect(error.code).toBe('ERR_OUT_OF_FUEL');
    expect(error.fuel).toBe(1000);
    expect(error.consumed).toBeGreaterThan(1000);
    expect(error.consumed).toBeLessThan(1100);
    expect(error.message).toMatch(/fib\.wasm: fib\(\): guest ran out of fuel after \d+ instructions \(limit 1000\)/);
  });

  it('stops unbounded recursion and infinite loops', async () => {
    const trap = await host.load(guestPath('trap'), { instrument: { fuel: true } });
    expect(failure(() => trap.instantiate({ fuel: 50_000 }).call('recurse', 0)).code).toBe('ERR_OUT_OF_FUEL');
    const spin = await host.load(guestPath('spin'), { instrument: { fuel: true } });
    expect(failure(() => spin.instantiate({ fuel: 5_000_000 }).call('spinForever')).code).toBe('ERR_OUT_OF_FUEL');
  });

  it('applies to the start function too', async () => {
    const module = await host.load(guestPath('start-loop'), { instrument: { fuel: true } });
    expect(failure(() => module.instantiate({ fuel: 100_000 })).code).toBe('ERR_OUT_OF_FUEL');
  });

  it('works together with a deadline', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { fuel: true, deadline: true } });
    expect(failure(() => module.instantiate({ fuel: 1e12, timeoutMs: 30 }).call('spinForever')).code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(failure(() => module.instantiate({ fuel: 1e6, timeoutMs: 10_000 }).call('spinForever')).code).toBe('ERR_OUT_OF_FUEL');
  });
});

describe('limit options', () => {
  it('refuse values that are not positive finite numbers', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { fuel: true } });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      const fuel = failure(() => module.instantiate({ fuel: bad }));
      expect(fuel.code).toBe('ERR_INVALID_OPTION');
      expect(fuel.message).toMatch(/options\.fuel must be a positive finite number/);
      expect(failure(() => module.instantiate({ timeoutMs: bad })).code).toBe('ERR_INVALID_OPTION');
    }
  });

  it('need an instrumented module, and say how to load one', async () => {
    const plain = await host.load(guestPath('spin'));
    expect(failure(() => plain.instantiate({ fuel: 10 })).message).toMatch(/options\.fuel needs the module loaded with \{ instrument: \{ fuel: true \} \}/);
    expect(failure(() => plain.instantiate({ timeoutMs: 10 })).message).toMatch(/instrument: \{ deadline: true \}/);
    const deadlineOnly = await host.load(guestPath('spin'), { instrument: { deadline: true } });
    expect(failure(() => deadlineOnly.instantiate({ fuel: 10 })).code).toBe('ERR_INVALID_OPTION');
  });
});

describe('the rewritten module', () => {
  it('keeps function names for traps, although the host added an import', async () => {
    const module = await host.load(guestPath('indirect'), { instrument: { fuel: true } });
    const error = failure(() => module.instantiate().call('callSlot', 0, 1)) as WasmSandboxError & { guestStack: { name: string }[] };
    expect(error.code).toBe('ERR_WASM_TRAP');
    expect(error.guestStack[0]!.name).toBe('func[2]');
    const named = await host.load(guestPath('trap'), { instrument: { deadline: true } });
    const trap = failure(() => named.instantiate().call('divide', 1, 0)) as WasmSandboxError & { guestStack: { name: string }[] };
    expect(trap.guestStack[0]!.name).toBe('assembly/trap/divide');
  });

  it('hides the host-added import and export from inspection', async () => {
    const module = await host.load(guestPath('fib'), { instrument: { fuel: true } });
    expect(module.inspect().imports).toEqual([]);
    expect(module.inspect().exports.map((e) => e.name)).toEqual(['fib', 'memory']);
    expect(module.instrumentation).toMatchObject({ options: { fuel: true, deadline: true }, budget: true });
  });

  it('is cached on disk: a second host skips binaryen, a corrupt entry is rewritten', async () => {
    const dir = cacheDir();
    const first = await new WasmHost({ instrumentCacheDir: dir }).load(guestPath('fib'), { instrument: { fuel: true } });
    expect(first.instrumentation?.fromDiskCache).toBe(false);
    const secondHost = new WasmHost({ instrumentCacheDir: dir });
    const second = await secondHost.load(guestPath('fib'), { instrument: { fuel: true } });
    expect(second.instrumentation).toMatchObject({ fromDiskCache: true, rewriteMs: 0 });
    expect(secondHost.instrumentCacheStats()).toMatchObject({ hits: 1, misses: 0 });
    expect(second.instantiate({ fuel: 1e6 }).call('fib', 12)).toBe(144);
    for (const file of readdirSync(dir)) if (file.endsWith('.wasm')) writeFileSync(join(dir, file), 'garbage');
    const third = await new WasmHost({ instrumentCacheDir: dir }).load(guestPath('fib'), { instrument: { fuel: true } });
    expect(third.instrumentation?.fromDiskCache).toBe(false);
    expect(third.instantiate().call('fib', 12)).toBe(144);
  });

  it('names instructions it cannot rewrite', () => {
    expect(() => checkSupported((binaryen as unknown as Record<string, number>)['StructNewId']!)).toThrow(UnsupportedFeatureError);
    expect(() => checkSupported((binaryen as unknown as Record<string, number>)['StructNewId']!)).toThrow(/cannot rewrite struct\.new \(GC\) instructions/);
    expect(() => checkSupported(ID['TryTable']!)).toThrow(/cannot rewrite try_table instructions/);
    for (const kind of ['TableFill', 'TableCopy', 'TableInit', 'ElemDrop']) expect(() => checkSupported(ID[kind]!)).not.toThrow();
  });
});

describe('fuel accounting across leaf loops', () => {
  it('charges exactly what the per-function counters count, whichever way a loop is left', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { fuel: true, counters: true } });
    const sandbox = module.instantiate();
    const cases: [number, number, number][] = [
      [1000, 50, 200], // returns from inside the loop
      [1000, 500, 90], // breaks out of the loop
      [10, 500, 200], // runs to the end
      [0, 1, 1], // never enters
    ];
    for (const args of cases) {
      const before = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
      const report = sandbox.callWithMetrics('search', ...args);
      expect(report.error).toBeUndefined();
      const after = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
      expect(report.metrics.instructions).toBe(after - before);
    }
    expect([sandbox.call('search', 1000, 50, 200), sandbox.call('search', 1000, 500, 90), sandbox.call('search', 10, 500, 200)]).toEqual([
      (() => { for (let i = 0; i < 1000; i++) if ((i * 7) % 101 === 50) return i; return -1; })(),
      (() => { for (let i = 0; i < 1000; i++) if ((i * 7) % 101 > 90) return -2 - i; return -1; })(),
      -1,
    ]);
  });

  it('charges exactly what the counters count for loops that call functions', async () => {
    const cases: [string, string, unknown[], [string, unknown[]]?][] = [
      ['exits', 'loopy', [50]],
      ['sum', 'sumSeriesChecked', [], ['fillSeries', [200]]],
      ['sum', 'sumF64', [0]],
      ['matrix', 'sumColumnMajor', [], ['init', [24]]],
      ['alloc', 'churn', [200, 32]],
    ];
    for (const [guest, name, args, setup] of cases) {
      const module = await host.load(guestPath(guest), { instrument: { fuel: true, counters: true } });
      const sandbox = module.instantiate();
      if (setup !== undefined) sandbox.call(setup[0], ...setup[1]);
      const before = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
      const report = sandbox.callWithMetrics(name, ...args);
      const after = sandbox.functionCounters().reduce((n, c) => n + c.instructions, 0);
      expect({ guest, name, instructions: report.metrics.instructions }).toEqual({ guest, name, instructions: after - before });
    }
  });

  it('stops an infinite leaf loop by fuel and by deadline', async () => {
    const module = await host.load(guestPath('spin'), { instrument: { fuel: true } });
    const error = failure(() => module.instantiate({ fuel: 1_000_000 }).call('spinForever')) as WasmSandboxError & { consumed: number };
    expect(error.code).toBe('ERR_OUT_OF_FUEL');
    expect(error.consumed).toBeGreaterThan(1_000_000);
    expect(error.consumed).toBeLessThan(1_000_100);
  });
});

describe('the vm route, where rewriting is impossible', () => {
  /**
   * A guest with a malformed `target_features` section appended: V8 ignores it, binaryen refuses
   * to read it. (A malformed name section no longer serves: the host repairs those first.)
   */
  function unreadableForBinaryen(guest: string): Uint8Array {
    const bytes = readFileSync(guestPath(guest));
    const payload = [15, ...new TextEncoder().encode('target_features'), 1, 50, 1, 0]; // one feature, an unknown prefix
    return Uint8Array.from([...bytes, 0, payload.length, ...payload]);
  }

  it('falls back to V8 termination for deadlines, and stops loops in exports and start functions', async () => {
    const spinBytes = unreadableForBinaryen('spin');
    expect(WebAssembly.validate(spinBytes)).toBe(true);
    const module = await host.load(spinBytes, { instrument: { deadline: true }, label: 'spin-unreadable.wasm' });
    expect(module.deadlineRoute).toBe('vm');
    expect(module.instrumentation).toBeUndefined();
    const sandbox = module.instantiate({ timeoutMs: 50 });
    expect(sandbox.call('spin', 100)).toBe(100);
    const error = failure(() => sandbox.call('spinForever'));
    expect(error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(error.message).toMatch(/stopped after [\d.]+ ms by V8 termination/);
    expect(failure(() => sandbox.call('spin', 1)).code).toBe('ERR_SANDBOX_DISCARDED');

    const start = await host.load(unreadableForBinaryen('start-loop'), { instrument: { deadline: true } });
    expect(failure(() => start.instantiate({ timeoutMs: 50 })).code).toBe('ERR_DEADLINE_EXCEEDED');
  });

  it('is not offered for what needs rewriting: fuel fails with the reason', async () => {
    const error = await host.load(unreadableForBinaryen('spin'), { instrument: { fuel: true } }).then(
      () => undefined,
      (e: WasmSandboxError) => e,
    );
    expect(error?.code).toBe('ERR_WASM_INSTRUMENTATION');
    expect(error?.message).toMatch(/cannot be instrumented: binaryen cannot read it/);
  });
});

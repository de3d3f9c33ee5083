import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
const heapHogImports = fileURLToPath(new URL('./fixtures/heap-hog-imports.mjs', import.meta.url));
let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

async function settleAll(promises: Promise<unknown>[]) {
  const outcomes = await Promise.allSettled(promises);
  return outcomes.map((o) => (o.status === 'fulfilled' ? { ok: o.value } : { error: (o.reason as { code?: string }).code }));
}

describe('worker pool', () => {
  it('calls exports on worker threads, typed arrays in and results out', async () => {
    pool = await createPool({ modules: { add: guestPath('add'), fib: guestPath('fib'), sum: guestPath('sum'), strings: guestPath('strings') }, threads: 2, ringBytes: 1024 * 1024 });
    expect(await pool.call('add', 'add', 40, 2)).toBe(42);
    expect(await pool.call('add', 'addI64', 2n ** 53n, 1n)).toBe(2n ** 53n + 1n);
    expect(await Promise.all(Array.from({ length: 20 }, (_, i) => pool!.call('fib', 'fib', i)))).toEqual(
      [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181],
    );
    const values = Float64Array.from({ length: 50_000 }, (_, i) => i * 0.5);
    expect(await pool.invoke('sum', 'sumF64', [values], { signature: { params: ['Float64Array'], result: 'f64' } })).toBe(624987500);
    // 4 MiB through a 1 MiB ring: streamed in chunks, byte for byte.
    const big = Float64Array.from({ length: 512 * 1024 }, (_, i) => (i % 1000) + 0.25);
    const expected = big.reduce((a, b) => a + b, 0);
    const results = await Promise.all([
      pool.invoke('sum', 'sumF64', [big], { signature: { params: ['Float64Array'], result: 'f64' } }),
      pool.call('add', 'add', 1, 2), // small calls keep flowing around the stream
      pool.invoke('sum', 'sumF64', [big], { signature: { params: ['Float64Array'], result: 'f64' } }),
    ]);
    expect(results).toEqual([expected, 3, expected]);
    // The worker reuses its gathering buffer: a smaller streamed request after a larger one sees only its own bytes.
    const smaller = Float64Array.from({ length: 100_000 }, (_, i) => (i % 7) - 3.5);
    const sig = { signature: { params: ['Float64Array'], result: 'f64' } } as const;
    expect(await pool.invoke('sum', 'sumF64', [smaller], sig)).toBe(smaller.reduce((a, b) => a + b, 0));
    expect(await pool.invoke('sum', 'sumF64', [big], sig)).toBe(expected);
    const squares = (await pool.invoke('sum', 'squares', [5], { signature: { params: ['i32'], result: 'Float64Array' } })) as Float64Array;
    expect([...squares]).toEqual([0, 1, 4, 9, 16]);
    expect(await pool.invoke('strings', 'reverse', ['a😀b'], { signature: { params: ['string'], result: 'string' } })).toBe('b😀a');
  });

  it('brings guest errors back with their codes and fields', async () => {
    pool = await createPool({ modules: { trap: guestPath('trap'), abort: guestPath('abort') }, threads: 1 });
    await expect(pool.call('trap', 'divide', 1, 0)).rejects.toMatchObject({ code: 'ERR_WASM_TRAP', kind: 'divide_by_zero', message: expect.stringContaining('divide() trapped') });
    await expect(pool.call('abort', 'checkPositive', -1)).rejects.toMatchObject({ code: 'ERR_GUEST_ABORT', guestMessage: 'expected a positive number, got -1' });
    await expect(pool.call('trap', 'nope')).rejects.toMatchObject({ code: 'ERR_WASM_EXPORT_NOT_FOUND' });
    // Not numbers and no signature: the msgpack path, checked in the worker like any call.
    await expect(pool.call('trap', 'divide', '84', { n: 2 })).rejects.toMatchObject({ code: 'ERR_WASM_ARGUMENT' });
    await expect(pool.call('missing', 'x')).rejects.toMatchObject({ code: 'ERR_POOL_MODULE_NOT_FOUND', message: expect.stringMatching(/no module "missing"/) });
    expect(await pool.call('trap', 'divide', 84, 2)).toBe(42);
    // A storm of traps is the guest's errors, not a worker death: each call gets its own answer.
    const storm = await settleAll(Array.from({ length: 1000 }, (_, i) => pool!.call('trap', 'divide', i, i % 2)));
    expect(storm.filter((o) => 'error' in o && o.error === 'ERR_WASM_TRAP')).toHaveLength(500);
    expect(storm.filter((o, i) => 'ok' in o && o.ok === i)).toHaveLength(500);
    expect((await pool.profile()).workers.crashes).toBe(0);
  });

  it("keeps state with isolation 'reuse' and starts clean with 'fresh'", async () => {
    pool = await createPool({
      modules: { kept: guestPath('alloc'), clean: { source: guestPath('alloc'), isolation: 'fresh' } },
      threads: 1,
    });
    await pool.call('kept', 'leak', 3, 16);
    expect(await pool.call('kept', 'keptCount')).toBe(3);
    await pool.call('clean', 'leak', 3, 16);
    expect(await pool.call('clean', 'keptCount')).toBe(0);
  });

  it('gives each tenant sandbox its own instance, kept between calls until closed', async () => {
    pool = await createPool({ modules: { alloc: guestPath('alloc'), crashy: { source: guestPath('crashy'), importsModule: crashyImports } }, threads: 2 });
    const a = pool.openSandbox('alloc');
    const b = pool.openSandbox('alloc');
    await a.call('leak', 3, 16);
    await b.call('leak', 1, 16);
    expect([await a.call('keptCount'), await b.call('keptCount'), await pool.call('alloc', 'keptCount')]).toEqual([3, 1, 0]);
    await a.close();
    await expect(a.call('keptCount')).rejects.toMatchObject({ code: 'ERR_SANDBOX_CLOSED', message: expect.stringMatching(/sandbox \d+ is closed/) });
    expect(await b.call('keptCount')).toBe(1);
    // A tenant whose worker dies loses its instance, and says so.
    const doomed = pool.openSandbox('crashy');
    await expect(doomed.call('work', 666)).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    await new Promise((r) => setTimeout(r, 100));
    await expect(doomed.call('work', 1)).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringMatching(/instance was lost with its worker/) });
  });

  it('merges the workers’ profiles (counts add, histograms merge) and records queue wait', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 2 });
    await Promise.all(Array.from({ length: 500 }, (_, i) => pool!.call('add', 'add', i, 1)));
    const profile = await pool.profile();
    const add = profile.modules['add']!.exports.find((e) => e.name === 'add')!;
    expect(add.calls).toBe(500);
    expect(add.latency.count).toBeGreaterThanOrEqual(500 - 2 * 32); // each worker may hold up to 31 calls not yet sampled
    expect(profile.queueWait['add']!.count).toBe(500);
    expect(profile.workers).toEqual({ threads: 2, restarts: 0, crashes: 0 });
  });

  it('applies backpressure: a full queue rejects with ERR_POOL_SATURATED, never grows without limit', async () => {
    pool = await createPool({ modules: { spin: guestPath('spin') }, threads: 1, ringBytes: 4096, maxQueue: 10 });
    const calls = Array.from({ length: 400 }, () => pool!.call('spin', 'spin', 20_000));
    const outcomes = await settleAll(calls);
    const saturated = outcomes.filter((o) => 'error' in o && o.error === 'ERR_POOL_SATURATED').length;
    const ok = outcomes.filter((o) => 'ok' in o).length;
    expect(saturated).toBeGreaterThan(0);
    expect(ok + saturated).toBe(400);
  });

  it('stops an instrumented runaway guest in its worker at the deadline; the worker keeps serving', async () => {
    pool = await createPool({ modules: { spin: { source: guestPath('spin'), instrument: { deadline: true } } }, threads: 1 });
    // Before the worker is up, a call past its deadline is refused unstarted, and says so.
    await expect(pool.invoke('spin', 'spinForever', [], { timeoutMs: 1 })).rejects.toMatchObject({ message: expect.stringMatching(/it had not started and will not run/) });
    await pool.ready();
    const started = performance.now();
    await expect(pool.invoke('spin', 'spinForever', [], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(/deadline of 100 ms; the guest was interrupted in its worker/) });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pool.call('spin', 'spin', 10)).toBe(10);
    expect((await pool.profile()).workers.restarts).toBe(0);
  });

  it('terminates and replaces a worker whose plain guest runs past its deadline', async () => {
    pool = await createPool({ modules: { spin: guestPath('spin'), add: guestPath('add') }, threads: 2 });
    await pool.ready(); // so the runaway call starts before its deadline
    await expect(pool.invoke('spin', 'spinForever', [], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(/its worker was terminated and replaced/) });
    // Other calls still complete, on the surviving worker and then on the replacement.
    expect(await Promise.all(Array.from({ length: 50 }, (_, i) => pool!.call('add', 'add', i, 1)))).toHaveLength(50);
    await new Promise((r) => setTimeout(r, 300));
    expect(await pool.call('add', 'add', 1, 1)).toBe(2);
    expect((await pool.profile()).workers.restarts).toBe(1);
  });

  it('rejects exactly the calls a dying worker held; every call settles exactly once under load', async () => {
    pool = await createPool({ modules: { crashy: { source: guestPath('crashy'), importsModule: crashyImports } }, threads: 2 });
    const settled = new Map<number, number>();
    const calls: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) {
        const n = round * 1000 + i;
        const value = i === 100 ? 666 : n; // one poison call per round
        const call = pool.call('crashy', 'work', value).finally(() => settled.set(n, (settled.get(n) ?? 0) + 1));
        call.catch(() => undefined); // examined after the rounds; not an unhandled rejection meanwhile
        calls.push(call);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const outcomes = await settleAll(calls);
    expect([...settled.values()].every((count) => count === 1)).toBe(true);
    expect(settled.size).toBe(600);
    const crashed = outcomes.filter((o) => 'error' in o);
    expect(crashed.every((o) => 'error' in o && o.error === 'ERR_WORKER_CRASHED')).toBe(true);
    expect(crashed.length).toBe(3); // exactly the poison calls: calls queued behind them went to the replacement
    // Calls that completed returned the right values.
    outcomes.forEach((o, index) => {
      if ('ok' in o) expect(o.ok).toBe(((Math.floor(index / 200) * 1000) + (index % 200)) * 2);
    });
    const profile = await pool.profile();
    expect(profile.workers.crashes).toBe(3);
    expect(await pool.call('crashy', 'work', 21)).toBe(42);
  });

  it('replaces a worker killed by its resourceLimits (out of memory); only the call it ran fails', async () => {
    pool = await createPool({
      modules: { crashy: { source: guestPath('crashy'), importsModule: heapHogImports } },
      threads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    const outcomes = await settleAll([1, 2, 666, 3, 4].map((n) => pool!.call('crashy', 'work', n)));
    expect(outcomes).toEqual([{ ok: 2 }, { ok: 4 }, { error: 'ERR_WORKER_CRASHED' }, { ok: 6 }, { ok: 8 }]);
    await expect(pool.call('crashy', 'work', 666)).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringMatching(/memory/i) });
    expect(await pool.call('crashy', 'work', 5)).toBe(10);
    expect((await pool.profile()).workers).toMatchObject({ crashes: 2, restarts: 2 });
  });

  it('close drains in-flight calls; close with cancel rejects them with ERR_POOL_CLOSED', async () => {
    const drained = await createPool({ modules: { fib: guestPath('fib') }, threads: 1 });
    const running = drained.call('fib', 'fib', 25);
    await drained.close();
    expect(await running).toBe(75025);
    await expect(drained.call('fib', 'fib', 1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });

    const cancelled = await createPool({ modules: { spin: guestPath('spin') }, threads: 1 });
    const stuck = expect(cancelled.call('spin', 'spinForever')).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await new Promise((r) => setTimeout(r, 50));
    await cancelled.close({ cancel: true });
    await stuck;
  });

  it('lets idle workers end after idleTimeoutMs and starts them again on demand', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 2, idleTimeoutMs: 100 });
    expect(await pool.call('add', 'add', 1, 2)).toBe(3);
    const threads = (pool as unknown as { threads: { count: number } }).threads;
    const deadline = Date.now() + 5000;
    while (threads.count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(threads.count).toBe(0); // retired by piscina once their tasks ended
    expect(await Promise.all([pool.call('add', 'add', 2, 3), pool.call('add', 'add', 4, 5)])).toEqual([5, 9]);
    const profile = await pool.profile();
    expect(profile.workers.crashes).toBe(0);
    // The retired workers' metrics were kept: all three calls are counted.
    expect(profile.modules['add']!.exports.find((e) => e.name === 'add')!.calls).toBe(3);
  });

  it('keeps call ids within what the rings carry across their wrap (a long-lived pool)', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1 });
    (pool as unknown as { nextId: number }).nextId = 0x7fffffff - 3; // as after 2^31 calls
    expect(await Promise.all(Array.from({ length: 8 }, (_, i) => pool!.call('add', 'add', i, 1)))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((pool as unknown as { nextId: number }).nextId).toBe(5);
  });

  it('validates its options', async () => {
    await expect(createPool({ modules: {} })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(createPool({ modules: { a: guestPath('add') }, threads: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/options\.threads/) });
    await expect(createPool({ modules: { a: guestPath('add') }, ringBytes: 5000 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

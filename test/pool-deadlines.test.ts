import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

async function outcome(promise: Promise<unknown>): Promise<{ ok: unknown } | { code: string; message: string }> {
  try {
    return { ok: await promise };
  } catch (error) {
    const e = error as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
}

/** A call any live worker answers at once; its own deadline bounds the wait if none can. */
function control(p: WasmPool, a = 40, b = 2, timeoutMs = 2000): Promise<{ ok: unknown } | { code: string; message: string }> {
  return outcome(p.invoke('add', 'add', [a, b], { timeoutMs }));
}

/**
 * A worker terminating a runaway guest that grows its memory keeps a core busy until V8 stops
 * it (seconds here): calls waiting for a replacement get this long.
 */
const BESIDE_A_STUCK_THREAD_MS = 5000;

describe('pool deadlines', () => {
  it('a call rejected as "not started" never starts: one decision per call, shared by pool and worker', async () => {
    pool = await createPool({ modules: { spin: { source: guestPath('spin'), instrument: { deadline: true } }, add: guestPath('add') }, threads: 1 });
    await pool.ready();
    const calibration = performance.now();
    await pool.call('spin', 'spin', 4_000_000);
    const perMs = 4_000_000 / (performance.now() - calibration);
    const seen = new Set<string>();
    // The call ahead ends from 4 ms before to 4 ms after the runaway's 10 ms deadline: across the
    // trials, the deadline falls while the runaway waits, as it starts, and while it runs.
    for (let trial = 0; trial < 120; trial++) {
      const aheadMs = 6 + (trial % 9);
      const ahead = pool.call('spin', 'spin', Math.round(aheadMs * perMs));
      // A busy caller: timers count from the event loop's time at the start of this tick, so
      // this one fires up to 2 ms before the call's deadline (by the clock) has passed.
      const busyUntil = performance.now() + 2;
      while (performance.now() < busyUntil);
      const runaway = outcome(pool.invoke('spin', 'spinForever', [], { timeoutMs: 10 }));
      await ahead;
      const stopped = await runaway;
      expect(stopped).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED' });
      seen.add((stopped as { message: string }).message.replace(/^.*; /, ''));
      // Whatever was decided, the worker is free: a runaway told "will not run" did not start.
      expect(await control(pool, trial, 1)).toEqual({ ok: trial + 1 });
    }
    expect([...seen].filter((what) => !/^(it had not started and will not run|the guest was interrupted in its worker)$/.test(what))).toEqual([]);
    expect((await pool.profile()).workers.restarts).toBe(0);
  });

  it('never wedges with one thread: the replacement serves the calls queued behind the runaway', async () => {
    pool = await createPool({ modules: { grow: { source: guestPath('grow-forever'), memoryLimitPages: 8192 }, add: guestPath('add') }, threads: 1 });
    await pool.ready();
    const runaway = outcome(pool.invoke('grow', 'growForever', [], { timeoutMs: 100 }));
    const queued = [control(pool, 1, 1, BESIDE_A_STUCK_THREAD_MS), control(pool, 2, 2, BESIDE_A_STUCK_THREAD_MS)];
    expect(await runaway).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(/terminated and replaced/) });
    expect(await Promise.all(queued)).toEqual([{ ok: 2 }, { ok: 4 }]);
    expect(await control(pool, 3, 3, BESIDE_A_STUCK_THREAD_MS)).toEqual({ ok: 6 });
  });

  it('never wedges: a worker V8 will not stop at once is replaced at once, and close() ends in bounded time naming it', async () => {
    // 16,384 pages (1 GiB): terminating the runaway's worker takes V8 seconds.
    pool = await createPool({ modules: { grow: { source: guestPath('grow-forever'), memoryLimitPages: 16384 }, add: guestPath('add') }, threads: 2 });
    await pool.ready();
    const runaway = await outcome(pool.invoke('grow', 'growForever', [], { timeoutMs: 100 }));
    expect(runaway).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(/its worker was terminated and replaced/) });
    // Later calls are served (each bounded by its own 2 s deadline), whichever worker gets them.
    expect(await Promise.all([control(pool, 1, 1), control(pool, 2, 2), control(pool, 3, 3)])).toEqual([{ ok: 2 }, { ok: 4 }, { ok: 6 }]);
    const closing = pool;
    pool = undefined;
    const report = await closing.close();
    expect(report.unstoppedThreads).toHaveLength(1);
    await expect(closing.call('add', 'add', 1, 1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  it('a streamed call whose deadline passes mid-stream leaves nothing behind in its worker (it still retires idle)', async () => {
    pool = await createPool({ modules: { sum: guestPath('sum') }, threads: 1, ringBytes: 4096, idleTimeoutMs: 200 });
    await pool.ready();
    // 8 MiB through a 4 KiB ring: ≈4,000 chunks, far more than go through in 20 ms.
    const values = new Float64Array(1024 * 1024).fill(0.5);
    const late = await outcome(pool.invoke('sum', 'sumF64', [values], { timeoutMs: 20, signature: { params: ['Float64Array'], result: 'f64' } }));
    expect(late).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringMatching(/it had not started and will not run/) });
    const threads = (pool as unknown as { threads: { count: number } }).threads;
    for (let waited = 0; threads.count > 0 && waited < 3000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(threads.count).toBe(0);
    // And streamed calls work again, whole (on a worker started for them).
    const smaller = new Float64Array(8192).fill(2);
    expect(await pool.invoke('sum', 'sumF64', [smaller], { signature: { params: ['Float64Array'], result: 'f64' } })).toBe(16384);
  });
});

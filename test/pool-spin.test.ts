/**
 * The pool's spin counts on a real worker: sparse calls (further apart than any spin) make
 * every worker spin end empty, and the analyzer's pool-spinning rule says so; calls in flight
 * back to back are served without spinning on an empty ring at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { analyze } from '../src/profiler/analyze/analyze.js';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('pool spin counts', () => {
  it('sparse calls: each one leaves the worker spinning on an empty ring, and pool-spinning fires', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1, workerSpin: 500, callerSpinMicros: 0 });
    await pool.ready();
    const calls = 120;
    for (let i = 0; i < calls; i++) {
      expect(await pool.call('add', 'add', i, 1)).toBe(i + 1);
      await pause(5); // far longer than 500 polls of an empty ring
    }
    const profile = await pool.profile();
    const spin = profile.spin!;
    expect(spin.workerSpin).toBe(500);
    // After every answer the worker spins once, finds nothing, and sleeps — unless the machine
    // preempted it mid-spin for as long as the pause (a loaded CI box): most, not all, of the calls.
    expect(spin.workerEmptyRounds).toBeGreaterThanOrEqual(calls * 0.75);
    expect(spin.workerEmptyRounds).toBeLessThanOrEqual(spin.workerRounds);
    expect(spin.callerRounds).toBe(0); // callerSpinMicros 0: the caller never spins
    const report = analyze({ modules: [], pool: profile });
    const finding = report.findings.find((f) => f.id === 'pool-spinning');
    expect(finding?.title).toMatch(/^Workers spun \d+ times on an empty ring; \d+ % of the spins found nothing$/);
    expect(finding?.recommendation).toContain('Lower workerSpin (now 500');
  });

  it('workerSpin 0: the worker sleeps at once and never spins', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1, workerSpin: 0 });
    for (let i = 0; i < 20; i++) await pool.call('add', 'add', i, 1);
    const spin = (await pool.profile()).spin!;
    expect([spin.workerRounds, spin.workerEmptyRounds]).toEqual([0, 0]);
    expect(analyze({ modules: [], pool: await pool.profile() }).passed.map((p) => p.id)).toContain('pool-spinning');
  });
});

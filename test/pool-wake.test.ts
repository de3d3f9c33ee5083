/**
 * Wake-ups are sent only to a side that waits (protocol.ts CONTROL.sleeping, CONTROL.callerWaiting).
 * With neither side spinning, every request must wake a sleeping worker and every answer a
 * waiting pool: a wake-up lost to a race shows as a call that took one of the waits' timeouts
 * (≥ 100 ms for the pool's), where a served call takes microseconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('wake-ups only to a side that waits', () => {
  it('no spinning on either side: sequential calls, spaced calls and bursts are each answered without a lost wake-up', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1, workerSpin: 0, callerSpinMicros: 0 });
    await pool.ready();
    const took: number[] = [];
    const timed = async (i: number): Promise<void> => {
      const start = performance.now();
      expect(await pool!.call('add', 'add', i, 1)).toBe(i + 1);
      took.push(performance.now() - start);
    };
    for (let i = 0; i < 200; i++) await timed(i); // back to back: each request meets a worker just gone to sleep
    for (let i = 0; i < 40; i++) {
      await pause(i % 3); // the worker asleep for a while, or just falling asleep
      await timed(i);
    }
    for (let burst = 0; burst < 20; burst++) await Promise.all(Array.from({ length: 8 }, (_, i) => timed(burst * 8 + i)));
    expect(took).toHaveLength(400);
    const sorted = [...took].sort((a, b) => a - b);
    // Allow a descheduled thread now and then (a loaded CI box), not a pattern: a race in the
    // protocol would hit far more than 1 % of these calls.
    expect(sorted[Math.floor(sorted.length * 0.99)]!).toBeLessThan(90);
    const spin = (await pool.profile()).spin!;
    expect([spin.workerRounds, spin.callerRounds]).toEqual([0, 0]);
  });
});

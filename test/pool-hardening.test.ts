import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

describe('pool hardening', () => {
  it('counts a worker once when it ends idle while a profile is being gathered', async () => {
    pool = await createPool({ modules: { add: guestPath('add'), spin: guestPath('spin') }, threads: 2, idleTimeoutMs: 100 });
    await pool.ready();
    const calibration = performance.now();
    await pool.call('spin', 'spin', 2_000_000);
    const perMs = 2_000_000 / (performance.now() - calibration);
    // Worker 0 is busy for ≈600 ms; worker 1 runs one add(), answers the profile request at
    // once, then ends idle (after 100 ms) and sends the same metrics as its last words.
    const busy = pool.call('spin', 'spin', Math.round(600 * perMs));
    expect(await pool.call('add', 'add', 1, 2)).toBe(3);
    const profile = await pool.profile();
    await busy;
    expect(profile.modules['add']!.exports.find((e) => e.name === 'add')!.calls).toBe(1);
  });

  it('a deadline error says the worker was terminated only when it was (calls ending right at their deadline)', async () => {
    pool = await createPool({ modules: { spin: guestPath('spin') }, threads: 2 });
    await pool.ready();
    let perMs = 0;
    for (let round = 0; round < 3; round++) {
      // Both workers, after the first round has warmed the code up.
      const calibration = performance.now();
      await Promise.all([pool.call('spin', 'spin', 20_000_000), pool.call('spin', 'spin', 20_000_000)]);
      perMs = 20_000_000 / (performance.now() - calibration);
    }
    let terminated = 0;
    // Calls of 16 to 24 ms against a 20 ms deadline: some end just before it, some just after.
    for (let trial = 0; trial < 27; trial++) {
      const ms = 16 + (trial % 9);
      try {
        await pool.invoke('spin', 'spin', [Math.round(ms * perMs)], { timeoutMs: 20 });
      } catch (error) {
        const message = (error as Error).message;
        expect(message).toMatch(/deadline of 20 ms; (its worker was terminated and replaced|it had not started and will not run)/);
        if (/terminated/.test(message)) terminated++;
      }
    }
    await pool.ready();
    expect((await pool.profile()).workers.restarts).toBe(terminated);
  });
});

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
});

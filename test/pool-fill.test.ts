/**
 * Large typed calls are published before their arguments are all in the ring, and the worker
 * copies each argument into guest memory as it arrives (codec.ts kind 4, worker-link.ts
 * fillInPlace). Every call here carries different bytes to a ring position an earlier call used,
 * so a worker that read ahead of the writer would compute from stale bytes and be caught.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

/** What weighted.wasm computes, in its order: Σ values[i] · weights[i mod n], plus the label's length. */
function weighted(values: Float64Array, weights: Float64Array, label: string): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]! * weights[i % weights.length]!;
  return total + label.length;
}

describe('large typed calls filled while the worker reads them', () => {
  it('a large array, a small one after it and a string after both: exact results, call after call, through reused ring space', async () => {
    // 32 MiB rings: frames of 12 MiB land at 0, 12 MiB, then 0 again (a skip at the end).
    pool = await createPool({ modules: { weighted: guestPath('weighted') }, threads: 1, ringBytes: 32 * 1024 * 1024 });
    await pool.ready();
    const signature = { params: ['Float64Array', 'Float64Array', 'string'], result: 'f64' } as const;
    for (let k = 0; k < 6; k++) {
      const values = Float64Array.from({ length: 1_500_000 }, (_, i) => ((i * 7 + k * 13) % 1000) - 500);
      const weights = Float64Array.from({ length: 7 + k }, (_, i) => (i + 1) * (k % 2 === 0 ? 1 : -0.5));
      const label = 'x'.repeat(k + 1);
      const expected = weighted(values, weights, label);
      const answer = pool.invoke('weighted', 'weighted', [values, weights, label], { signature });
      // The call has the caller's values when invoke was called: changing them now changes nothing.
      values.fill(0);
      weights.fill(0);
      expect(await answer).toBe(expected);
    }
    // Calls in flight together (each frame its own fill) and a small call between them.
    const values = Float64Array.from({ length: 400_000 }, (_, i) => i % 97);
    const ones = Float64Array.of(1);
    const together = await Promise.all([
      pool.invoke('weighted', 'weighted', [values, ones, 'a'], { signature }),
      pool.invoke('weighted', 'weighted', [Float64Array.of(2, 3), ones, 'bb'], { signature }),
      pool.invoke('weighted', 'weighted', [values, Float64Array.of(2), 'ccc'], { signature }),
    ]);
    expect(together).toEqual([weighted(values, ones, 'a'), 7, weighted(values, Float64Array.of(2), 'ccc')]);
  });
});

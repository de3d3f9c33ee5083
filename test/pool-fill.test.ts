/**
 * Large typed calls are published before their arguments are all in the ring, and the worker
 * copies each argument into guest memory as it arrives (codec.ts kind 4, worker-link.ts
 * fillInPlace); the largest go through a window of the ring the worker hands back as it reads
 * (argument-stream.ts). Every call here carries different bytes to ring positions an earlier
 * call (or an earlier turn of the window) used, so a worker that read ahead of the writer, or a
 * writer that overtook the reader, would compute from stale bytes and be caught.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestBytes, guestPath } from './helpers/guests.js';

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

const signature = { params: ['Float64Array', 'Float64Array', 'string'], result: 'f64' } as const;

/** One call whose arrays its caller zeroes right after `invoke`: the call carries the values they had then. */
async function expectExactThoughZeroed(on: WasmPool, values: Float64Array, weights: Float64Array, label: string): Promise<void> {
  const expected = weighted(values, weights, label);
  const answer = on.invoke('weighted', 'weighted', [values, weights, label], { signature });
  values.fill(0);
  weights.fill(0);
  expect(await answer).toBe(expected);
}

describe('large typed calls filled while the worker reads them', () => {
  it('a large array, a small one after it and a string after both: exact results, call after call, through reused ring space', async () => {
    // 32 MiB rings: frames of 12 MiB land at 0, 12 MiB, then 0 again (a skip at the end).
    pool = await createPool({ modules: { weighted: guestPath('weighted') }, threads: 1, ringBytes: 32 * 1024 * 1024 });
    await pool.ready();
    for (let k = 0; k < 6; k++) {
      const values = Float64Array.from({ length: 1_500_000 }, (_, i) => ((i * 7 + k * 13) % 1000) - 500);
      const weights = Float64Array.from({ length: 7 + k }, (_, i) => (i + 1) * (k % 2 === 0 ? 1 : -0.5));
      await expectExactThoughZeroed(pool, values, weights, 'x'.repeat(k + 1));
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

  it('arrays larger than half a ring stream through a window of it: exact results with the default ring, a tiny ring, odd sizes and calls in flight together', async () => {
    // The default 4 MiB ring (a 2 MiB window), then a 256 KiB ring (a window of under 128 KiB, turned hundreds of times).
    for (const ringBytes of [undefined, 256 * 1024]) {
      pool = await createPool({ modules: { weighted: guestPath('weighted') }, threads: 1, ...(ringBytes === undefined ? {} : { ringBytes }) });
      await pool.ready();
      for (let k = 0; k < 3; k++) {
        // Lengths that are not multiples of a slice or of the window: every turn wraps somewhere new.
        const values = Float64Array.from({ length: 3 * 131_072 + 12_345 * (k + 1) }, (_, i) => ((i * 31 + k) % 2001) - 1000);
        const weights = Float64Array.from({ length: 70_001 + k }, (_, i) => ((i * 17) % 13) - 6 + k);
        await expectExactThoughZeroed(pool, values, weights, 'é'.repeat(k + 2));
      }
      // Several at once: the first streams through the window, the others wait their turn whole or in chunks.
      const a = Float64Array.from({ length: 400_003 }, (_, i) => i % 89);
      const b = Float64Array.from({ length: 300_001 }, (_, i) => (i % 7) - 3);
      const ones = Float64Array.of(1);
      const together = await Promise.all([
        pool.invoke('weighted', 'weighted', [a, b, 'x'], { signature }),
        pool.invoke('weighted', 'weighted', [b, ones, ''], { signature }),
        pool.invoke('weighted', 'weighted', [a, Float64Array.of(-1, 2), 'yz'], { signature }),
      ]);
      expect(together).toEqual([weighted(a, b, 'x'), weighted(b, ones, ''), weighted(a, Float64Array.of(-1, 2), 'yz')]);
      await pool.close();
      pool = undefined;
    }
  });

  describe('a guest whose allocator stalls (slow-allocator.wat) while a large argument streams', () => {
    const sumSignature = { params: ['Float64Array'], result: 'f64' } as const;
    const big = (): Float64Array => Float64Array.from({ length: 3_000_000 }, (_, i) => (i % 1000) - 499.5); // 24 MiB
    const sum = (values: Float64Array): number => values.reduce((t, v) => t + v, 0);

    it('slow: the caller’s thread waits a bounded while, keeps the rest and writes it as the worker reads; exact though the caller zeroed its array', async () => {
      pool = await createPool({ modules: { slow: guestPath('slow-allocator') }, threads: 1 });
      await pool.ready();
      // Rounds of the allocator's spin per millisecond here, from a call with one tiny allocation.
      await pool.invoke('slow', 'setDelay', [50_000_000]);
      let fastest = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await pool.invoke('slow', 'sum', [Float64Array.of(1)], { signature: sumSignature });
        fastest = Math.min(fastest, performance.now() - t);
      }
      await pool.invoke('slow', 'setDelay', [Math.round((50_000_000 / Math.max(1, fastest)) * 500)]); // ≈500 ms before it reads
      let start = 0;
      const values = big();
      const expected = sum(values);
      start = performance.now();
      const answer = pool.invoke('slow', 'sum', [values], { signature: sumSignature });
      const held = performance.now() - start;
      values.fill(0);
      expect(await answer).toBe(expected);
      const took = performance.now() - start;
      // The caller's thread was held for the patience (5 ms + 24 MiB at 1 GiB/s ≈ 28 ms), not for the stall.
      expect(took).toBeGreaterThan(250);
      expect(held).toBeLessThan(150);
      await pool.invoke('slow', 'setDelay', [0]);
      const again = big();
      expect(await pool.invoke('slow', 'sum', [again], { signature: sumSignature })).toBe(sum(again));
    });

    it('never returning: the call’s deadline still fires on the caller’s thread, the worker is replaced and the pool serves on', async () => {
      pool = await createPool({ modules: { slow: guestPath('slow-allocator') }, threads: 1 });
      await pool.ready();
      await pool.invoke('slow', 'setDelay', [-1]);
      const values = big();
      const start = performance.now();
      const answer = pool.invoke('slow', 'sum', [values], { signature: sumSignature, timeoutMs: 300 });
      expect(performance.now() - start).toBeLessThan(150);
      await expect(answer).rejects.toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED' });
      expect(await pool.invoke('slow', 'sum', [values], { signature: sumSignature })).toBe(sum(values)); // a new worker: delay 0
    });

    it('type information that lies (its Float64Array holds 4-byte elements): refused before a byte is copied, the caller let go, the pool serves on', async () => {
      // slow-allocator.wat's RTTI for id 3, flags 0x1201 (view, 8-byte float values), rewritten to 0x1101 (4-byte).
      const bytes = guestBytes('slow-allocator');
      const rtti = [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x12, 0, 0];
      const at = bytes.findIndex((_, i) => rtti.every((b, j) => bytes[i + j] === b));
      expect(at).toBeGreaterThan(0);
      bytes[at + 17] = 0x11;
      pool = await createPool({ modules: { slow: bytes }, threads: 1 });
      await pool.ready();
      const huge = new Float64Array(12_500_000).fill(0.5);
      const start = performance.now();
      const answer = pool.invoke('slow', 'sum', [huge], { signature: sumSignature });
      expect(performance.now() - start).toBeLessThan(60);
      await expect(answer).rejects.toMatchObject({ code: 'ERR_WASM_RESULT', message: expect.stringContaining('whose elements it does not hold') });
      await expect(pool.invoke('slow', 'setDelay', [0])).resolves.toBeUndefined();
    });

    it('out of memory for the argument: the worker stops reading, the caller stops writing, a typed error, and the pool serves on', async () => {
      // 16 MiB of memory at most: a 24 MiB argument cannot be allocated.
      pool = await createPool({ modules: { slow: { source: guestPath('slow-allocator'), memoryLimitPages: 256 } }, threads: 1 });
      await pool.ready();
      const huge = new Float64Array(12_500_000).fill(0.5); // 100 MiB: the caller would wait 5 + 95 ms for room
      const start = performance.now();
      const answer = pool.invoke('slow', 'sum', [huge], { signature: sumSignature });
      // The worker said it wants no more bytes (it failed before reading any), so the caller's thread stopped waiting at once.
      expect(performance.now() - start).toBeLessThan(60);
      await expect(answer).rejects.toMatchObject({ code: 'ERR_WASM_RESULT' });
      // The wrong array type for the signature: refused before any byte is read, and the caller let go at once too.
      const before = performance.now();
      const wrong = pool.invoke('slow', 'sum', [new Int32Array(25_000_000)], { signature: sumSignature });
      expect(performance.now() - before).toBeLessThan(60);
      await expect(wrong).rejects.toMatchObject({ code: 'ERR_WASM_ARGUMENT', message: expect.stringContaining('expected a Float64Array, got an Int32Array') });
      const small = Float64Array.from({ length: 1_500_000 }, (_, i) => i % 3); // 12 MiB: fits
      expect(await pool.invoke('slow', 'sum', [small], { signature: sumSignature })).toBe(sum(small));
    });
  });
});

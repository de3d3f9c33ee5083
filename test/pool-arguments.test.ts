import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
const sumSignature = { signature: { params: ['Float64Array'], result: 'f64' } } as const;
let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

/** Iterations of spin() per millisecond in this pool's worker. */
async function spinRate(p: WasmPool): Promise<number> {
  const started = performance.now();
  await p.call('spin', 'spin', 4_000_000);
  return 4_000_000 / (performance.now() - started);
}

describe('pool arguments are the caller’s values at call time', () => {
  it('a call waiting for ring space carries the array as it was when invoked', async () => {
    pool = await createPool({ modules: { sum: guestPath('sum'), spin: guestPath('spin') }, threads: 1, ringBytes: 1024 * 1024 });
    await pool.ready();
    const perMs = await spinRate(pool);
    const busy = pool.call('spin', 'spin', Math.round(200 * perMs)); // the worker reads nothing for ≈200 ms
    const filler = new Float64Array(40_000).fill(1); // 320 KB a frame: three fill the 1 MiB ring
    const fillers = [1, 2, 3, 4].map(() => pool!.invoke('sum', 'sumF64', [filler], sumSignature));
    const ones = new Float64Array(1000).fill(1);
    const sum = pool.invoke('sum', 'sumF64', [ones], sumSignature);
    ones.fill(7);
    filler.fill(2);
    expect(await sum).toBe(1000);
    expect(await Promise.all(fillers)).toEqual([40_000, 40_000, 40_000, 40_000]);
    await busy;
  });

  it('queued large calls copied into reused buffers each keep their own values', async () => {
    // 200 KB frames through a 1 MiB ring: most of the 24 wait in the outbox, copied into the
    // link's kept buffers, which go to the next copy once their frame is in the ring.
    pool = await createPool({ modules: { sum: guestPath('sum'), spin: guestPath('spin') }, threads: 1, ringBytes: 1024 * 1024 });
    await pool.ready();
    const perMs = await spinRate(pool);
    const busy = pool.call('spin', 'spin', Math.round(50 * perMs)); // the outbox fills while the worker spins
    const arrays = Array.from({ length: 24 }, (_, i) => new Float64Array(25_000).fill(i + 1));
    const sums = arrays.map((values) => pool!.invoke('sum', 'sumF64', [values], sumSignature));
    for (const values of arrays) values.fill(-1);
    expect(await Promise.all(sums)).toEqual(arrays.map((_, i) => 25_000 * (i + 1)));
    await busy;
  });

  it('a queued large call whose worker died is sent again with its own values, not a reused buffer’s', async () => {
    pool = await createPool({
      modules: { crashy: { source: guestPath('crashy'), importsModule: crashyImports }, sum: guestPath('sum'), spin: guestPath('spin') },
      threads: 1,
      ringBytes: 1024 * 1024,
    });
    await pool.ready();
    const perMs = await spinRate(pool);
    const filled = (n: number, value: number): Float64Array => new Float64Array(n).fill(value);
    const invokeSum = (values: Float64Array): Promise<unknown> => pool!.invoke('sum', 'sumF64', [values], sumSignature);
    // The ring: a spin, four 200 KB calls, a second (long) spin, the crash. C waits for space.
    const first = pool.call('spin', 'spin', Math.round(100 * perMs));
    const a = [1, 2, 3, 4].map((v) => invokeSum(filled(25_000, v)));
    const second = pool.call('spin', 'spin', Math.round(400 * perMs));
    const poison = pool.call('crashy', 'work', 666);
    const c = [5, 6, 7].map((v) => invokeSum(filled(25_000, v)));
    // Once A has run, C is in the ring behind the crash and its kept buffers are free again:
    // D's copies go into them while the second spin runs.
    expect(await Promise.all(a)).toEqual([25_000, 50_000, 75_000, 100_000]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const d = [8, 9, 10].map((v) => invokeSum(filled(25_000, v)));
    await first;
    await expect(poison).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(typeof (await second)).toBe('number');
    // C is sent again from the ring (its own bytes), D from its own copies.
    expect(await Promise.all([...c, ...d])).toEqual([5, 6, 7, 8, 9, 10].map((v) => 25_000 * v));
  });

  it('streamed calls keep their own values through reused buffers, and when sent again after a crash', async () => {
    // 200 KB calls through a 64 KiB ring: each is copied into a kept buffer and streamed in
    // 32 KiB chunks; a buffer goes to the next copy once its call has settled.
    pool = await createPool({ modules: { crashy: { source: guestPath('crashy'), importsModule: crashyImports }, sum: guestPath('sum') }, threads: 1, ringBytes: 64 * 1024 });
    await pool.ready();
    const wave = (base: number): Float64Array[] => [0, 1, 2, 3].map((i) => new Float64Array(25_000).fill(base + i));
    const send = (arrays: Float64Array[]): Promise<unknown>[] => {
      const sums = arrays.map((values) => pool!.invoke('sum', 'sumF64', [values], sumSignature));
      for (const values of arrays) values.fill(-1);
      return sums;
    };
    const expected = (base: number): number[] => [0, 1, 2, 3].map((i) => 25_000 * (base + i));
    expect(await Promise.all(send(wave(1)))).toEqual(expected(1));
    // The first wave's buffers are free: the second's copies go into them. The crash before
    // them sends them again from their copies, while a third wave is copied beside them.
    const poison = pool.call('crashy', 'work', 666);
    const second = send(wave(10));
    const third = send(wave(20));
    await expect(poison).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(await Promise.all([...second, ...third])).toEqual([...expected(10), ...expected(20)]);
    expect(await Promise.all(send(wave(30)))).toEqual(expected(30));
  });

  it('the later chunks of a streamed call carry the array as it was when invoked', async () => {
    pool = await createPool({ modules: { sum: guestPath('sum') }, threads: 1, ringBytes: 64 * 1024 });
    await pool.ready();
    // 1 MiB through a 64 KiB ring: 32 KiB chunks, sent as the worker takes them.
    const values = new Float64Array(128 * 1024).fill(1);
    const sum = pool.invoke('sum', 'sumF64', [values], sumSignature);
    values.fill(7);
    expect(await sum).toBe(128 * 1024);
  });

  it('a call sent again after its worker died carries the values it was invoked with', async () => {
    pool = await createPool({ modules: { crashy: { source: guestPath('crashy'), importsModule: crashyImports }, sum: guestPath('sum') }, threads: 1 });
    await pool.ready();
    const poison = pool.call('crashy', 'work', 666);
    const ones = new Float64Array(1000).fill(1);
    const sum = pool.invoke('sum', 'sumF64', [ones], sumSignature);
    const args = [21];
    const doubled = pool.invoke('crashy', 'work', args);
    ones.fill(7);
    args[0] = 500;
    await expect(poison).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(await sum).toBe(1000);
    expect(await doubled).toBe(42);
  });
});

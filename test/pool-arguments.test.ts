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

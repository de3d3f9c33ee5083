/**
 * Workers that cannot start. A worker that ends before its hello would end so again: its calls
 * fail typed at once, the pool waits longer before each new start instead of restarting in a
 * loop (which starved the event loop and left every call pending), and close() still ends.
 * A served module whose imports module fails to load fails its own calls, not the worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImportNotGrantedError } from '../src/index.js';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const throwingImports = new URL('./fixtures/throwing-imports.mjs', import.meta.url).pathname;
const partialImports = new URL('./fixtures/partial-imports.mjs', import.meta.url).pathname;

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

describe('pool workers that cannot start', () => {
  it('fail their calls with ERR_WORKER_CRASHED, start again with growing delays, and close() ends', async () => {
    // Too little heap to load the worker's own code: every start dies out of memory.
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1, resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } });
    await expect(pool.ready()).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringMatching(/could not start .*memory/) });
    const started = performance.now();
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await pool.call('add', 'add', 1, 2).catch((error: { code: string; message: string }) => error));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ code: 'ERR_WORKER_CRASHED', message: expect.stringMatching(/^add: the pool's worker could not start \(.*\); it starts again in \d+ ms$/) });
    }
    const waited = performance.now() - started;
    const { workers } = await pool.profile();
    // One start per call, each after a longer wait (50, 100, 200 ms, …): not a restart loop.
    expect(workers.crashes).toBeLessThanOrEqual(6);
    expect(waited).toBeGreaterThanOrEqual(50 + 100 + 200 - 30);
    const closing = performance.now();
    await expect(pool.close()).resolves.toEqual({ unstoppedThreads: [] });
    expect(performance.now() - closing).toBeLessThan(5_000);
    pool = undefined;
  });

  it('an imports module that throws as it loads fails its module’s calls with ERR_INVALID_OPTION; the worker serves the others', async () => {
    pool = await createPool({
      modules: { host: { source: guestPath('imports'), importsModule: throwingImports }, add: guestPath('add') },
      threads: 1,
    });
    await pool.ready();
    const error = (await pool.call('host', 'readByte', 0).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toContain('modules.host.importsModule');
    expect(error.message).toContain('the imports module failed as it loaded\\x1b[2J'); // escaped, never raw
    expect(error.message).not.toContain('\u001b');
    expect(await pool.call('add', 'add', 40, 2)).toBe(42);
    expect((await pool.profile()).workers).toMatchObject({ restarts: 0, crashes: 0 });
  });

  it("unknownImports 'trap' in workers: an ungranted function rejects its call with ERR_IMPORT_NOT_GRANTED, the rest of the module serves", async () => {
    await expect(createPool({ modules: { host: { source: guestPath('imports'), unknownImports: 'stub' as never } } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    const refused = await createPool({ modules: { host: { source: guestPath('imports'), importsModule: partialImports } }, threads: 1 });
    await expect(refused.call('host', 'readByte', 0)).rejects.toMatchObject({ code: 'ERR_WASM_IMPORT', importName: 'log' });
    await refused.close();
    pool = await createPool({ modules: { host: { source: guestPath('imports'), importsModule: partialImports, unknownImports: 'trap' } }, threads: 1 });
    expect(await pool.call('host', 'readByte', 0)).toBe('h'.charCodeAt(0)); // the imports module got the module id
    const error = await pool.call('host', 'logScaled', 2).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_IMPORT_NOT_GRANTED', name: 'ImportNotGrantedError', importModule: 'host', importName: 'log', message: expect.stringMatching(/^host: logScaled\(\) called host\.log /) });
    expect(error).toBeInstanceOf(ImportNotGrantedError); // the same class on this side of the thread boundary
    expect(await pool.call('host', 'readByte', 0)).toBe(104);
    expect((await pool.profile()).workers).toMatchObject({ restarts: 0, crashes: 0 });
  });
});

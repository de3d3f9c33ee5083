import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

/** `total` calls of add(i, 1) from `lanes` callers, each answer checked against its own call. */
async function traffic(p: WasmPool, total: number, lanes: number): Promise<{ wrong: number; answered: number }> {
  let next = 0;
  let wrong = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < total) {
        const i = next++;
        const value = await p.call('add', 'add', i, 1);
        answered++;
        if (value !== i + 1) wrong++;
      }
    }),
  );
  return { wrong, answered };
}

const addCalls = async (p: WasmPool): Promise<number> => (await p.profile()).modules['add']!.exports.find((e) => e.name === 'add')?.calls ?? 0;

describe('live settings', () => {
  it('changes the spin budgets and the wake-up batch while serving, every call answered once, each change logged', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 2 });
    expect(pool.settings()).toEqual({ threads: 2, callerSpinMicros: 20, workerSpin: 2000, wakeBatch: 64, ringBytes: 4 * 1024 * 1024, minThreads: 1, maxThreads: 2 });
    const running = traffic(pool, 20_000, 64);
    await new Promise((r) => setTimeout(r, 20));
    await pool.configure({ workerSpin: 0, callerSpinMicros: 0, wakeBatch: 1 }, 'test');
    await new Promise((r) => setTimeout(r, 20));
    await pool.configure({ workerSpin: 50_000, wakeBatch: 512 });
    expect(await running).toEqual({ wrong: 0, answered: 20_000 });
    const profile = await pool.profile();
    expect(profile.settings).toMatchObject({ threads: 2, callerSpinMicros: 0, workerSpin: 50_000, wakeBatch: 512 });
    expect(profile.settingChanges.map(({ setting, from, to, by }) => ({ setting, from, to, by }))).toEqual([
      { setting: 'callerSpinMicros', from: 20, to: 0, by: 'test' },
      { setting: 'workerSpin', from: 2000, to: 0, by: 'test' },
      { setting: 'wakeBatch', from: 64, to: 1, by: 'test' },
      { setting: 'workerSpin', from: 0, to: 50_000, by: 'user' },
      { setting: 'wakeBatch', from: 1, to: 512, by: 'user' },
    ]);
    expect(await addCalls(pool)).toBe(20_000);
  });

  it('starts and stops workers under load without losing or repeating a call; stopped workers keep their metrics', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 1, maxThreads: 3 });
    await pool.ready();
    const running = traffic(pool, 30_000, 128);
    const steps = [3, 1, 2, 1, 3, 2];
    for (const threads of steps) {
      await new Promise((r) => setTimeout(r, 15));
      expect((await pool.configure({ threads })).threads).toBe(threads);
    }
    expect(await running).toEqual({ wrong: 0, answered: 30_000 });
    // A profile asked while a worker is being stopped still answers, with that worker's calls.
    const before = await addCalls(pool);
    const shrinking = pool.configure({ threads: 1 });
    for (let i = 0; i < 10; i++) await Promise.resolve(); // the Stop frame is written; the worker has not ended yet
    const during = await pool.profile();
    await shrinking;
    await pool.configure({ threads: 2 });
    expect(during.modules['add']!.exports.find((e) => e.name === 'add')!.calls).toBe(before);
    const profile = await pool.profile();
    expect(profile.workers).toMatchObject({ threads: 2, crashes: 0 });
    expect(profile.settingChanges.map((c) => c.to)).toEqual([...steps, 1, 2]);
    // Every call counted once: by the workers serving now and the last words of those stopped.
    expect(await addCalls(pool)).toBe(30_000);
    expect(await pool.call('add', 'add', 20, 22)).toBe(42);
  });

  it('refuses settings out of bounds, and never stops a worker holding a tenant sandbox', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 2, minThreads: 1, maxThreads: 2 });
    await expect(pool.configure({ threads: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('settings.threads must be an integer in [1, 2]') });
    await expect(pool.configure({ workerSpin: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('settings.workerSpin') });
    await expect(pool.configure({ wakeBatch: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('settings.wakeBatch') });
    const a = pool.openSandbox('add');
    const b = pool.openSandbox('add');
    expect(await Promise.all([a.call('add', 1, 1), b.call('add', 2, 2)])).toEqual([2, 4]);
    await expect(pool.configure({ threads: 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('tenant sandboxes') });
    await b.close();
    expect((await pool.configure({ threads: 1 })).threads).toBe(1);
    expect(await a.call('add', 3, 3)).toBe(6);
    expect((await pool.profile()).settingChanges.map((c) => c.setting)).toEqual(['threads']);
  });

  it('tells an observer of every call as it settles, and counts what was submitted', async () => {
    pool = await createPool({ modules: { add: guestPath('add'), trap: guestPath('trap') }, threads: 1 });
    const seen: { ms: number; code: string | undefined }[] = [];
    pool.observeCalls((ms, error) => seen.push({ ms, code: (error as { code?: string } | undefined)?.code }));
    await Promise.all([pool.call('add', 'add', 1, 2), pool.call('trap', 'divide', 1, 0).catch(() => undefined), pool.call('add', 'add', 3, 4)]);
    await pool.profile(); // control requests are not calls
    expect(seen.map((s) => s.code)).toEqual([undefined, 'ERR_WASM_TRAP', undefined]);
    expect(seen.every((s) => s.ms > 0 && s.ms < 10_000)).toBe(true);
    expect(pool.load()).toEqual({ submitted: 3, outstanding: 0 });
    pool.observeCalls(undefined);
    await pool.call('add', 'add', 1, 2);
    expect(seen).toHaveLength(3);
  });
});

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { fewestTenants, leastLoaded, type WorkerLoad } from '../src/pool/schedule.js';
import { guestPath } from './helpers/guests.js';

const threadImports = fileURLToPath(new URL('./fixtures/thread-imports.mjs', import.meta.url));
let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

const load = (outstanding: number, starting = false, tenants = 0): WorkerLoad => ({ outstanding, tenants, starting });

describe('scheduling strategies (pure)', () => {
  const cases: { name: string; workers: WorkerLoad[]; calls: number; tenants: number }[] = [
    { name: 'least outstanding, first on a tie', workers: [load(3), load(1), load(1)], calls: 1, tenants: 0 },
    { name: 'a starting worker is passed over while another can answer', workers: [load(5), load(0, true)], calls: 0, tenants: 0 },
    { name: 'all starting: the least loaded of them', workers: [load(2, true), load(1, true, 3)], calls: 1, tenants: 0 },
    { name: 'tenants go where the fewest live, among workers that can answer', workers: [load(0, false, 4), load(9, false, 1), load(0, true, 0)], calls: 0, tenants: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(leastLoaded(c.workers)).toBe(c.calls);
      expect(fewestTenants(c.workers)).toBe(c.tenants);
    });
  }
});

describe('pool scheduling', () => {
  it('sends calls to live workers while a dead one is being replaced', async () => {
    pool = await createPool({ modules: { which: { source: guestPath('which-thread'), importsModule: threadImports } }, threads: 2 });
    await pool.ready();
    const threads = new Set(await Promise.all([pool.call('which', 'work', 1), pool.call('which', 'work', 1)]));
    expect(threads.size).toBe(2);
    await expect(pool.call('which', 'work', 666)).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    // The replacement is still starting: every call goes to the surviving worker.
    const after = new Set(await Promise.all(Array.from({ length: 20 }, () => pool!.call('which', 'work', 1))));
    expect(after.size).toBe(1);
    expect(threads.has([...after][0])).toBe(true);
    // Once the replacement has said hello, it takes calls again.
    await pool.ready();
    const later = new Set(await Promise.all(Array.from({ length: 20 }, () => pool!.call('which', 'work', 1))));
    expect(later.size).toBe(2);
  });

  it('takes a scheduler through its options; one that returns no worker fails the call with ERR_INVALID_OPTION', async () => {
    const seen: number[] = [];
    pool = await createPool({
      modules: { which: { source: guestPath('which-thread'), importsModule: threadImports } },
      threads: 2,
      scheduler: (workers) => (seen.push(workers.length), workers.length - 1), // always the last worker
    });
    await pool.ready();
    const threads = new Set(await Promise.all(Array.from({ length: 10 }, () => pool!.call('which', 'work', 1))));
    expect(threads.size).toBe(1);
    expect(seen).toEqual(Array(10).fill(2));
    const broken = await createPool({ modules: { which: { source: guestPath('which-thread'), importsModule: threadImports } }, threads: 1, scheduler: () => 7 });
    try {
      await expect(broken.call('which', 'work', 1)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/options\.scheduler returned 7/) });
    } finally {
      await broken.close();
    }
  });
});

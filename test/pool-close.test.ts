import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

async function settleAll(promises: Promise<unknown>[]) {
  const outcomes = await Promise.allSettled(promises);
  return outcomes.map((o) => (o.status === 'fulfilled' ? { ok: o.value } : { error: (o.reason as { code?: string }).code }));
}

describe('pool close', () => {
  it('drains: calls a dying worker had not started go to its replacement, not ERR_POOL_CLOSED', async () => {
    pool = await createPool({ modules: { crashy: { source: guestPath('crashy'), importsModule: crashyImports } }, threads: 2 });
    await pool.ready();
    const calls = Array.from({ length: 1000 }, (_, i) => pool!.call('crashy', 'work', i === 10 ? 666 : 1000 + i));
    const closing = pool;
    pool = undefined;
    const report = await closing.close();
    const outcomes = await settleAll(calls);
    expect(outcomes[10]).toEqual({ error: 'ERR_WORKER_CRASHED' });
    expect(outcomes.filter((o, i) => i !== 10 && !('ok' in o && o.ok === (1000 + i) * 2))).toEqual([]);
    expect(report.unstoppedThreads).toEqual([]);
  });
});

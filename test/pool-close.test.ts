import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
const closeResources = fileURLToPath(new URL('./fixtures/pool-close-resources.mjs', import.meta.url));
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
    const settling = settleAll(calls);
    const closing = pool;
    pool = undefined;
    const report = await closing.close();
    const outcomes = await settling;
    expect(outcomes[10]).toEqual({ error: 'ERR_WORKER_CRASHED' });
    expect(outcomes.filter((o, i) => i !== 10 && !('ok' in o && o.ok === (1000 + i) * 2))).toEqual([]);
    expect(report.unstoppedThreads).toEqual([]);
  });

  it('profile() after close() settles, with the metrics the workers sent as they stopped', async () => {
    const closing = await createPool({ modules: { add: guestPath('add') }, threads: 2 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => closing.call('add', 'add', i, 1)));
    await closing.close();
    const profile = await closing.profile();
    expect(profile.modules['add']!.exports.find((e) => e.name === 'add')!.calls).toBe(10);
    expect(profile.workers).toMatchObject({ threads: 2, crashes: 0 });
  });

  it('close() leaves no timer behind (the process exits when the caller is done)', () => {
    const printed = execFileSync(process.execPath, [closeResources], { encoding: 'utf8' });
    expect(JSON.parse(printed)).toEqual({ value: 3, report: { unstoppedThreads: [] }, resources: [] });
  });

  it('typed arrays need a signature (as CallOptions says): without one the call fails with ERR_WASM_ARGUMENT', async () => {
    pool = await createPool({ modules: { sum: guestPath('sum') }, threads: 1 });
    await expect(pool.invoke('sum', 'sumF64', [new Float64Array([1, 2])])).rejects.toMatchObject({ code: 'ERR_WASM_ARGUMENT' });
    expect(await pool.invoke('sum', 'sumF64', [new Float64Array([1, 2])], { signature: { params: ['Float64Array'], result: 'f64' } })).toBe(3);
  });
});

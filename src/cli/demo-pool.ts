/**
 * The demo's worker-pool part: the same bundled guests on two worker threads, calls through the
 * shared-memory rings, tenant sandboxes, a runaway guest stopped by terminating its worker, and
 * the profile merged across workers.
 */
import { createPool, formatProfile, type PoolProfile, type WasmHost, type WasmSandboxError } from '../index.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';
import { MAX_ERROR_MESSAGE } from '../untrusted-text.js';
import { bundledGuest } from './guests.js';

type Out = (line: string) => void;

/** Runs the pool part; returns the pool's profile from before the runaway (for the findings). */
export async function runPoolDemo(host: WasmHost, out: Out): Promise<PoolProfile> {
  const pool = await createPool({
    host,
    threads: 2,
    modules: { add: bundledGuest('add'), sum: bundledGuest('sum'), alloc: bundledGuest('alloc'), spin: bundledGuest('spin') },
  });
  try {
    await pool.ready();
    const calls = 100_000;
    const started = performance.now();
    let checksum = 0;
    // 256 calls in flight at a time: the rings carry them in batches.
    for (let i = 0; i < calls; i += 256) {
      const batch = Array.from({ length: Math.min(256, calls - i) }, (_, j) => pool.call('add', 'add', i + j, 1) as Promise<number>);
      for (const value of await Promise.all(batch)) checksum += value;
    }
    const seconds = (performance.now() - started) / 1000;
    out(`pool: ${calls.toLocaleString('en')} add() calls on 2 worker threads, 256 in flight: checksum ${checksum}, ${Math.round(calls / seconds).toLocaleString('en')} calls/s`);

    const values = Float64Array.from({ length: 1_000_000 }, (_, i) => i % 100);
    const total = await pool.invoke('sum', 'sumF64x4', [values], { signature: { params: ['Float64Array'], result: 'f64' } });
    out(`pool: sumF64x4 over 1,000,000 doubles (8 MB through the ring, copied once into guest memory) = ${String(total)}`);

    const tenantA = pool.openSandbox('alloc');
    const tenantB = pool.openSandbox('alloc');
    await tenantA.call('leak', 3, 16);
    await tenantB.call('leak', 1, 16);
    out(`pool: tenant sandboxes keep their own state: A kept ${String(await tenantA.call('keptCount'))}, B kept ${String(await tenantB.call('keptCount'))}`);
    await Promise.all([tenantA.close(), tenantB.close()]);

    // Taken before the runaway: a worker that is terminated takes its metrics with it.
    const profile = await pool.profile();
    out('\npool profile (merged across workers)\n');
    for (const id of ['add', 'sum']) {
      const module = profile.modules[id];
      if (module !== undefined) out(formatProfile(module) + '\n');
    }

    try {
      await pool.invoke('spin', 'spinForever', [], { timeoutMs: 100 });
      out('pool: spinForever() unexpectedly returned');
    } catch (error) {
      const e = error as WasmSandboxError;
      out(`pool: spinForever() (not instrumented) with timeoutMs 100 → ${e.code ?? e.name}: ${terminalSafe(e.message, MAX_ERROR_MESSAGE)}`);
    }
    out(`pool: after the runaway, add(40, 2) = ${String(await pool.call('add', 'add', 40, 2))}`);

    const after = await pool.profile();
    out(`pool: workers ${after.workers.threads}, restarts ${after.workers.restarts}, crashes ${after.workers.crashes}`);
    return profile;
  } finally {
    await pool.close({ cancel: true });
  }
}

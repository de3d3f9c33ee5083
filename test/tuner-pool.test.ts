import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { startTuner } from '../src/tuner/apply.js';
import { tuneOffline } from '../src/tuner/offline.js';
import { guestPath } from './helpers/guests.js';

let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

describe('the tuner on a real pool (bounded time)', () => {
  it('runs trials while the pool serves: no call lost or wrong, every change logged by the tuner, the log in profile()', async () => {
    pool = await createPool({ modules: { add: guestPath('add') }, threads: 2, minThreads: 1, maxThreads: 3 });
    await pool.ready();
    const tuner = startTuner(pool, { objective: { kind: 'throughput', p99BoundMs: 1000 }, epochMs: 30, epochCalls: 20, pairs: 2, stableEpochs: 2, cooldownEpochs: 1, loadTolerance: 10 });
    let wrong = 0;
    let answered = 0;
    // Until two trials have concluded, and at most 10 s (a starved machine serves slowly).
    const deadline = performance.now() + 10_000;
    const running = (): boolean => tuner.log().trials.length < 2 && performance.now() < deadline;
    await Promise.all(
      Array.from({ length: 32 }, async (_, lane) => {
        for (let i = 0; running(); i++) {
          if ((await pool!.call('add', 'add', lane, i)) !== lane + i) wrong++;
          answered++;
        }
      }),
    );
    const log = await tuner.stop();
    expect(wrong).toBe(0);
    expect(log.mode).toBe('live');
    expect(log.trials.length).toBeGreaterThan(0);
    for (const trial of log.trials) {
      expect(['accepted', 'rejected', 'reverted', 'abandoned']).toContain(trial.decision);
      expect(trial.reason.length).toBeGreaterThan(0);
      // Arms alternate epoch by epoch.
      trial.epochs.forEach((e, i) => i > 0 && expect(e.arm).not.toBe(trial.epochs[i - 1]!.arm));
      if (trial.figures !== undefined) expect(trial.figures.ratio.low).toBeLessThanOrEqual(trial.figures.ratio.high);
    }
    const profile = await pool.profile();
    expect(profile.tuning).toEqual(log);
    // The pool is left at the incumbent, and every change the tuner made is in the pool's log.
    expect(profile.settings).toMatchObject(tuner.settings);
    const byTuner = profile.settingChanges.filter((c) => c.by === 'tuner');
    expect(byTuner.length).toBeGreaterThanOrEqual(log.trials.filter((t) => t.epochs.some((e) => e.arm === 'candidate')).length);
    expect(profile.modules['add']!.exports.find((e) => e.name === 'add')!.calls).toBe(answered);
  }, 30_000);

  it('offline: a workload at a fixed concurrency for a fixed time, and the recommendation with its evidence', async () => {
    const result = await tuneOffline({ source: guestPath('add'), exportName: 'add', args: [1, 2], concurrency: 8, durationMs: 1500, maxThreads: 3, ringSizes: [4 * 1024 * 1024, 1024 * 1024], tuner: { epochMs: 40, epochCalls: 50, pairs: 2, stableEpochs: 2, loadTolerance: 10 } });
    expect(result.start).toEqual({ threads: 2, callerSpinMicros: 20, workerSpin: 2000, wakeBatch: 64, ringBytes: 4 * 1024 * 1024 });
    // Ring sizes, which a running pool cannot change, were compared on pools of their own.
    const rings = result.log.trials.filter((t) => t.setting === 'ringBytes');
    expect(rings.map((t) => [t.incumbent, t.candidate])).toEqual([[4 * 1024 * 1024, 1024 * 1024]]);
    for (const t of rings) expect(t.epochs.filter((e) => e.arm === 'candidate')).toHaveLength(5);
    expect([4 * 1024 * 1024, 1024 * 1024]).toContain(result.recommended.ringBytes);
    expect(result.failures).toBe(0);
    expect(result.calls).toBeGreaterThan(100);
    expect(result.log.trials.length).toBeGreaterThan(0);
    expect(result.recommended.threads).toBeGreaterThanOrEqual(1);
    expect(result.recommended.threads).toBeLessThanOrEqual(3);
    for (const finding of result.findings) expect(finding).toMatchObject({ id: 'pool-setting', category: 'pool', confidence: { kind: 'interval' } });
  }, 20_000);

  it('wasm-sandbox tune prints the recommendation and the trial log; bad flags fail with a message', () => {
    const run = spawnSync(process.execPath, [CLI, 'tune', guestPath('add'), 'add', '1', '2', '--concurrency', '8', '--duration', '1.5', '--max-threads', '3'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/calls \(0 failed\) at concurrency 8 for 1.5 s/);
    expect(run.stdout).toMatch(/setting\s+start\s+recommended/);
    expect(run.stdout).toMatch(/ringBytes\s+4194304/);
    expect(run.stdout).toMatch(/tuner \(live\): maximise throughput, p99 ≤ 100 ms/);
    const bad = spawnSync(process.execPath, [CLI, 'tune', guestPath('add'), 'add', '1', '2', '--objective', 'speed'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('ERR_WASM_ARGUMENT: --objective must be throughput or cpu, got "speed"\n');
  }, 30_000);
});

/**
 * The offline mode (`wasm-sandbox tune`): runs a workload through a pool at a fixed concurrency
 * for a fixed time, with the tuner searching the live settings meanwhile, and returns what it
 * recommends with its evidence. The load is closed-loop: `concurrency` callers, each making its
 * next call when the last one settles.
 */
import { cpus } from 'node:os';
import type { Finding } from '../profiler/model/finding.js';
import type { LiveSettings, TuningLog } from '../profiler/model/tuning.js';
import { createPool, type CallOptions, type PoolModuleOptions } from '../pool/pool.js';
import { startTuner, type TunerOptions } from './apply.js';
import type { Objective } from './objective.js';

export interface OfflineTuneOptions {
  readonly source: PoolModuleOptions['source'];
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly signature?: NonNullable<CallOptions['signature']>;
  readonly concurrency: number;
  readonly durationMs: number;
  /** @default maximise throughput with p99 ≤ 100 ms */
  readonly objective?: Objective;
  /** Upper bound of the thread count searched. @default twice the cores, at least 2 */
  readonly maxThreads?: number;
  /** Controller settings (epoch sizes, dead band, seed…). */
  readonly tuner?: Omit<TunerOptions, 'objective'>;
}

export interface OfflineTuneResult {
  readonly start: LiveSettings;
  readonly recommended: LiveSettings;
  readonly log: TuningLog;
  readonly findings: readonly Finding[];
  readonly calls: number;
  readonly failures: number;
}

export const OFFLINE_DEFAULTS = { objective: { kind: 'throughput', p99BoundMs: 100 } } as const satisfies Partial<OfflineTuneOptions>;

export async function tuneOffline(options: OfflineTuneOptions): Promise<OfflineTuneResult> {
  if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1)) throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  if (!(options.durationMs > 0)) throw new RangeError(`duration must be positive, got ${options.durationMs} ms`);
  const maxThreads = options.maxThreads ?? Math.max(2, 2 * cpus().length);
  const pool = await createPool({ modules: { guest: options.source }, minThreads: 1, maxThreads });
  try {
    await pool.ready();
    const start = pool.settings();
    const call = options.signature === undefined
      ? () => pool.invoke('guest', options.exportName, options.args)
      : () => pool.invoke('guest', options.exportName, options.args, { signature: options.signature! });
    // One call first: a workload that fails at once fails the command, not every epoch.
    await call();
    const tuner = startTuner(pool, { ...options.tuner, objective: options.objective ?? OFFLINE_DEFAULTS.objective });
    const until = performance.now() + options.durationMs;
    let calls = 0;
    let failures = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          try {
            await call();
          } catch {
            failures++;
          }
          calls++;
        }
      }),
    );
    const log = await tuner.stop();
    return { start: pick(start), recommended: tuner.settings, log, findings: tuner.findings(), calls, failures };
  } finally {
    await pool.close();
  }
}

function pick(s: LiveSettings): LiveSettings {
  return { threads: s.threads, callerSpinMicros: s.callerSpinMicros, workerSpin: s.workerSpin, wakeBatch: s.wakeBatch };
}

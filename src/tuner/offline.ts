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
import { TUNER_DEFAULTS } from './decide.js';
import { tuningFindings } from './findings.js';
import { searchRingSizes } from './ring-search.js';
import type { Objective } from './objective.js';

export interface OfflineTuneOptions {
  /** The guest: a source, or a source with its pool module options (imports, unknownImports, …). */
  readonly source: PoolModuleOptions['source'] | PoolModuleOptions;
  /** The module's id in the pools it runs on (an imports module's function receives it). @default 'guest' */
  readonly moduleId?: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly signature?: NonNullable<CallOptions['signature']>;
  readonly concurrency: number;
  readonly durationMs: number;
  /** @default maximise throughput with p99 ≤ 100 ms */
  readonly objective?: Objective;
  /** Upper bound of the thread count searched. @default twice the cores, at least 2 */
  readonly maxThreads?: number;
  /**
   * Ring sizes to compare after the live search, on pools of their own (a running pool cannot
   * change its rings); the first is the incumbent. [] skips it. @default [4 MiB, 1 MiB, 16 MiB]
   */
  readonly ringSizes?: readonly number[];
  /** Controller settings (epoch sizes, dead band, seed…). */
  readonly tuner?: Omit<TunerOptions, 'objective'>;
}

export interface OfflineTuneResult {
  readonly start: LiveSettings & { readonly ringBytes: number };
  readonly recommended: LiveSettings & { readonly ringBytes: number };
  readonly log: TuningLog;
  readonly findings: readonly Finding[];
  readonly calls: number;
  readonly failures: number;
}

export const OFFLINE_DEFAULTS = {
  objective: { kind: 'throughput', p99BoundMs: 100 },
  ringSizes: [4 * 1024 * 1024, 1024 * 1024, 16 * 1024 * 1024],
  /** Share of the duration the live search takes; the ring comparison has the rest. */
  liveShare: 0.7,
} as const satisfies Partial<OfflineTuneOptions> & { liveShare: number };

export async function tuneOffline(options: OfflineTuneOptions): Promise<OfflineTuneResult> {
  if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1)) throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  if (!(options.durationMs > 0)) throw new RangeError(`duration must be positive, got ${options.durationMs} ms`);
  const maxThreads = options.maxThreads ?? Math.max(2, 2 * cpus().length);
  const id = options.moduleId ?? 'guest';
  const pool = await createPool({ modules: { [id]: options.source }, minThreads: 1, maxThreads });
  try {
    await pool.ready();
    const start = pool.settings();
    const call = options.signature === undefined
      ? () => pool.invoke(id, options.exportName, options.args)
      : () => pool.invoke(id, options.exportName, options.args, { signature: options.signature! });
    // One call first: a workload that fails at once fails the command, not every epoch.
    await call();
    const objective = options.objective ?? OFFLINE_DEFAULTS.objective;
    const ringSizes = options.ringSizes ?? OFFLINE_DEFAULTS.ringSizes;
    const liveMs = ringSizes.length < 2 ? options.durationMs : options.durationMs * OFFLINE_DEFAULTS.liveShare;
    const tuner = startTuner(pool, { ...options.tuner, objective });
    const until = performance.now() + liveMs;
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
    const live = await tuner.stop();
    await pool.close();
    let log = live;
    let ringBytes = start.ringBytes;
    if (ringSizes.length >= 2) {
      const rounds = TUNER_DEFAULTS.pairs;
      const rings = await searchRingSizes({
        source: options.source,
        moduleId: id,
        call: options.signature === undefined ? (p) => p.invoke(id, options.exportName, options.args) : (p) => p.invoke(id, options.exportName, options.args, { signature: options.signature! }),
        sizes: ringSizes,
        settings: tuner.settings,
        maxThreads,
        concurrency: options.concurrency,
        objective,
        windowMs: Math.max(20, (options.durationMs - liveMs) / (rounds * ringSizes.length)),
        rounds,
        firstId: (live.trials.at(-1)?.id ?? 0) + 1,
      });
      ringBytes = rings.ringBytes;
      log = { ...live, trials: [...live.trials, ...rings.trials] };
    }
    return { start: { ...pick(start), ringBytes: start.ringBytes }, recommended: { ...tuner.settings, ringBytes }, log, findings: tuningFindings(log), calls, failures };
  } finally {
    await pool.close();
  }
}

function pick(s: LiveSettings): LiveSettings {
  return { threads: s.threads, callerSpinMicros: s.callerSpinMicros, workerSpin: s.workerSpin, wakeBatch: s.wakeBatch };
}

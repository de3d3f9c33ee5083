/**
 * Ring size, the one setting a running pool cannot change (a ring cannot be resized under its
 * worker): the offline mode compares it across pools instead. One pool per candidate size, all
 * at the live settings already chosen, serve the same closed-loop load in turn — windows
 * interleaved round-robin, the order rotating each round — and each candidate is judged against
 * the default size as a live trial is: Mann–Whitney and the ratio interval beyond the dead band,
 * the p99 bound as a guard.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { compareSamples, decideVerdict } from '../profiler/compare/statistics.js';
import { createLatencyHistogram, releaseHistogram } from '../profiler/build/latency-histogram.js';
import type { EpochFigures, LiveSettings, TrialRecord } from '../profiler/model/tuning.js';
import { createPool, type PoolModuleOptions, type WasmPool } from '../pool/pool.js';
import { TUNER_DEFAULTS } from './decide.js';
import { better, guardBreach, objectiveFigure, type Objective } from './objective.js';

export interface RingSearchOptions {
  /** The guest: a source, or a source with its pool module options (imports, unknownImports, …). */
  readonly source: PoolModuleOptions['source'] | PoolModuleOptions;
  /** The module's id in each pool. @default 'guest' */
  readonly moduleId?: string;
  /** One call of the workload on `pool` (module id `moduleId`). */
  readonly call: (pool: WasmPool) => Promise<unknown>;
  /** Ring sizes to compare; the first is the incumbent. */
  readonly sizes: readonly number[];
  readonly settings: LiveSettings;
  readonly maxThreads: number;
  readonly concurrency: number;
  readonly objective: Objective;
  readonly windowMs: number;
  /** @default 5 */
  readonly rounds?: number;
  /** First trial id in the log. */
  readonly firstId: number;
}

async function window(pool: WasmPool, options: RingSearchOptions, arm: EpochFigures['arm']): Promise<EpochFigures> {
  const histogram = createLatencyHistogram();
  const cpu = cpuUsage();
  const start = performance.now();
  const until = start + options.windowMs;
  let calls = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await options.call(pool);
        } catch {
          errors++;
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = cpuUsage(cpu);
  const figures: EpochFigures = {
    arm, calls, seconds, throughput: calls / seconds, arrivalRate: calls / seconds,
    p50Ms: histogram.getValueAtPercentile(50) / 1e6, p99Ms: histogram.getValueAtPercentile(99) / 1e6,
    cpuMicrosPerCall: (used.user + used.system) / Math.max(1, calls), errors, deadlineMisses: 0,
    rssBytes: memoryUsage.rss(), idleShare: 0, outstanding: options.concurrency,
  };
  releaseHistogram(histogram);
  return figures;
}

/** Compares ring sizes on pools of their own; returns the size to keep and a trial per candidate. */
export async function searchRingSizes(options: RingSearchOptions): Promise<{ readonly ringBytes: number; readonly trials: TrialRecord[] }> {
  const rounds = options.rounds ?? TUNER_DEFAULTS.pairs;
  const pools: WasmPool[] = [];
  try {
    for (const ringBytes of options.sizes) {
      const pool = await createPool({ modules: { [options.moduleId ?? 'guest']: options.source }, ringBytes, minThreads: 1, maxThreads: options.maxThreads, threads: options.settings.threads });
      await pool.configure({ callerSpinMicros: options.settings.callerSpinMicros, workerSpin: options.settings.workerSpin, wakeBatch: options.settings.wakeBatch }, 'tuner');
      await pool.ready();
      await options.call(pool);
      pools.push(pool);
    }
    const epochs: EpochFigures[][] = pools.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < pools.length; k++) {
        const i = (k + round) % pools.length;
        epochs[i]!.push(await window(pools[i]!, options, i === 0 ? 'incumbent' : 'candidate'));
      }
    }
    const incumbent = epochs[0]!;
    const a = incumbent.map((e) => objectiveFigure(options.objective, e));
    const trials: TrialRecord[] = [];
    let kept = options.sizes[0]!;
    let keptRatio = 1;
    for (let i = 1; i < pools.length; i++) {
      const candidate = epochs[i]!;
      const base = { id: options.firstId + i - 1, setting: 'ringBytes' as const, incumbent: options.sizes[0]!, candidate: options.sizes[i]!, epochs: [...incumbent, ...candidate] };
      const breach = candidate.map((e) => guardBreach(options.objective, e, incumbent)).find((b) => b !== undefined);
      if (breach !== undefined) {
        trials.push({ ...base, decision: 'reverted', reason: `guard breached on a candidate window: ${breach}` });
        continue;
      }
      const cmp = compareSamples(a, candidate.map((e) => objectiveFigure(options.objective, e)), { seed: base.id });
      const ratio = cmp.ratio ?? { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, confidence: 0.95 };
      const verdict = decideVerdict({ p: cmp.test.p, ratioLow: ratio.low, ratioHigh: ratio.high, threshold: TUNER_DEFAULTS.threshold, alpha: TUNER_DEFAULTS.alpha, better: better(options.objective) });
      const change = `${((ratio.estimate - 1) * 100).toFixed(1)} % [${((ratio.low - 1) * 100).toFixed(1)} %, ${((ratio.high - 1) * 100).toFixed(1)} %], p = ${cmp.test.p.toPrecision(2)}`;
      const figures = {
        incumbent: { estimate: cmp.before.median, low: cmp.before.low, high: cmp.before.high, level: cmp.before.confidence },
        candidate: { estimate: cmp.after.median, low: cmp.after.low, high: cmp.after.high, level: cmp.after.confidence },
        ratio: { estimate: ratio.estimate, low: ratio.low, high: ratio.high, level: ratio.confidence },
        p: cmp.test.p,
      };
      const improved = verdict.verdict === 'improved';
      const gain = options.objective.kind === 'throughput' ? ratio.estimate : 1 / ratio.estimate;
      if (improved && gain > keptRatio) {
        kept = options.sizes[i]!;
        keptRatio = gain;
      }
      trials.push({
        ...base,
        figures,
        decision: improved ? 'accepted' : 'rejected',
        reason: `ring size on pools of their own, ${rounds} interleaved windows each: ${improved ? 'better' : verdict.verdict === 'regressed' ? 'worse' : 'no significant difference beyond the dead band'}: ${change}`,
      });
    }
    return { ringBytes: kept, trials };
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

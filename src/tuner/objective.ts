/**
 * What the tuner optimises, picked by the user: the most throughput with p99 under a bound, or
 * the least process CPU per call at the offered load with p99 under a bound. Both read one
 * figure per epoch; the guards are the same for both (the p99 bound, errors, deadline misses,
 * memory), checked on every candidate epoch.
 */
import type { EpochFigures } from '../profiler/model/tuning.js';

export type Objective =
  | { readonly kind: 'throughput'; readonly p99BoundMs: number }
  | { readonly kind: 'cpu-per-call'; readonly p99BoundMs: number };

/** The epoch's objective figure and which way is better. */
export function objectiveFigure(objective: Objective, epoch: EpochFigures): number {
  return objective.kind === 'throughput' ? epoch.throughput : epoch.cpuMicrosPerCall;
}

export function better(objective: Objective): 'higher' | 'lower' {
  return objective.kind === 'throughput' ? 'higher' : 'lower';
}

export function describeObjective(objective: Objective): string {
  const bound = `p99 ≤ ${objective.p99BoundMs} ms`;
  return objective.kind === 'throughput' ? `maximise throughput, ${bound}` : `minimise process CPU per call at the offered load, ${bound}`;
}

/** Memory a candidate may add over the incumbent before it is reverted. */
export const MEMORY_GUARD = { share: 0.1, bytes: 16 * 1024 * 1024 } as const;

/**
 * Why a candidate epoch breaches a guard, given the incumbent's epochs of the same trial
 * (undefined: it does not). Errors and deadline misses are compared as rates per call.
 */
export function guardBreach(objective: Objective, candidate: EpochFigures, incumbents: readonly EpochFigures[]): string | undefined {
  if (candidate.p99Ms > objective.p99BoundMs) return `p99 ${round(candidate.p99Ms)} ms over the bound of ${objective.p99BoundMs} ms`;
  const rate = (pick: (e: EpochFigures) => number, epochs: readonly EpochFigures[]): number => {
    const calls = epochs.reduce((n, e) => n + e.calls, 0);
    return calls === 0 ? 0 : epochs.reduce((n, e) => n + pick(e), 0) / calls;
  };
  // One more failure than the incumbent's rate predicts is not noise on a handful of failures.
  const worse = (pick: (e: EpochFigures) => number): boolean => pick(candidate) > rate(pick, incumbents) * candidate.calls + 1;
  if (worse((e) => e.errors)) return `${candidate.errors} errors in ${candidate.calls} calls, more than the incumbent's rate`;
  if (worse((e) => e.deadlineMisses)) return `${candidate.deadlineMisses} deadline misses in ${candidate.calls} calls, more than the incumbent's rate`;
  const rss = incumbents.length === 0 ? candidate.rssBytes : Math.max(...incumbents.map((e) => e.rssBytes));
  if (candidate.rssBytes > rss * (1 + MEMORY_GUARD.share) + MEMORY_GUARD.bytes) {
    return `resident memory ${Math.round(candidate.rssBytes / 2 ** 20)} MiB, over the incumbent's ${Math.round(rss / 2 ** 20)} MiB by more than ${MEMORY_GUARD.share * 100} % + ${MEMORY_GUARD.bytes / 2 ** 20} MiB`;
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * tail-latency: an export's p99 is many times its median → the slow calls are a different kind
 * of call. Names the likely cause where the data shows one: calls that grew memory (growth
 * copies or remaps the heap), waiting in the pool's queue, or pool workers woken from sleep;
 * otherwise says the data does not.
 */
import { quantileInterval } from '../confidence.js';
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Percentiles need calls: fewer timed calls than this and p99 is one or two calls. */
export const MIN_TIMED_CALLS = 100;
/** Fires from p99 = 10 × p50 (score 0.9), high from 50 ×. */
export const TAIL_RATIO_POINTS = { p10: 10, median: 50 } as const;

export const tailLatency: AnalysisRule = {
  id: 'tail-latency',
  category: 'cpu',
  guidanceLevel: 1,
  passedTitle: 'p99 latency stays within 10 × the median',
  run({ modules, pool }) {
    const findings: FindingDraft[] = [];
    // A pool's modules are judged too, with the pool's own evidence (queue wait, wake-ups).
    const judged = [
      ...modules.map((m) => ({ profile: m.profile, poolId: pool === undefined ? undefined : Object.entries(pool.modules).find(([, p]) => p.module.id === m.profile.module.id)?.[0] })),
      ...(pool === undefined ? [] : Object.entries(pool.modules).filter(([, p]) => !modules.some((m) => m.profile.module.id === p.module.id)).map(([id, profile]) => ({ profile, poolId: id as string | undefined }))),
    ];
    const poolCalls = pool === undefined ? 0 : Object.values(pool.modules).reduce((n, p) => n + p.exports.reduce((k, e) => k + e.calls, 0), 0);
    for (const module of judged) {
      const label = module.profile.module.label;
      const queue = module.poolId === undefined ? undefined : pool!.queueWait[module.poolId];
      for (const e of module.profile.exports) {
        const l = e.latency;
        if (l.count < MIN_TIMED_CALLS || l.p50 <= 0) continue;
        const ratio = l.p99 / l.p50;
        if (ratio < TAIL_RATIO_POINTS.p10) continue;
        const { rating, severity } = rate('p99 / p50', ratio, TAIL_RATIO_POINTS);
        const growthShare = e.memory.growthEvents / e.calls;
        const causes: string[] = [];
        // One call in a hundred is the tail: growth in at least half as many calls can fill it.
        if (growthShare >= 0.005) causes.push(`memory grew in ${e.memory.growthEvents} calls (${percent(growthShare)}): raise initial memory`);
        if (queue !== undefined && queue.p99 >= l.p50) causes.push(`pool queue wait p99 ${Math.round(queue.p99)} ns: more threads, or fewer calls in flight`);
        // A worker that slept (its spin found nothing) must be woken for the next call: tens of µs.
        const sleeps = module.poolId === undefined ? 0 : (pool!.spin?.workerEmptyRounds ?? 0);
        if (sleeps > 0 && poolCalls > 0 && sleeps / poolCalls >= 0.005) causes.push(`workers slept ${sleeps} times between calls (${percent(Math.min(1, sleeps / poolCalls))} of calls) and had to be woken: a longer workerSpin, or calls sent in batches`);
        const interval = quantileInterval(l, 0.99);
        const tailNs = (l.p99 - l.p50) * l.count * 0.01;
        findings.push({
          severity,
          rating,
          title: `${shown(e.name)}: p99 ${Math.round(l.p99)} ns is ${ratio.toFixed(0)} × the median`,
          where: { module: label, export: e.name },
          evidence: [
            { label: 'p50', value: l.p50, unit: 'ns' },
            { label: 'p99', value: l.p99, unit: 'ns' },
            { label: 'max', value: l.max, unit: 'ns' },
            { label: 'timed calls', value: l.count, unit: 'calls' },
            { label: 'calls that grew memory', value: e.memory.growthEvents, unit: 'calls' },
            ...(queue === undefined ? [] : [{ label: 'queue wait p99', value: queue.p99, unit: 'ns' }]),
            ...(module.poolId === undefined || pool?.spin === undefined ? [] : [{ label: 'worker sleeps', value: pool.spin.workerEmptyRounds, unit: 'wake-ups' }]),
          ],
          recommendation:
            causes.length > 0
              ? `The slow calls line up with: ${causes.join('; ')}.`
              : `The profile does not show what the slow calls have in common (no memory growth, queue wait or wake-ups): profile them alone (--mode sampling, --repeat) and compare their inputs; garbage collection in the guest or the host is a common cause.`,
          saving: { value: tailNs, unit: 'ns', share: l.mean <= 0 ? 0 : Math.min(1, tailNs / (l.mean * l.count)), how: 'the slowest 1 % of calls brought down to the median: (p99 − p50) × 1 % of calls, over total time' },
          confidence: interval.kind === 'interval' ? { ...interval, low: interval.low / l.p50, high: interval.high / l.p50 } : interval,
        });
      }
    }
    return ran(findings);
  },
};

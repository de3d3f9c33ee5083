/**
 * pool-queue-wait: calls wait in the pool's queue longer than they run → the pool has too few
 * threads for the load (or callers keep too many calls in flight): raise `threads` up to the
 * cores free for it. Compares medians (the wait's, the calls' merged over exports).
 */
import { mergeLatency } from '../../build/latency-histogram.js';
import { quantileInterval } from '../confidence.js';
import { shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires when the median wait equals the median run (score 0.9), high from 4 ×. */
export const QUEUE_WAIT_POINTS = { p10: 1, median: 4 } as const;

export const poolQueueWait: AnalysisRule = {
  id: 'pool-queue-wait',
  category: 'pool',
  guidanceLevel: 2,
  passedTitle: 'Calls run longer than they wait in the pool queue',
  run({ pool }) {
    if (pool === undefined) return skipped('no pool profile: the calls did not run on a worker pool');
    const findings: FindingDraft[] = [];
    for (const [id, wait] of Object.entries(pool.queueWait)) {
      const module = pool.modules[id];
      if (module === undefined || wait.count === 0) continue;
      const run = mergeLatency(module.exports.map((e) => e.latency));
      if (run.count === 0 || run.p50 <= 0) continue;
      const ratio = wait.p50 / run.p50;
      if (ratio < QUEUE_WAIT_POINTS.p10) continue;
      const { rating, severity } = rate('median wait / median run', ratio, QUEUE_WAIT_POINTS);
      const interval = quantileInterval(wait, 0.5);
      const calls = module.exports.reduce((n, e) => n + e.calls, 0);
      findings.push({
        severity,
        rating,
        title: `Pool module ${shown(id)}: calls wait ${ratio.toFixed(1)} × as long in the queue as they run`,
        where: { module: module.module.label },
        evidence: [
          { label: 'queue wait p50', value: wait.p50, unit: 'ns' },
          { label: 'queue wait p99', value: wait.p99, unit: 'ns' },
          { label: 'run p50', value: run.p50, unit: 'ns' },
          { label: 'threads', value: pool.workers.threads, unit: 'threads' },
        ],
        recommendation: `Give the pool more threads (now ${pool.workers.threads}) up to the cores free for it, or keep fewer calls in flight per caller: the wait is time no worker was free.`,
        saving: { value: wait.mean * calls, unit: 'ns', share: wait.mean / (wait.mean + run.mean), how: 'mean queue wait × calls, summed over calls (waits in flight together overlap: not wall time); share: wait over wait + run' },
        confidence: interval.kind === 'interval' ? { ...interval, low: interval.low / run.p50, high: interval.high / run.p50 } : interval,
      });
    }
    return ran(findings);
  },
};

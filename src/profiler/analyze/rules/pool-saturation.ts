/**
 * pool-saturation: the pool refused calls because its queue was full (ERR_POOL_SATURATED) →
 * the load is more than the pool absorbs: more threads, a larger `maxQueue` for bursts, or
 * back-pressure in the caller. Counts are exact.
 */
import { EXACT, } from '../confidence.js';
import { percent } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule } from '../rule.js';

/** Any refusal fires; medium from 0.1 % of calls (score 0.9), high from 1 %. */
export const SATURATION_POINTS = { p10: 0.001, median: 0.01 } as const;

export const poolSaturation: AnalysisRule = {
  id: 'pool-saturation',
  category: 'pool',
  guidanceLevel: 2,
  passedTitle: 'The pool refused no call',
  run({ pool }) {
    if (pool === undefined) return skipped('no pool profile: the calls did not run on a worker pool');
    if (pool.saturated === undefined) return skipped('the pool profile predates refusal counts');
    const refused = pool.saturated;
    if (refused === 0) return ran([]);
    const served = Object.values(pool.modules).reduce((n, m) => n + m.exports.reduce((k, e) => k + e.calls, 0), 0);
    const share = refused / (refused + served);
    const { rating, severity } = rate('refused share of calls', share, SATURATION_POINTS);
    return ran([
      {
        severity: severity === 'low' ? 'medium' : severity,
        rating,
        title: `The pool refused ${refused} calls (${percent(share)}): its queue was full`,
        where: {},
        evidence: [
          { label: 'refused', value: refused, unit: 'calls' },
          { label: 'served', value: served, unit: 'calls' },
          { label: 'threads', value: pool.workers.threads, unit: 'threads' },
        ],
        recommendation: `Match the load to the pool: more threads (now ${pool.workers.threads}) if cores are free, a larger maxQueue if the load comes in bursts, or make callers wait for a slot (back-pressure) instead of retrying at once.`,
        saving: { value: refused, unit: 'calls', share, how: 'refused calls over calls offered' },
        confidence: EXACT,
      },
    ]);
  },
};

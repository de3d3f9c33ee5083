/**
 * pool-spinning: workers (or the caller) keep spinning on empty rings — burning a core for
 * nothing — because calls come too sparsely for a spin to catch the next one → lower
 * `workerSpin` (0: sleep at once) and `callerSpinMicros`; spinning pays only when calls follow
 * each other within the spin. Rounds are counted exactly by the pool.
 */
import { EXACT } from '../confidence.js';
import { percent } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fewer spins than this are too few to judge. */
export const MIN_SPIN_ROUNDS = 100;
/** Fires when half the spins found nothing (score 0.9), high from 90 %. */
export const EMPTY_SPIN_POINTS = { p10: 0.5, median: 0.9 } as const;

export const poolSpinning: AnalysisRule = {
  id: 'pool-spinning',
  category: 'pool',
  guidanceLevel: 3,
  passedTitle: 'Spinning on the rings mostly finds work',
  run({ pool }) {
    if (pool === undefined) return skipped('no pool profile: the calls did not run on a worker pool');
    const spin = pool.spin;
    if (spin === undefined) return skipped('the pool profile predates spin counts');
    const findings: FindingDraft[] = [];
    const sides = [
      { who: 'workers', burn: 'burn', rounds: spin.workerRounds, empty: spin.workerEmptyRounds, option: 'workerSpin', value: spin.workerSpin, unit: 'ring polls', cost: spin.workerSpin },
      { who: 'the caller', burn: 'burns', rounds: spin.callerRounds, empty: spin.callerEmptyRounds, option: 'callerSpinMicros', value: spin.callerSpinMicros, unit: 'ns', cost: spin.callerSpinMicros * 1000 },
    ];
    for (const side of sides) {
      if (side.rounds < MIN_SPIN_ROUNDS || side.value === 0) continue;
      const emptyShare = side.empty / side.rounds;
      if (emptyShare < EMPTY_SPIN_POINTS.p10) continue;
      const { rating, severity } = rate('share of spins that found nothing', emptyShare, EMPTY_SPIN_POINTS);
      findings.push({
        severity,
        rating,
        title: `${side.who === 'workers' ? 'Workers' : 'The caller'} spun ${side.rounds} times on an empty ring; ${percent(emptyShare)} of the spins found nothing`,
        where: {},
        evidence: [
          { label: 'spins', value: side.rounds, unit: 'spins' },
          { label: 'spins that found nothing', value: side.empty, unit: 'spins' },
          { label: side.option, value: side.value, unit: side.who === 'workers' ? 'polls' : 'µs' },
        ],
        recommendation: `Lower ${side.option} (now ${side.value}; 0 sleeps at once): calls arrive further apart than the spin lasts, so ${side.who} ${side.burn} a core polling and then ${side.who === 'workers' ? 'sleep' : 'sleeps'} anyway. Spinning pays only for latency-bound callers sending the next call within the spin.`,
        saving: { value: side.empty * side.cost, unit: side.unit, share: emptyShare, how: `spins that found nothing × the spin's length (${side.option}): CPU burnt for no call` },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};

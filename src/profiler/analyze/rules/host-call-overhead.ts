/**
 * host-call-overhead: many short calls, each paying the fixed cost of crossing from the host into
 * the guest, so that the crossing is a large share of their time → batch calls, move the loop
 * into the guest. The yardstick is the latency of an empty export measured the same way.
 */
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, skipped, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fewer calls than this are not "many": batching them saves too little to mention. */
export const MANY_CALLS = 1000;
/** Fires when the crossing is 30 % of a call (score 0.9); high from 60 %. */
export const CALL_OVERHEAD_POINTS = { p10: 0.3, median: 0.6 } as const;

export const hostCallOverhead: AnalysisRule = {
  id: 'host-call-overhead',
  category: 'host-boundary',
  guidanceLevel: 3,
  passedTitle: 'Calls are long enough that crossing into the guest is a small share',
  run({ modules }) {
    const measured = modules.filter((m) => m.callOverheadNs !== undefined);
    if (measured.length === 0) return skipped('the cost of an empty call was not measured beside the profile');
    const findings: FindingDraft[] = [];
    for (const module of measured) {
      const perCall = module.callOverheadNs!;
      for (const e of module.profile.exports) {
        if (e.calls < MANY_CALLS || e.latency.count === 0 || e.latency.p50 <= 0) continue;
        // The yardstick is measured once per process and can read above a real call's median
        // (a noisy moment, a call path V8 optimised for other exports): a call cannot save more
        // than its own time, so the crossing counted is at most the median call.
        const crossing = Math.min(perCall, e.latency.p50);
        const share = crossing / e.latency.p50;
        if (share < CALL_OVERHEAD_POINTS.p10) continue;
        const { rating, severity } = rate('crossing share of the median call', share, CALL_OVERHEAD_POINTS);
        const label = module.profile.module.label;
        const savingNs = crossing * e.calls;
        const whole = perCall >= e.latency.p50 ? `no longer than an empty call (${Math.round(perCall)} ns): all of each is` : `${percent(share)} of each is`;
        findings.push({
          severity,
          rating,
          title: `${shown(e.name)}: ${e.calls.toLocaleString('en-US')} calls of ${Math.round(e.latency.p50)} ns, ${whole} the crossing into the guest`,
          where: { module: label, export: e.name },
          evidence: [
            { label: 'calls', value: e.calls, unit: 'calls' },
            { label: 'median call', value: e.latency.p50, unit: 'ns' },
            { label: 'empty call (same measure)', value: perCall, unit: 'ns' },
          ],
          recommendation: `Batch the work: call ${shown(e.name)} once with many items (an array argument) and loop inside the guest, instead of ${e.calls.toLocaleString('en-US')} calls that each pay ${perCall >= e.latency.p50 ? 'about' : ''}${perCall >= e.latency.p50 ? ' ' : ''}${Math.round(crossing)} ns to cross.`,
          saving: { value: savingNs, unit: 'ns', share, how: 'calls × the cost of an empty call (at most the median call): what folding them into one call saves' },
          // The median call against its 90th percentile: how far the share can move.
          confidence: { kind: 'interval', low: Math.min(1, perCall / Math.max(e.latency.p90, e.latency.p50)), high: share, level: 0.8 },
        });
      }
    }
    return ran(findings);
  },
};

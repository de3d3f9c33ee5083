/**
 * error-rate: more than 1 % of an export's calls fail → fix the inputs or the guest; every
 * failure costs a call and, for traps, the instance. Counts are exact.
 */
import { EXACT } from '../confidence.js';
import { everyExport, failedCalls, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires above 1 % (score 0.9), high from 10 %. */
export const ERROR_RATE_POINTS = { p10: 0.01, median: 0.1 } as const;

export const errorRate: AnalysisRule = {
  id: 'error-rate',
  category: 'errors',
  passedTitle: 'No export fails more than 1 % of its calls',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const { module, e } of everyExport(modules)) {
      const failed = failedCalls(e);
      if (e.calls === 0 || failed / e.calls <= ERROR_RATE_POINTS.p10) continue;
      const share = failed / e.calls;
      const { rating, severity } = rate('failed share of calls', share, ERROR_RATE_POINTS);
      const codes = Object.entries(e.errors).sort(([, a], [, b]) => b - a);
      findings.push({
        severity,
        rating,
        title: `${shown(e.name)} failed ${failed} of ${e.calls} calls (${percent(share)})`,
        where: { module: module.profile.module.label, export: e.name },
        evidence: [{ label: 'calls', value: e.calls, unit: 'calls' }, ...codes.map(([code, n]) => ({ label: code, value: n, unit: 'calls' }))],
        recommendation: `Find why ${shown(e.name)} fails (${codes.map(([c]) => c).join(', ')}): check its inputs before calling, or fix the guest path that traps; run with --verbose to see the guest stack of a failure.`,
        saving: { value: failed, unit: 'calls', share, how: 'failed calls over all calls' },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};

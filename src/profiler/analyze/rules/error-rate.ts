/**
 * error-rate: more than 1 % of a module's calls fail → fix the inputs or the guest; every
 * failure costs a call and, for traps, the instance. Calls stopped by a limit are left to
 * limit-exhausted, which says what to do about them. Counts are exact.
 */
import { EXACT } from '../confidence.js';
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';
import { LIMIT_CODES } from './limit-exhausted.js';

/** Fires above 1 % (score 0.9), high from 10 %. */
export const ERROR_RATE_POINTS = { p10: 0.01, median: 0.1 } as const;

export const errorRate: AnalysisRule = {
  id: 'error-rate',
  category: 'errors',
  guidanceLevel: 1,
  passedTitle: 'No module fails more than 1 % of its calls',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const { profile } of modules) {
      const byCode = new Map<string, number>();
      const byExport = new Map<string, number>();
      let calls = 0;
      for (const e of profile.exports) {
        calls += e.calls;
        for (const [code, n] of Object.entries(e.errors)) {
          if (code in LIMIT_CODES) continue;
          byCode.set(code, (byCode.get(code) ?? 0) + n);
          byExport.set(e.name, (byExport.get(e.name) ?? 0) + n);
        }
      }
      const failed = [...byCode.values()].reduce((n, c) => n + c, 0);
      if (calls === 0 || failed / calls <= ERROR_RATE_POINTS.p10) continue;
      const share = failed / calls;
      const { rating, severity } = rate('failed share of calls', share, ERROR_RATE_POINTS);
      const codes = [...byCode.entries()].sort(([, a], [, b]) => b - a);
      const exports = [...byExport.entries()].sort(([, a], [, b]) => b - a);
      const [worst] = exports[0]!;
      const label = profile.module.label;
      findings.push({
        severity,
        rating,
        title: `${shown(label)}: ${failed} of ${calls} calls failed (${percent(share)})${exports.length > 1 ? `, in ${exports.length} exports` : ` in ${shown(worst)}`}`,
        where: { module: label, export: worst },
        evidence: [
          { label: 'calls', value: calls, unit: 'calls' },
          ...codes.map(([code, n]) => ({ label: code, value: n, unit: 'calls' })),
          ...exports.slice(0, 5).map(([name, n]) => ({ label: `failed in ${name}`, value: n, unit: 'calls' })),
        ],
        recommendation: `Find why the calls fail (${codes.map(([c]) => c).join(', ')}; most in ${shown(worst)}): check inputs before calling, or fix the guest path that traps; run with --verbose to see the guest stack of a failure.`,
        saving: { value: failed, unit: 'calls', share, how: 'failed calls over all calls (limit stops excluded: see limit-exhausted)' },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};

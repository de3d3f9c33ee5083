/**
 * limit-exhausted: calls stopped at their deadline, ran out of fuel or hit the memory limit →
 * either the limit is too tight for the work, or the guest loops: raise the limit for this
 * export, or find the loop. Counts are exact.
 */
import { EXACT } from '../confidence.js';
import { everyExport, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

export const LIMIT_CODES: Readonly<Record<string, string>> = {
  ERR_DEADLINE_EXCEEDED: 'deadline',
  ERR_OUT_OF_FUEL: 'fuel',
  ERR_WASM_MEMORY_LIMIT: 'memory limit',
};
/** Any exhaustion fires; medium from 0.1 % of calls (score 0.9), high from 1 %. */
export const LIMIT_EXHAUSTED_POINTS = { p10: 0.001, median: 0.01 } as const;

export const limitExhausted: AnalysisRule = {
  id: 'limit-exhausted',
  category: 'limits',
  guidanceLevel: 1,
  passedTitle: 'No call ran out of time, fuel or memory',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const { module, e } of everyExport(modules)) {
      const hit = Object.entries(LIMIT_CODES).filter(([code]) => (e.errors[code] ?? 0) > 0);
      if (hit.length === 0) continue;
      const stopped = hit.reduce((n, [code]) => n + e.errors[code]!, 0);
      const share = stopped / e.calls;
      const { rating, severity } = rate('share of calls stopped by a limit', share, LIMIT_EXHAUSTED_POINTS);
      const kinds = hit.map(([, kind]) => kind).join(' and ');
      findings.push({
        severity: severity === 'low' ? 'medium' : severity,
        rating,
        title: `${shown(e.name)}: ${stopped} of ${e.calls} calls stopped by the ${kinds} (${percent(share)})`,
        where: { module: module.profile.module.label, export: e.name },
        evidence: hit.map(([code]) => ({ label: code, value: e.errors[code]!, unit: 'calls' })),
        recommendation: `Decide whether the ${kinds} is too tight for ${shown(e.name)} or the guest runs away: profile one stopped call with --mode instructions to see where it spends its budget; raise the limit for this export only if the work is legitimate.`,
        saving: { value: stopped, unit: 'calls', share, how: 'calls stopped by a limit over all calls: work done and thrown away' },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};

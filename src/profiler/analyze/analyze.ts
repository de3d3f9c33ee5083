/**
 * Runs the rules over a profile and ranks what they found: score = saving share × confidence
 * weight (docs/analysis.md). Rules that ran and found nothing are listed as passed; rules whose
 * data was missing as skipped, with the reason.
 */
import { ANALYSIS_SCHEMA, type AnalysisReport, type Finding, type Severity } from '../model/finding.js';
import { confidenceWeight } from './confidence.js';
import type { AnalysisInput, AnalysisRule } from './rule.js';
import { DEFAULT_RULES } from './rules/index.js';

const SEVERITY_ORDER: readonly Severity[] = ['high', 'medium', 'low', 'info'];

export function analyze(input: AnalysisInput, rules: readonly AnalysisRule[] = DEFAULT_RULES): AnalysisReport {
  const findings: Finding[] = [];
  const passed: { id: string; title: string }[] = [];
  const skippedRules: { id: string; title: string; reason: string }[] = [];
  for (const rule of rules) {
    const outcome = rule.run(input);
    if (outcome.state === 'skipped') {
      skippedRules.push({ id: rule.id, title: rule.passedTitle, reason: outcome.reason });
      continue;
    }
    if (outcome.findings.length === 0) passed.push({ id: rule.id, title: rule.passedTitle });
    for (const draft of outcome.findings) {
      const score = (draft.saving.share ?? 0) * confidenceWeight(draft.confidence);
      findings.push({ ...draft, id: rule.id, category: rule.category, score, guidanceLevel: rule.guidanceLevel, readMore: `docs/analysis.md#${rule.id}` });
    }
  }
  findings.sort((a, b) => b.score - a.score || SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { schema: ANALYSIS_SCHEMA, findings, passed, skipped: skippedRules };
}

/** Whether any finding is at or above `threshold` (for `--fail-on`). */
export function failsAt(report: AnalysisReport, threshold: Severity): boolean {
  const limit = SEVERITY_ORDER.indexOf(threshold);
  return report.findings.some((f) => SEVERITY_ORDER.indexOf(f.severity) <= limit);
}

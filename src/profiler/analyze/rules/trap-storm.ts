/**
 * trap-storm: an export traps over and over (≥ 100 traps) → stop the calls that trap: a trap
 * discards the instance, so each one also pays a new instantiation, and a storm of them is
 * usually one bad input or a guest bug hit in a loop. Counts are exact.
 */
import { EXACT } from '../confidence.js';
import { everyExport, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Failures that end the guest abruptly (the instance cannot be trusted afterwards). */
export const TRAP_CODES: readonly string[] = ['ERR_WASM_TRAP', 'ERR_GUEST_ABORT', 'ERR_GUEST_EXCEPTION'];
/** Fires from 100 traps (score 0.9), high from 10,000. */
export const TRAP_STORM_POINTS = { p10: 100, median: 10_000 } as const;

export const trapStorm: AnalysisRule = {
  id: 'trap-storm',
  category: 'errors',
  guidanceLevel: 1,
  passedTitle: 'No export traps in a storm',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const { module, e } of everyExport(modules)) {
      const traps = TRAP_CODES.reduce((n, code) => n + (e.errors[code] ?? 0), 0);
      if (traps < TRAP_STORM_POINTS.p10) continue;
      const { rating, severity } = rate('traps', traps, TRAP_STORM_POINTS);
      findings.push({
        severity,
        rating,
        title: `${shown(e.name)} trapped ${traps} times (${percent(traps / e.calls)} of its calls)`,
        where: { module: module.profile.module.label, export: e.name },
        evidence: TRAP_CODES.filter((c) => (e.errors[c] ?? 0) > 0).map((c) => ({ label: c, value: e.errors[c]!, unit: 'calls' })),
        recommendation: `Stop the storm at its source: validate what is passed to ${shown(e.name)} before the call, or fix the guest path that traps (--verbose prints its guest stack). Each trap also discards the instance, so the next call pays an instantiation.`,
        saving: { value: traps, unit: 'calls', share: traps / e.calls, how: 'trapped calls over all calls (each also pays a re-instantiation)' },
        confidence: EXACT,
      });
    }
    return ran(findings);
  },
};

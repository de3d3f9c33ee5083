/**
 * limit-approached: calls come within 20 % of a limit — p99 latency against the deadline, the
 * instructions a call executes against its fuel, peak memory against the memory limit — so that
 * a slightly larger input will be stopped → raise the limit ahead of time, or make the work
 * smaller. Instructions use the p99 of every call's count when the profile has their histogram
 * (fuel-instrumented modules), else the mean (exact, and at most the p99).
 */
import { EXACT, quantileInterval } from '../confidence.js';
import { PAGE_BYTES, percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires at 80 % of a limit (score 0.9), high from 95 %. */
export const LIMIT_USE_POINTS = { p10: 0.8, median: 0.95 } as const;

export const limitApproached: AnalysisRule = {
  id: 'limit-approached',
  category: 'limits',
  guidanceLevel: 2,
  passedTitle: 'Calls stay clear of their time, fuel and memory limits',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const module of modules) {
      const { profile, limits } = module;
      const label = profile.module.label;
      const push = (use: number, what: string, exportName: string | undefined, evidence: FindingDraft['evidence'], advice: string, confidence: FindingDraft['confidence']): void => {
        const { rating, severity } = rate(`share of the ${what} used`, use, LIMIT_USE_POINTS);
        findings.push({
          severity,
          rating,
          title: `${exportName === undefined ? shown(label) : shown(exportName)} uses ${percent(use)} of its ${what}`,
          where: { module: label, ...(exportName === undefined ? {} : { export: exportName }) },
          evidence,
          recommendation: advice,
          saving: { value: use * 100, unit: '% of the limit', share: Math.min(1, use), how: `how close the ${what} is: a slightly larger input is stopped` },
          confidence,
        });
      };
      for (const e of profile.exports) {
        // Calls already stopped by a limit are limit-exhausted's, not "approaching".
        if (limits?.timeoutMs !== undefined && e.latency.count > 0 && (e.errors['ERR_DEADLINE_EXCEEDED'] ?? 0) === 0) {
          const limitNs = limits.timeoutMs * 1e6;
          const use = e.latency.p99 / limitNs;
          if (use >= LIMIT_USE_POINTS.p10) {
            const interval = quantileInterval(e.latency, 0.99);
            push(use, 'deadline', e.name, [{ label: 'p99 latency', value: e.latency.p99, unit: 'ns' }, { label: 'deadline', value: limitNs, unit: 'ns' }],
              `Raise the deadline of ${shown(e.name)} above ${limits.timeoutMs} ms before inputs grow, or bound the work per call (split it into several calls).`,
              interval.kind === 'interval' ? { ...interval, low: interval.low / limitNs, high: interval.high / limitNs } : interval);
          }
        }
        if (limits?.fuel !== undefined && e.calls > 0 && e.instructions > 0 && (e.errors['ERR_OUT_OF_FUEL'] ?? 0) === 0) {
          const perCall = e.instructionsPerCall;
          const fuel = limits.fuel;
          if (perCall !== undefined && perCall.count > 0) {
            // The p99 of every call's count (HDR histogram: within 0.1 %), with its order-statistic interval.
            // HDR reports a bucket's top value: never more than the largest call counted.
            const p99 = Math.min(perCall.p99, perCall.max);
            const use = p99 / fuel;
            if (use >= LIMIT_USE_POINTS.p10) {
              const interval = quantileInterval({ ...perCall, unit: 'ns' }, 0.99);
              push(use, 'fuel', e.name, [{ label: 'instructions per call (p99)', value: p99, unit: 'instructions' }, { label: 'instructions per call (max)', value: perCall.max, unit: 'instructions' }, { label: 'fuel', value: fuel, unit: 'instructions' }],
                `Raise the fuel of ${shown(e.name)} above ${fuel} instructions, or bound the work per call: one call in a hundred already uses ${percent(use)} of it.`,
                interval.kind === 'interval' ? { ...interval, low: Math.min(interval.low, perCall.max) / fuel, high: Math.min(interval.high, perCall.max) / fuel } : interval);
            }
          } else {
            // An older profile without the distribution: the mean is exact and at most the p99.
            const mean = e.instructions / e.calls;
            const use = mean / fuel;
            if (use >= LIMIT_USE_POINTS.p10) {
              push(use, 'fuel', e.name, [{ label: 'instructions per call (mean)', value: mean, unit: 'instructions' }, { label: 'fuel', value: fuel, unit: 'instructions' }],
                `Raise the fuel of ${shown(e.name)} above ${fuel} instructions, or bound the work per call: the mean call already uses ${percent(use)}, so the largest ones are closer still.`, EXACT);
            }
          }
        }
      }
      const limitBytes = profile.memory.limitPages * PAGE_BYTES;
      const memoryUse = limitBytes === 0 ? 0 : profile.memory.peakBytes / limitBytes;
      if (memoryUse >= LIMIT_USE_POINTS.p10) {
        push(memoryUse, 'memory limit', undefined, [{ label: 'peak memory', value: profile.memory.peakBytes, unit: 'bytes' }, { label: 'memory limit', value: limitBytes, unit: 'bytes' }],
          `Raise the memory limit above ${profile.memory.limitPages} pages, or find what holds the memory (allocation tracker: leak and hot-spot findings).`, EXACT);
      }
    }
    return ran(findings);
  },
};

/**
 * cold-start-compile: compiling the module is most of the time before its first call returned
 * → keep the host (and its module cache) alive between requests, preload modules at start-up,
 * and keep instrumented bytes in the disk cache.
 */
import { percent, shown } from '../facts.js';
import { rate } from '../log-normal-score.js';
import { ran, type AnalysisRule, type FindingDraft } from '../rule.js';

/** Fires from 50 % of the cold start (score 0.9), high from 80 %. */
export const COMPILE_SHARE_POINTS = { p10: 0.5, median: 0.8 } as const;
/** Under 10 ms of compiling (one per process) is not worth a finding, whatever its share. */
export const MIN_COMPILE_MS = 10;
/**
 * A cold start is timed once: no sample to take an interval from. The interval is the ±20 %
 * that compile times move between runs in bench/cold-start (docs/decisions.md).
 */
export const SINGLE_TIMING_SPREAD = 0.2;

export const coldStartCompile: AnalysisRule = {
  id: 'cold-start-compile',
  category: 'cold-start',
  guidanceLevel: 2,
  passedTitle: 'Compiling is not most of the cold start',
  run({ modules }) {
    const findings: FindingDraft[] = [];
    for (const { profile } of modules) {
      const c = profile.coldStart;
      if (c.cache !== 'miss' || c.compileMs < MIN_COMPILE_MS) continue;
      const totalMs = c.readMs + c.hashMs + c.compileMs + (c.instantiateMs ?? 0) + (c.firstCallMs ?? 0);
      const share = c.compileMs / totalMs;
      if (share < COMPILE_SHARE_POINTS.p10) continue;
      const { rating, severity } = rate('compile share of the cold start', share, COMPILE_SHARE_POINTS);
      findings.push({
        severity,
        rating,
        title: `${shown(profile.module.label)}: compiling took ${percent(share)} of its cold start (${c.compileMs.toFixed(1)} ms)`,
        where: { module: profile.module.label },
        evidence: [
          { label: 'compile', value: c.compileMs, unit: 'ms' },
          { label: 'cold start', value: totalMs, unit: 'ms' },
          { label: 'instantiate', value: c.instantiateMs ?? 0, unit: 'ms' },
          { label: 'first call', value: c.firstCallMs ?? 0, unit: 'ms' },
        ],
        recommendation: 'Pay the compile once: keep one WasmHost for the process (its module cache serves later loads), preload the modules at start-up before the first request, and give instrumented loads a disk cache so that restarts skip the rewrite.',
        saving: { value: c.compileMs, unit: 'ms', share, how: 'compile time over the cold start (read + hash + compile + instantiate + first call): what a cache hit saves' },
        confidence: { kind: 'interval', low: share * (1 - SINGLE_TIMING_SPREAD), high: Math.min(1, share * (1 + SINGLE_TIMING_SPREAD)), level: 0.9 },
      });
    }
    return ran(findings);
  },
};

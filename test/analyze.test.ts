/** The analyzer as a whole: Lighthouse's curve, the confidence weights, ranking, passed and skipped rules, --fail-on. */
import { describe, expect, it } from 'vitest';
import { analyze, failsAt } from '../src/profiler/analyze/analyze.js';
import { confidenceWeight, quantileInterval, wilsonInterval } from '../src/profiler/analyze/confidence.js';
import { erfc, logNormalScore, severityFor } from '../src/profiler/analyze/log-normal-score.js';
import { DEFAULT_RULES } from '../src/profiler/analyze/rules/index.js';
import { formatFindings } from '../src/profiler/render/format-findings.js';
import { exportProfile, latencyMix, moduleProfile, treeOf } from './helpers/profiles.js';

describe('log-normal score', () => {
  it('erfc matches math.erfc (CPython) to 1e-7', () => {
    const reference: [number, number][] = [[0, 1], [0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047265], [3, 2.2090496998585438e-5], [-1, 1.842700792949715]];
    for (const [x, y] of reference) expect(Math.abs(erfc(x) - y)).toBeLessThan(1.2e-7 * Math.max(1, y));
  });

  it('scores the control points 0.9 and 0.5 and matches the curve between (LCP points 2500 / 4000, values from CPython)', () => {
    const points = { p10: 2500, median: 4000 };
    expect(logNormalScore(2500, points)).toBeCloseTo(0.9, 6);
    expect(logNormalScore(4000, points)).toBeCloseTo(0.5, 6);
    expect(logNormalScore(3000, points)).toBeCloseTo(0.7836026246249705, 6);
    expect(logNormalScore(5000, points)).toBeCloseTo(0.2714471676933561, 6);
    expect(logNormalScore(10000, points)).toBeCloseTo(0.00623713943807557, 6);
    expect(logNormalScore(1000, points)).toBeCloseTo(0.999921581793547, 6);
    expect(logNormalScore(0, points)).toBe(1);
    expect(() => logNormalScore(1, { p10: 5, median: 5 })).toThrow(RangeError);
    expect([0.2, 0.6, 0.8].map(severityFor)).toEqual(['high', 'medium', 'low']);
  });
});

describe('confidence', () => {
  it('Wilson interval of 8 in 10 is 0.490–0.943 (the textbook value)', () => {
    const c = wilsonInterval(0.8, 10) as { low: number; high: number };
    expect(c.low).toBeCloseTo(0.4902, 4);
    expect(c.high).toBeCloseTo(0.9433, 4);
  });

  it('a percentile interval comes from the ranks around it in the histogram', () => {
    // 1000 calls: 980 at 1 µs, 20 at 100 µs. p99 ranks 990 ± 6.2 all land in the slow calls.
    const c = quantileInterval(latencyMix(1000, 1000, 20, 100_000), 0.99) as { low: number; high: number };
    expect(c.low).toBeGreaterThanOrEqual(99_900);
    expect(c.high).toBeLessThanOrEqual(100_100);
  });

  it('weights: exact 1, interval low/high, p-value 1 − p', () => {
    expect(confidenceWeight({ kind: 'exact' })).toBe(1);
    expect(confidenceWeight({ kind: 'interval', low: 0.4, high: 0.8, level: 0.95 })).toBe(0.5);
    expect(confidenceWeight({ kind: 'p-value', p: 0.01 })).toBe(0.99);
  });
});

describe('analyze', () => {
  const trap = exportProfile('divide', { calls: 100, errors: { ERR_WASM_TRAP: 40 } });
  const spin = exportProfile('spin', { calls: 10, errors: { ERR_DEADLINE_EXCEEDED: 1 } });
  const tree = treeOf('instructions', 'instructions', [['outer', 10, 1, [['kernel', 890, 1], ['other', 100, 1]]]]);
  const report = analyze({ modules: [{ profile: moduleProfile('trap.wasm', { exports: [trap, spin] }), tree }] });

  it('ranks by saving share × confidence, lists passed rules and says which could not run', () => {
    expect(report.findings.map((f) => [f.id, f.score])).toEqual([
      ['hot-function', 0.89],
      ['error-rate', 40 / 110],
      ['limit-exhausted', 0.1],
    ]);
    expect(report.findings[0]!.readMore).toBe('docs/analysis.md#hot-function');
    expect(report.findings.map((f) => f.guidanceLevel)).toEqual([2, 1, 1]);
    expect(report.passed.map((p) => p.id)).toEqual(['host-imports', 'memory-growth', 'cold-start-compile', 'module-cache', 'trap-storm', 'limit-approached', 'tail-latency']);
    expect(report.skipped!.map((s) => s.id)).toEqual(['host-call-overhead', 'allocation-hot-spot', 'leak', 'poor-locality', 'pool-queue-wait', 'pool-saturation', 'pool-spinning']);
    expect(report.findings.length + report.passed.length).toBeGreaterThan(0);
    expect(new Set([...report.passed, ...report.skipped!].map((r) => r.id)).size + new Set(report.findings.map((f) => f.id)).size).toBe(DEFAULT_RULES.length);
  });

  it('--fail-on: high trips on a high finding; a clean profile trips nothing', () => {
    expect(failsAt(report, 'high')).toBe(true);
    const clean = analyze({ modules: [{ profile: moduleProfile('ok.wasm') }] });
    expect(clean.findings).toEqual([]);
    expect(failsAt(clean, 'low')).toBe(false);
  });

  it('prints findings with evidence, advice, saving, confidence, and the passed list; guest text escaped', () => {
    const evil = exportProfile('bad\u001b[31mname', { calls: 10, errors: { ERR_WASM_TRAP: 5 } });
    const text = formatFindings(analyze({ modules: [{ profile: moduleProfile('m.wasm', { exports: [evil] }) }] }));
    expect(text).toContain('1. [high] m.wasm: 5 of 10 calls failed (50 %) in bad\\x1b[31mname  (error-rate, errors)');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('   confidence: exact (counted) · score 0.500');
    expect(text).toContain('  ✓ trap-storm: No export traps in a storm');
    expect(text).toContain('  – poor-locality: no cache simulation: profile with the cache simulator');
  });
});

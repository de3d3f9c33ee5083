import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bootstrapRatioOfMedians, compareExact, decideVerdict, detectableChange, geometricMean, holmBonferroni,
  mannWhitneyU, medianInPlace, medianInterval, smallestPossibleP,
} from '../src/profiler/compare/statistics.js';

interface Fixtures {
  readonly computedWith: string;
  readonly mannWhitney: readonly { a: number[]; b: number[]; method: 'exact' | 'asymptotic'; u: number; p: number }[];
  readonly medianInterval: readonly { x: number[]; median: number; low: number; high: number }[];
  readonly holm: readonly { p: number[]; adjusted: number[] }[];
  readonly geometricMean: readonly { x: number[]; value: number }[];
  readonly bootstrapRatio: readonly { before: number[]; after: number[]; low: number; high: number }[];
}

/** Computed by SciPy: test/fixtures/compare/scipy-statistics.py says how. */
const scipy = JSON.parse(readFileSync(new URL('./fixtures/compare/scipy-statistics.json', import.meta.url), 'utf8')) as Fixtures;

describe('statistics against SciPy 1.17', () => {
  it('was computed by SciPy 1.17', () => expect(scipy.computedWith).toMatch(/^scipy 1\.17\./));

  it.each(scipy.mannWhitney.map((c, i) => [i, c] as const))('Mann–Whitney U case %i: statistic and p-value', (_i, c) => {
    const r = mannWhitneyU(c.a, c.b, { method: c.method });
    expect(r.method).toBe(c.method);
    expect(r.u).toBe(c.u);
    if (c.method === 'exact') expect(r.p).toBeCloseTo(c.p, 12);
    // erfc is Numerical Recipes' (fractional error < 1.2e-7).
    else expect(Math.abs(r.p - c.p)).toBeLessThanOrEqual(2e-7 * c.p + 1e-15);
  });

  it('auto picks exact without ties and small sizes, the normal approximation otherwise', () => {
    const noTies = scipy.mannWhitney.find((c) => c.method === 'exact' && c.a.length === 30)!;
    expect(mannWhitneyU(noTies.a, noTies.b).method).toBe('exact');
    const ties = scipy.mannWhitney.find((c) => c.method === 'asymptotic')!;
    expect(mannWhitneyU(ties.a, ties.b).method).toBe('asymptotic');
    const large = scipy.mannWhitney.find((c) => c.a.length === 80)!;
    expect(mannWhitneyU(large.a, large.b).method).toBe('asymptotic');
    expect(() => mannWhitneyU(ties.a, ties.b, { method: 'exact' })).toThrow(RangeError);
  });

  it.each(scipy.medianInterval.map((c) => [c.x.length, c] as const))('median interval of %i samples equals quantile_test', (_n, c) => {
    const r = medianInterval(c.x);
    expect(r.median).toBe(c.median);
    expect([r.low, r.high]).toEqual([c.low, c.high]);
    expect(r.confidence).toBeGreaterThanOrEqual(0.95);
  });

  it.each(scipy.holm.map((c) => [c.p.join(', '), c] as const))('Holm–Bonferroni of %s', (_label, c) => {
    holmBonferroni(c.p).forEach((p, i) => expect(p).toBeCloseTo(c.adjusted[i]!, 14));
  });

  it.each(scipy.geometricMean.map((c) => [c.x.join(', '), c] as const))('geometric mean of %s', (_label, c) => {
    expect(geometricMean(c.x)).toBeCloseTo(c.value, 12);
  });

  it.each(scipy.bootstrapRatio.map((c, i) => [i, c] as const))('bootstrap ratio interval %i lies within half a percent of SciPy\'s (another generator)', (_i, c) => {
    const r = bootstrapRatioOfMedians(c.before, c.after, { resamples: 20000, seed: 7 });
    expect(Math.abs(r.low / c.low - 1)).toBeLessThan(0.005);
    expect(Math.abs(r.high / c.high - 1)).toBeLessThan(0.005);
  });
});

describe('statistics by hand', () => {
  it('exact Mann–Whitney: complete separation of 5 and 5 gives 2/C(10,5)', () => {
    const r = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r).toEqual({ u: 0, p: 2 / 252, method: 'exact' });
    expect(smallestPossibleP(5, 5)).toBeCloseTo(2 / 252, 15);
    expect(smallestPossibleP(3, 3)).toBeCloseTo(0.1, 15);
  });

  it('medianInPlace (quickselect) agrees with sorting, odd and even sizes, ties included', () => {
    for (let n = 1; n <= 40; n++) {
      const values = Array.from({ length: n }, (_, i) => ((i * 7919) % 13) + (i % 3 === 0 ? 0.5 : 0));
      const sorted = [...values].sort((a, b) => a - b);
      const expected = n % 2 === 1 ? sorted[n >> 1]! : (sorted[(n >> 1) - 1]! + sorted[n >> 1]!) / 2;
      expect(medianInPlace(Float64Array.from(values))).toBe(expected);
    }
  });

  it('every value tied: p = 1', () => {
    expect(mannWhitneyU([3, 3, 3], [3, 3]).p).toBe(1);
  });

  it('median interval: too few samples reach less than the confidence asked for', () => {
    const r = medianInterval([5, 1, 3, 2, 4]);
    expect(r).toEqual({ median: 3, low: 1, high: 5, confidence: 1 - 2 / 32, n: 5 });
    expect(medianInterval([7])).toEqual({ median: 7, low: 7, high: 7, confidence: 0, n: 1 });
  });

  it('Holm: [0.01, 0.04, 0.03, 0.005] → [0.03, 0.06, 0.06, 0.02]', () => {
    holmBonferroni([0.01, 0.04, 0.03, 0.005]).forEach((p, i) => expect(p).toBeCloseTo([0.03, 0.06, 0.06, 0.02][i]!, 15));
  });

  it('bootstrap is seeded: the same inputs and seed give the same interval, another seed another', () => {
    const before = [10, 11, 9, 10.5, 10.2, 9.8, 10.1, 10.4, 9.9, 10.3];
    const after = before.map((v, i) => v * 1.1 + (i % 3) * 0.05);
    const one = bootstrapRatioOfMedians(before, after, { seed: 42 });
    expect(bootstrapRatioOfMedians(before, after, { seed: 42 })).toEqual(one);
    expect(bootstrapRatioOfMedians(before, after, { seed: 43 })).not.toEqual(one);
    expect(one.low).toBeLessThanOrEqual(one.estimate);
    expect(one.high).toBeGreaterThanOrEqual(one.estimate);
  });

  it('verdicts follow criterion.rs: significant and the whole interval beyond the threshold', () => {
    expect(decideVerdict({ p: 0.001, ratioLow: 1.05, ratioHigh: 1.09 })).toEqual({ verdict: 'regressed', significant: true, withinNoise: false });
    expect(decideVerdict({ p: 0.001, ratioLow: 0.9, ratioHigh: 0.95 })).toEqual({ verdict: 'improved', significant: true, withinNoise: false });
    expect(decideVerdict({ p: 0.001, ratioLow: 1.01, ratioHigh: 1.09 })).toEqual({ verdict: 'unchanged', significant: true, withinNoise: true });
    expect(decideVerdict({ p: 0.2, ratioLow: 1.05, ratioHigh: 1.09 })).toEqual({ verdict: 'unchanged', significant: false, withinNoise: false });
    expect(decideVerdict({ p: 0.001, ratioLow: 1.05, ratioHigh: 1.09, better: 'higher' }).verdict).toBe('improved');
    expect(decideVerdict({ p: 0.001, ratioLow: 1.05, ratioHigh: 1.09, threshold: 0.06 }).verdict).toBe('unchanged');
  });

  it('exact metrics: one instruction more is a regression, beyond the gate only past the threshold', () => {
    expect(compareExact(1000, 1001)).toEqual({ verdict: 'regressed', delta: 1, relative: 0.001, beyondThreshold: false });
    expect(compareExact(1000, 1001, { threshold: 0 })).toMatchObject({ verdict: 'regressed', beyondThreshold: true });
    expect(compareExact(1000, 999)).toMatchObject({ verdict: 'improved', delta: -1 });
    expect(compareExact(0, 3)).toEqual({ verdict: 'regressed', delta: 3, relative: undefined, beyondThreshold: true });
    expect(compareExact(7, 7)).toEqual({ verdict: 'unchanged', delta: 0, relative: 0, beyondThreshold: false });
  });

  it('detectable change: none with 3 and 3 samples, the interval half-width otherwise', () => {
    expect(detectableChange(medianInterval([1, 2, 3]), medianInterval([1, 2, 3]))).toBeUndefined();
    const wide = medianInterval([90, 95, 100, 105, 110]);
    expect(detectableChange(wide, medianInterval([100, 100, 100, 100, 100]))).toBeCloseTo(0.1, 12);
  });
});

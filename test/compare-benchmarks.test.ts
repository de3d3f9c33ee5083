import { describe, expect, it } from 'vitest';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { benchCases, type BenchCase } from '../src/profiler/compare/bench-input.js';
import { compareBenchmarks } from '../src/profiler/compare/compare-benchmarks.js';
import { benchGateFailures } from '../src/profiler/compare/regression-gate.js';
import { formatBenchComparison } from '../src/profiler/render/comparison-text.js';
import { CompareInputError } from '../src/errors.js';

/** `n` samples around `center`, ±`spread` relative, from a seeded generator (uniform noise). */
function noisy(n: number, center: number, spread: number, seed: number): number[] {
  const rng = xoroshiro128plus(seed);
  return Array.from({ length: n }, () => center * (1 + spread * (((rng.next() >>> 0) / 2 ** 32) * 2 - 1)));
}

function benchCase(name: string, samples: number[], extra: Partial<BenchCase> = {}): BenchCase {
  return { key: `b · ${name} · time`, benchmark: 'b', case: name, metric: 'time', unit: 'ns', samples, deterministic: false, better: 'lower', ...extra };
}

describe('bench comparison verdicts on constructed inputs', () => {
  const before = [
    benchCase('regression', noisy(30, 100, 0.01, 1)),
    benchCase('improvement', noisy(30, 100, 0.01, 2)),
    benchCase('noise', noisy(30, 100, 0.05, 3)),
    benchCase('shuffled', [5, 1, 4, 2, 3, 6, 8, 7, 9, 10, 12, 11]),
    benchCase('one instruction', [1_000_000], { unit: 'instr', deterministic: true }),
  ];
  const after = [
    benchCase('regression', noisy(30, 110, 0.01, 11)),
    benchCase('improvement', noisy(30, 90, 0.01, 12)),
    // Same distribution, other draws.
    benchCase('noise', noisy(30, 100, 0.05, 13)),
    // The same values in another order: U = mn/2, p = 1.
    benchCase('shuffled', [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
    benchCase('one instruction', [1_000_001], { unit: 'instr', deterministic: true }),
  ];
  const comparison = compareBenchmarks(before, after);
  const row = (name: string) => comparison.cases.find((c) => c.case === name)!;

  it('a clear regression: regressed, the whole interval beyond +2 %', () => {
    const c = row('regression');
    expect(c.verdict).toBe('regressed');
    expect(c.significant).toBe(true);
    expect(c.pAdjusted!).toBeLessThan(1e-6);
    expect(c.ratioLow!).toBeGreaterThan(1.02);
    expect(c.ratio!).toBeGreaterThan(1.08);
  });

  it('a clear improvement: improved', () => {
    const c = row('improvement');
    expect(c.verdict).toBe('improved');
    expect(c.ratioHigh!).toBeLessThan(0.98);
  });

  it('pure noise from one distribution: ~ (not significant), and p = 1 for a reordering', () => {
    expect(row('noise')).toMatchObject({ verdict: 'unchanged', significant: false, withinNoise: false });
    expect(row('shuffled')).toMatchObject({ verdict: 'unchanged', significant: false, p: 1, pAdjusted: 1, ratio: 1 });
  });

  it('a deterministic metric one instruction higher: regressed, exactly +1, but inside the gate threshold', () => {
    expect(row('one instruction')).toMatchObject({ verdict: 'regressed', deterministic: true, delta: 1, beyondThreshold: false, p: undefined });
  });

  it('the table prints ~ for noise, the exact delta, and a geomean row', () => {
    const text = formatBenchComparison(comparison);
    expect(text).toMatch(/\nb · noise · time .* ~  p=0\.3\d\d n=30\+30\n/);
    expect(text).toMatch(/\nb · one instruction · time  1,000,000 instr  1,000,001 instr +\+1 \(\+0\.0 %, exact\)  exact +regressed\n/);
    expect(text).toMatch(/\ngeomean .* 5 cases\n/);
    expect(text).not.toContain('warning');
  });

  it('the gate names the timed regression only (the exact +1 is inside ±2 %)', () => {
    expect(benchGateFailures(comparison).map((f) => f.name)).toEqual(['b · regression · time']);
    const strict = compareBenchmarks(before, after, { threshold: 0 });
    expect(benchGateFailures(strict).map((f) => f.name)).toEqual(['b · regression · time', 'b · one instruction · time']);
  });

  it('the same inputs print the same output (seeded bootstrap)', () => {
    expect(formatBenchComparison(compareBenchmarks(before, after))).toBe(formatBenchComparison(comparison));
  });
});

describe('family-wise correction and sample warnings', () => {
  it('Holm–Bonferroni: a case significant alone is not among many', () => {
    // Complete separation of 4 and 4 samples: exact p = 2/70 ≈ 0.029.
    const b = benchCase('x', [100, 101, 102, 103]);
    const a = benchCase('x', [110, 111, 112, 113]);
    const alone = compareBenchmarks([b], [a]);
    expect(alone.cases[0]!.pAdjusted).toBeCloseTo(2 / 70, 12);
    expect(alone.cases[0]!.verdict).toBe('regressed');
    const others = [1, 2, 3].map((i) => benchCase(`same ${i}`, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const many = compareBenchmarks([b, ...others], [a, ...others]);
    expect(many.cases[0]!.pAdjusted).toBeCloseTo((4 * 2) / 70, 12);
    expect(many.cases[0]!).toMatchObject({ verdict: 'unchanged', significant: false });
  });

  it('warns below 10 samples, and says when no change can be detected at all', () => {
    const few = compareBenchmarks([benchCase('x', [100, 101, 102])], [benchCase('x', [200, 201, 202])]);
    expect(few.cases[0]!.warnings).toEqual(['3 before, 3 after samples: cannot detect any change at α = 0.05; take at least 10 samples a side']);
    expect(few.cases[0]!.verdict).toBe('unchanged');
    const some = compareBenchmarks([benchCase('x', [90, 95, 100, 105, 110, 100])], [benchCase('x', [100, 100, 100, 100, 100, 100])]);
    expect(some.cases[0]!.warnings).toEqual(['6 before, 6 after samples (fewer than 10): cannot detect changes smaller than ±10.0 %']);
  });

  it('higher-is-better metrics: a higher rate is an improvement, and the geomean inverts it', () => {
    const b = benchCase('rate', noisy(20, 50, 0.01, 5), { unit: 'G/s', better: 'higher' });
    const a = benchCase('rate', noisy(20, 100, 0.01, 6), { unit: 'G/s', better: 'higher' });
    const c = compareBenchmarks([b], [a]);
    expect(c.cases[0]!.verdict).toBe('improved');
    expect(c.geomean!.ratio).toBeCloseTo(c.cases[0]!.before.median / c.cases[0]!.after.median, 12);
  });

  it('cases only one side has are listed, not compared', () => {
    const c = compareBenchmarks([benchCase('x', [1]), benchCase('gone', [1])], [benchCase('x', [1]), benchCase('new', [1])]);
    expect(c.onlyBefore).toEqual(['b · gone · time']);
    expect(c.onlyAfter).toEqual(['b · new · time']);
  });
});

describe('bench files', () => {
  const machine = { cpus: 2, model: 'x', memoryBytes: 1, platform: 'linux', arch: 'x64' };
  it('reads @1 files (the median only) as one sample, and @2 samples as they are', () => {
    const v1 = { schema: 'wasm-sandbox/bench@1', benchmark: 'b', startedAt: '', machine, versions: {}, results: [{ benchmark: 'b', case: 'c', metric: 'm', value: 21.9, unit: 'ns' }, { benchmark: 'b', case: 'i', metric: 'instructions', value: 5, unit: 'instr' }] };
    expect(benchCases(v1, 'v1.json')).toEqual([
      { key: 'b · c · m', benchmark: 'b', case: 'c', metric: 'm', unit: 'ns', samples: [21.9], deterministic: false, better: 'lower' },
      { key: 'b · i · instructions', benchmark: 'b', case: 'i', metric: 'instructions', unit: 'instr', samples: [5], deterministic: true, better: 'lower' },
    ]);
    const v2 = { ...v1, schema: 'wasm-sandbox/bench@2', results: [{ benchmark: 'b', case: 'c', metric: 'm', value: 2, unit: 'G/s', samples: [1, 2, 3] }] };
    expect(benchCases(v2, 'v2.json')[0]).toMatchObject({ samples: [1, 2, 3], better: 'higher' });
  });

  it('names what is wrong with a bad file', () => {
    expect(() => benchCases({ schema: 'other' }, 'x.json')).toThrow(CompareInputError);
    expect(() => benchCases({ schema: 'wasm-sandbox/bench@2', results: [{ benchmark: 'b', case: 'c', metric: 'm', unit: 'ns', value: 'fast' }] }, 'x.json'))
      .toThrow('x.json: results[0].value must be a finite number');
    expect(() => benchCases({ schema: 'wasm-sandbox/bench@2', results: [{ benchmark: 'b', case: 'c', metric: 'm', unit: 'ns', value: 1, samples: [] }] }, 'x.json'))
      .toThrow('x.json: results[0].samples must be a non-empty array of finite numbers');
  });
});

/** The complexity fit on hand-made costs: each class recovered, Google Benchmark's coefficient and RMS, and the scaling report's flags. */
import { describe, expect, it } from 'vitest';
import { fitComplexity, type ComplexityClass } from '../src/profiler/analyze/complexity-fit.js';
import { buildScalingReport } from '../src/profiler/analyze/scaling.js';

const sizes = [1000, 10_000, 100_000];

describe('fitComplexity', () => {
  const cases: [ComplexityClass, (n: number) => number][] = [
    ['O(1)', () => 5000],
    ['O(N)', (n) => 15 * n + 12],
    ['O(N log N)', (n) => 3 * n * Math.log2(n) + 40 * n],
    ['O(N^2)', (n) => 2 * n * n + 100 * n],
    ['O(N^3)', (n) => n * n * n + n * n],
  ];
  for (const [expected, cost] of cases) {
    it(`recovers ${expected} through lower-order terms`, () => {
      expect(fitComplexity(sizes.map((n) => ({ n, cost: cost(n) }))).best.class).toBe(expected);
    });
  }

  it("coefficient Σyg/Σg² and RMS relative to the mean (CPython's numbers for 15n + 12)", () => {
    const { best, candidates } = fitComplexity(sizes.map((n) => ({ n, cost: 15 * n + 12 })));
    expect(best.class).toBe('O(N)');
    expect(best.coefficient).toBeCloseTo(15.000131868131868, 12);
    expect(best.rms).toBeCloseTo(1.665539959178125e-5, 12);
    const nlogn = candidates.find((c) => c.class === 'O(N log N)')!;
    expect(nlogn.coefficient).toBeCloseTo(0.9045550222099624, 12);
    expect(nlogn.rms).toBeCloseTo(0.0317387404424079, 10);
  });

  it('needs two sizes and finite costs', () => {
    expect(() => fitComplexity([{ n: 10, cost: 1 }])).toThrow(RangeError);
    expect(() => fitComplexity([{ n: 10, cost: 1 }, { n: 0, cost: 1 }])).toThrow(RangeError);
  });
});

describe('buildScalingReport', () => {
  // A linear export whose helper does n²/4096 work: 0.2 % of the call at the largest size.
  const samples = [1000, 2000, 4000, 8000].map((n) => {
    const helper = (n * n) / 4096;
    return {
      n,
      instructions: 1000 * n + helper + 50,
      timeNs: 10 * n,
      functions: [
        { name: 'process', functionIndex: 3, total: 1000 * n + helper + 50, calls: 1 },
        { name: 'step', functionIndex: 4, total: 990 * n, calls: n },
        { name: 'dedupe', functionIndex: 5, total: helper, calls: 1 },
        { name: 'sometimes', functionIndex: 6, total: n === 8000 ? 10 : 0, calls: n === 8000 ? 1 : 0 },
      ],
    };
  });
  const report = buildScalingReport('m.wasm', 'process', samples);

  it('fits the call, each function that ran at every size, and the timings', () => {
    expect(report.call.fit.best.class).toBe('O(N)');
    expect(report.timing!.fit.best.class).toBe('O(N)');
    expect(report.functions.map((f) => [f.name, f.fit.best.class])).toEqual([['process', 'O(N)'], ['step', 'O(N)'], ['dedupe', 'O(N^2)']]);
  });

  it('flags the function growing worse than the export, with where it would reach half the call', () => {
    const dedupe = report.functions.find((f) => f.name === 'dedupe')!;
    expect(dedupe.worseThanExport).toBe(true);
    expect(dedupe.shareAtLargest).toBeCloseTo(15625 / 8015675, 12);
    // n²/4096 ≥ ½·c·n from n = 2048·c; the call's fitted c is a little over 1000 (the helper is in it),
    // so 8000·2^8 = 2,048,000 falls just short and the next doubling is the first past it.
    expect(report.call.fit.best.coefficient).toBeGreaterThan(1000);
    expect(dedupe.overtakesAt).toBe(8000 * 512);
    expect(report.functions.filter((f) => f.worseThanExport).map((f) => f.name)).toEqual(['dedupe']);
  });
});

/**
 * Fits how a cost grows with the input size, as Google Benchmark's complexity report does: for
 * each candidate g ∈ {1, N, N log N, N², N³} the least-squares coefficient of cost ≈ c·g(N)
 * (c = Σ y·g / Σ g²), and the RMS of the residuals relative to the mean cost; the best fit is
 * the candidate with the smallest RMS. Instruction counts are exact, so the residual is the
 * model's (constant and lower-order terms), not noise.
 */

export type ComplexityClass = 'O(1)' | 'O(N)' | 'O(N log N)' | 'O(N^2)' | 'O(N^3)';

/** The candidates in growth order (their index is their rank). */
export const COMPLEXITY_CLASSES: readonly { readonly name: ComplexityClass; readonly g: (n: number) => number }[] = [
  { name: 'O(1)', g: () => 1 },
  { name: 'O(N)', g: (n) => n },
  { name: 'O(N log N)', g: (n) => n * Math.log2(n) },
  { name: 'O(N^2)', g: (n) => n * n },
  { name: 'O(N^3)', g: (n) => n * n * n },
];

export interface ComplexityFit {
  readonly class: ComplexityClass;
  /** c in cost ≈ c·g(N). */
  readonly coefficient: number;
  /** √(Σ (y − c·g)² / k) / mean(y): 0 is a perfect fit. */
  readonly rms: number;
}

export interface SizedCost {
  readonly n: number;
  readonly cost: number;
}

export function complexityRank(name: ComplexityClass): number {
  return COMPLEXITY_CLASSES.findIndex((c) => c.name === name);
}

/** Every candidate's fit, and the best (smallest RMS; ties go to the slower-growing class). */
export function fitComplexity(points: readonly SizedCost[]): { best: ComplexityFit; candidates: readonly ComplexityFit[] } {
  if (points.length < 2) throw new RangeError(`a complexity fit needs at least two sizes, got ${points.length}`);
  for (const p of points) if (!(p.n >= 1) || !Number.isFinite(p.cost)) throw new RangeError(`sizes must be ≥ 1 and costs finite, got n ${p.n}, cost ${p.cost}`);
  const mean = points.reduce((s, p) => s + p.cost, 0) / points.length;
  const candidates = COMPLEXITY_CLASSES.map(({ name, g }): ComplexityFit => {
    const gg = points.reduce((s, p) => s + g(p.n) ** 2, 0);
    const coefficient = points.reduce((s, p) => s + p.cost * g(p.n), 0) / gg;
    const squares = points.reduce((s, p) => s + (p.cost - coefficient * g(p.n)) ** 2, 0);
    const rms = mean === 0 ? (squares === 0 ? 0 : Infinity) : Math.sqrt(squares / points.length) / mean;
    return { class: name, coefficient, rms };
  });
  const best = candidates.reduce((a, b) => (b.rms < a.rms ? b : a));
  return { best, candidates };
}

/** The cost the fit predicts at `n`. */
export function predict(fit: ComplexityFit, n: number): number {
  return fit.coefficient * COMPLEXITY_CLASSES[complexityRank(fit.class)]!.g(n);
}

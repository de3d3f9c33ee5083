/**
 * The Mann–Whitney U test, two-sided, as benchstat uses it to tell a shift from noise without
 * assuming a distribution. The statistic comes from simple-statistics' rank sum (ties get the
 * average rank); the p-value is ours, because no maintained npm package provides it:
 * - exact, when there are no ties and the samples are small enough (the distribution of U is
 *   the coefficient list of the Gaussian binomial [m+n choose m]_q, counted in BigInt);
 * - otherwise the normal approximation with tie and continuity corrections (SciPy's
 *   `mannwhitneyu(method='asymptotic')`).
 * Both paths are tested against SciPy 1.17's numbers (test/fixtures/compare/).
 */
import { errorFunction, wilcoxonRankSum } from 'simple-statistics';

export interface MannWhitneyResult {
  /** U of the first sample: the number of (a, b) pairs with a > b, ties counting ½. */
  readonly u: number;
  /** Two-sided p-value. */
  readonly p: number;
  readonly method: 'exact' | 'asymptotic';
}

/** Exact distribution only while the count stays small (m·n coefficients, each step m·n wide). */
export const EXACT_MANN_WHITNEY_MAX_PRODUCT = 2500;

const exactCounts = new Map<string, { counts: bigint[]; total: bigint }>();

/** counts[u] = number of arrangements of m and n samples giving U = u. */
function uDistribution(m: number, n: number): { counts: bigint[]; total: bigint } {
  const key = m <= n ? `${m},${n}` : `${n},${m}`;
  const cached = exactCounts.get(key);
  if (cached !== undefined) return cached;
  const [small, large] = m <= n ? [m, n] : [n, m];
  const degree = small * large;
  const c: bigint[] = new Array<bigint>(degree + 1).fill(0n);
  c[0] = 1n;
  // [large+i choose i]_q = [large+i-1 choose i-1]_q · (1 − q^(large+i)) / (1 − q^i)
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    for (let k = degree; k >= shift; k--) c[k]! -= c[k - shift]!;
    for (let k = i; k <= degree; k++) c[k]! += c[k - i]!;
  }
  let total = 0n;
  for (const v of c) total += v;
  const result = { counts: c, total };
  exactCounts.set(key, result);
  return result;
}

/** erfc(x) for x ≥ 0 through simple-statistics (Numerical Recipes' erfc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  return 1 - errorFunction(x);
}

function hasTies(sorted: Float64Array): boolean {
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return true;
  return false;
}

/** Σ (t³ − t) over groups of tied values. */
function tieTerm(sorted: Float64Array): number {
  let term = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      term += run * run * run - run;
      run = 1;
    }
  }
  return term;
}

export function mannWhitneyU(a: readonly number[], b: readonly number[], options: { method?: 'auto' | 'exact' | 'asymptotic' } = {}): MannWhitneyResult {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) throw new RangeError('mannWhitneyU needs at least one sample on each side');
  const pooled = Float64Array.from([...a, ...b]).sort();
  const u = wilcoxonRankSum([...a], [...b]) - (m * (m + 1)) / 2;
  const ties = hasTies(pooled);
  const wanted = options.method ?? 'auto';
  if (wanted === 'exact' && ties) throw new RangeError('the exact Mann–Whitney distribution assumes no ties');
  const exact = wanted === 'exact' || (wanted === 'auto' && !ties && m * n <= EXACT_MANN_WHITNEY_MAX_PRODUCT);
  const uMax = Math.max(u, m * n - u);
  if (exact) {
    const { counts, total } = uDistribution(m, n);
    // P(U ≥ uMax) = P(U ≤ m·n − uMax) by symmetry.
    let tail = 0n;
    for (let k = 0; k <= m * n - uMax; k++) tail += counts[k]!;
    return { u, p: Math.min(1, (2 * Number(tail)) / Number(total)), method: 'exact' };
  }
  const total = m + n;
  const s = Math.sqrt(((m * n) / 12) * (total + 1 - tieTerm(pooled) / (total * (total - 1))));
  // Every value tied: nothing tells the sides apart.
  if (!(s > 0)) return { u, p: 1, method: 'asymptotic' };
  const z = (uMax - (m * n) / 2 - 0.5) / s;
  const p = z <= 0 ? 1 : Math.min(1, erfc(z / Math.SQRT2));
  return { u, p, method: 'asymptotic' };
}

/**
 * The smallest two-sided p-value any arrangement of m and n samples can give:
 * below α, a difference can be detected at all.
 */
export function smallestPossibleP(m: number, n: number): number {
  // 2 / C(m+n, m), computed in logs so large sizes do not overflow.
  let logChoose = 0;
  for (let i = 1; i <= Math.min(m, n); i++) logChoose += Math.log(Math.max(m, n) + i) - Math.log(i);
  return Math.min(1, 2 * Math.exp(-logChoose));
}

/**
 * The median with a distribution-free confidence interval (benchstat's): the interval between two
 * order statistics `[x(k), x(n+1-k)]` covers the population median with probability
 * `1 − 2·P(B ≤ k−1)`, B ~ Binomial(n, ½), whatever the distribution of the samples. We take the
 * narrowest such interval whose coverage reaches the requested confidence; when even
 * `[min, max]` cannot reach it (n ≤ 5 at 95 %), that interval is returned with the confidence it
 * does reach, so the caller can say so.
 */
import { binomialDistribution, medianSorted } from 'simple-statistics';

export interface MedianInterval {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  /** The coverage this interval actually has (≥ the requested one, or less when n is too small). */
  readonly confidence: number;
  readonly n: number;
}

/** Ascending copy of the samples (numbers as numbers, never as strings). */
export function sortedCopy(samples: readonly number[]): Float64Array {
  return Float64Array.from(samples).sort();
}

const tails = new Map<number, number[]>();

/** P(B ≤ j) for B ~ Binomial(n, ½), for every j ≤ ⌊n/2⌋ (remembered: every case of a run has the same n). */
function lowerTail(n: number): number[] {
  const known = tails.get(n);
  if (known !== undefined) return known;
  const cells = binomialDistribution(n, 0.5) ?? [];
  const cumulative: number[] = [];
  let sum = 0;
  for (let j = 0; j <= n >> 1; j++) {
    // Cells stop once the cumulative probability is within epsilon of 1: the rest are ~0.
    sum += cells[j] ?? 0;
    cumulative.push(sum);
  }
  if (tails.size > 1000) tails.clear();
  tails.set(n, cumulative);
  return cumulative;
}

export function medianInterval(samples: readonly number[], confidence = 0.95): MedianInterval {
  const n = samples.length;
  if (n === 0) throw new RangeError('medianInterval needs at least one sample');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const x = sortedCopy(samples);
  const median = medianSorted(Array.from(x));
  if (n === 1) return { median, low: x[0]!, high: x[0]!, confidence: 0, n };
  const tail = lowerTail(n);
  // k is 1-based: the interval [x(k), x(n+1-k)]; k = 1 is [min, max], the widest.
  let k = 1;
  for (let candidate = (n + 1) >> 1; candidate >= 1; candidate--) {
    if (1 - 2 * tail[candidate - 1]! >= confidence) {
      k = candidate;
      break;
    }
  }
  return { median, low: x[k - 1]!, high: x[n - k]!, confidence: Math.max(0, 1 - 2 * tail[k - 1]!), n };
}

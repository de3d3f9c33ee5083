/**
 * How sure a finding is, and the weight that puts on its ranking. Counters (instructions,
 * calls, bytes, misses) are exact. Timings get an interval: a Wilson score interval for a share
 * of samples, a distribution-free order-statistic interval for a percentile read from the HDR
 * histogram, or the bounds the calibrated hook cost puts on an instrumented share.
 */
import { decodeLatencyHistogram, type LatencySummary } from '../build/latency-histogram.js';
import type { CallTree, HookOverhead } from '../model/call-tree.js';
import type { Confidence } from '../model/finding.js';

export const EXACT: Confidence = { kind: 'exact' };

/** 1 for exact; low / high for an interval of a positive quantity; 1 − p for a p-value. */
export function confidenceWeight(confidence: Confidence): number {
  switch (confidence.kind) {
    case 'exact':
      return 1;
    case 'interval':
      return confidence.high <= 0 ? 0 : Math.max(0, Math.min(1, confidence.low / confidence.high));
    case 'p-value':
      return Math.max(0, Math.min(1, 1 - confidence.p));
  }
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** Wilson score interval of a proportion `share` observed over `n` trials, 95 %. */
export function wilsonInterval(share: number, n: number): Confidence {
  if (n <= 0) return { kind: 'interval', low: 0, high: 1, level: 0.95 };
  const z2 = Z95 * Z95;
  const centre = (share + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((share * (1 - share)) / n + z2 / (4 * n * n));
  return { kind: 'interval', low: Math.max(0, centre - half), high: Math.min(1, centre + half), level: 0.95 };
}

/**
 * A 95 % interval for the q-th quantile (0 < q < 1) of the calls a latency summary holds: the
 * ranks n·q ± z·√(n·q·(1−q)) of the sample (binomial order statistics, no distribution assumed),
 * read back from the HDR histogram. Weighted (sampled) calls count as the calls they stand for.
 */
export function quantileInterval(latency: LatencySummary, q: number): Confidence {
  const n = latency.count;
  if (n === 0 || latency.histogram === '') return { kind: 'interval', low: 0, high: 0, level: 0.95 };
  const spread = Z95 * Math.sqrt(n * q * (1 - q));
  const lowRank = Math.max(0, Math.floor(n * q - spread));
  const highRank = Math.min(n, Math.ceil(n * q + spread));
  const histogram = decodeLatencyHistogram(latency.histogram);
  try {
    const at = (rank: number): number => histogram.getValueAtPercentile(Math.max(0, Math.min(100, (rank / n) * 100)));
    return { kind: 'interval', low: lowRank === 0 ? latency.min : at(lowRank), high: at(highRank), level: 0.95 };
  } finally {
    histogram.destroy();
  }
}

/**
 * The confidence of a share of a call tree's weight held by some nodes: exact for counted
 * instructions; a Wilson interval over the samples for sampling; for instrumented (ns) trees,
 * the bounds the hooks' calibrated cost puts on it — low with `perCall + perChildCall` removed
 * per call (more than the hooks can have added), high as measured — or [0, share] when the cost
 * was not calibrated (then nothing bounds the hooks' inflation).
 */
export function treeShareConfidence(tree: CallTree, share: number, weight: number, calls: number, overhead: HookOverhead | undefined): Confidence {
  if (tree.mode === 'instructions') return EXACT;
  if (tree.mode === 'sampling') return wilsonInterval(share, tree.root.total);
  if (overhead === undefined) return { kind: 'interval', low: 0, high: share, level: 1 };
  const total = tree.root.total;
  const low = total <= 0 ? 0 : Math.max(0, weight - (overhead.perCall + overhead.perChildCall) * calls) / total;
  return { kind: 'interval', low, high: share, level: 1 };
}

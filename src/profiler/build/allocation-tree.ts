/**
 * An allocation report as a call tree, so the flamegraph, folded stacks and the other tree
 * exporters draw allocations (memray's flamegraph of what is live at the high-water mark):
 * each site's stack is a path, its weight the leaf's self weight.
 */
import { childFor, emptyTree, finishRoot, recomputeTotals, type CallTree } from '../model/call-tree.js';
import type { AllocationReport, AllocationSite } from '../model/allocation-report.js';

export type AllocationWeight = 'liveAtPeak' | 'allocated' | 'blocks' | 'liveAtEnd';

/** The weights, as the CLI and docs name them. @default 'liveAtPeak' */
export const ALLOCATION_WEIGHTS: readonly AllocationWeight[] = ['liveAtPeak', 'allocated', 'blocks', 'liveAtEnd'];

const WEIGH: Record<AllocationWeight, (site: AllocationSite) => number> = {
  liveAtPeak: (s) => s.liveBytesAtPeak,
  allocated: (s) => s.bytes,
  blocks: (s) => s.blocks,
  liveAtEnd: (s) => s.liveBytesAtEnd,
};

const NOTES: Record<AllocationWeight, string> = {
  liveAtPeak: 'weights are bytes live at the global peak of the live heap (t-gmax)',
  allocated: 'weights are bytes allocated in total',
  blocks: 'weights are blocks allocated in total',
  liveAtEnd: 'weights are bytes still live at the end (leaks, unless freed later)',
};

export function allocationTree(report: AllocationReport, weight: AllocationWeight = 'liveAtPeak'): CallTree {
  const tree = emptyTree('allocations', weight === 'blocks' ? 'blocks' : 'bytes', [NOTES[weight]]);
  const weigh = WEIGH[weight];
  for (const site of report.sites) {
    const value = weigh(site);
    if (value <= 0) continue;
    let node = tree.root;
    for (const frame of site.stack.length === 0 ? [{ name: '(host)' }] : site.stack) node = childFor(node, frame);
    node.self += value;
    node.calls += weight === 'blocks' ? value : site.blocks;
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return tree;
}

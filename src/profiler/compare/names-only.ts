/**
 * Two builds of a guest number their functions differently, so across builds a frame is its
 * name: this copy of a tree drops function indexes (same-named siblings merge), for the
 * differential flamegraph, which pairs frames by identity. `rename` maps a before-side name to
 * the after side's (functions `compareProfiles` paired by base name).
 */
import { childFor, emptyTree, finishRoot, type CallTree, type CallTreeNode } from '../model/call-tree.js';

export function namesOnly(tree: CallTree, rename: ReadonlyMap<string, string> = new Map()): CallTree {
  const out = emptyTree(tree.mode, tree.unit, tree.notes);
  const copy = (into: CallTreeNode, from: CallTreeNode): void => {
    for (const child of from.children) {
      const target = childFor(into, { name: rename.get(child.name) ?? child.name });
      target.calls += child.calls;
      target.total += child.total;
      target.self += child.self;
      target.min = Math.min(target.min, child.min);
      target.max = Math.max(target.max, child.max);
      copy(target, child);
    }
  };
  copy(out.root, tree.root);
  finishRoot(out.root);
  return tree.sampleIntervalNs === undefined ? out : { ...out, sampleIntervalNs: tree.sampleIntervalNs };
}

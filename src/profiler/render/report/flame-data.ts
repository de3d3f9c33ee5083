/**
 * Call trees as the page's flamegraph script reads them: nested arrays, names already
 * shortened and their control characters escaped (the script puts them in as text), frames
 * too narrow to see merged per parent so a large profile stays a small page. A differential
 * tree (Gregg's differential flamegraph) lays frames out by the after run's weight and carries
 * the before run's weight on the same path, for colouring by change.
 */
import { guestText } from '../../../untrusted-text.js';
import { frameKey, type CallTree, type CallTreeNode } from '../../model/call-tree.js';

/** [name, functionIndex (−1: none), total, self, calls, children, beforeTotal?, beforeSelf?] */
export type FlameNode = [string, number, number, number, number, FlameNode[], number?, number?];

export interface FlameData {
  readonly unit: string;
  readonly total: number;
  readonly root: FlameNode;
  /** Differential trees: the before run's root total (for shares). */
  readonly beforeTotal?: number;
  readonly notes: readonly string[];
}

/** Frames below this share of the whole are merged per parent (≈ half a pixel at 2500 px). */
const MIN_SHARE = 1 / 5000;

const UNIT: Readonly<Record<string, string>> = { nanoseconds: 'ns', instructions: 'instructions', samples: 'samples' };

function convert(node: CallTreeNode, minWeight: number, names: Map<string, string>, before?: Map<CallTreeNode, CallTreeNode>): FlameNode {
  const children: FlameNode[] = [];
  let narrow = 0;
  let narrowWeight = 0;
  for (const child of node.children) {
    if (child.total <= 0) continue;
    if (child.total < minWeight) {
      narrow++;
      narrowWeight += child.total;
    } else children.push(convert(child, minWeight, names, before));
  }
  if (narrow > 0) children.push([`(${narrow} narrow frame${narrow === 1 ? '' : 's'})`, -1, narrowWeight, narrowWeight, 0, []]);
  let shown = names.get(node.name);
  if (shown === undefined) names.set(node.name, (shown = guestText(node.name)));
  const out: FlameNode = [shown, node.functionIndex ?? -1, node.total, node.self, node.calls, children];
  const prior = before?.get(node);
  if (before !== undefined) out.push(prior?.total ?? 0, prior?.self ?? 0);
  return out;
}

export function flameData(tree: CallTree): FlameData {
  const total = tree.root.total;
  return { unit: UNIT[tree.unit] ?? tree.unit, total, root: convert(tree.root, total * MIN_SHARE, new Map()), notes: tree.notes };
}

/** The after tree's frames, each paired with the before tree's node on the same path of functions. */
export function diffFlameData(before: CallTree, after: CallTree): FlameData {
  const pairs = new Map<CallTreeNode, CallTreeNode>();
  const pair = (a: CallTreeNode, b: CallTreeNode): void => {
    pairs.set(a, b);
    const byKey = new Map(b.children.map((c) => [frameKey(c), c]));
    for (const child of a.children) {
      const match = byKey.get(frameKey(child));
      if (match !== undefined) pair(child, match);
    }
  };
  pair(after.root, before.root);
  const total = after.root.total;
  const notes = [
    `Widths are the after run (${UNIT[after.unit] ?? after.unit}); red frames spend a larger share of the whole in their own code than before, blue a smaller one. Frames only the before run has are not drawn.`,
  ];
  if (before.unit !== after.unit) notes.push(`The runs differ in unit (${before.unit} before, ${after.unit} after): shares are compared, not values.`);
  return { unit: UNIT[after.unit] ?? after.unit, total, beforeTotal: before.root.total, root: convert(after.root, total * MIN_SHARE, new Map(), pairs), notes };
}

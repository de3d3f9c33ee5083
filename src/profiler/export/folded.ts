/**
 * Folded stacks, as flamegraph.pl and inferno read them: one line per stack with its self
 * weight, `root;caller;callee 1234`. The format has no escaping: `;` and line breaks in
 * function names are replaced (by `:` and a space) so that every line stays one stack.
 *
 * The format carries names only, and readers merge frames by name. So that two functions
 * whose folded names coincide (two called `dup`; `a;b` and `a:b`; an empty name) stay two
 * frames, each of them gets its function index as a suffix: `dup (func[3])`, `dup (func[7])`.
 * Names that are unique in the tree are written as they are.
 */
import { emptyTree, childFor, finishRoot, frameKey, recomputeTotals, type CallTree, type CallTreeNode, type FrameIdentity, type ProfileMode, type WeightUnit } from '../model/call-tree.js';
import { distinctLabels } from '../render/frame-labels.js';

export function foldedName(name: string): string {
  return name.replace(/;/g, ':').replace(/[\r\n]+/g, ' ');
}

function allFrames(tree: CallTree): FrameIdentity[] {
  const frames: FrameIdentity[] = [];
  const go = (node: CallTreeNode): void => {
    for (const child of node.children) {
      frames.push(child);
      go(child);
    }
  };
  go(tree.root);
  return frames;
}

export function toFolded(tree: CallTree): string {
  const labels = distinctLabels(allFrames(tree), foldedName);
  const lines: string[] = [];
  const path: string[] = [];
  const go = (node: CallTreeNode): void => {
    for (const child of node.children) {
      path.push(labels.get(frameKey(child))!);
      const weight = Math.round(child.self);
      if (weight > 0) lines.push(`${path.join(';')} ${weight}`);
      go(child);
      path.pop();
    }
  };
  go(tree.root);
  return lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

/** Reads folded stacks back into a tree (calls unknown: 0); frames are told apart by their label. */
export function fromFolded(text: string, mode: ProfileMode = 'sampling', unit: WeightUnit = 'samples'): CallTree {
  const tree = emptyTree(mode, unit);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    const weight = Number(line.slice(space + 1));
    if (space <= 0 || !Number.isFinite(weight)) throw new SyntaxError(`not a folded stack line: ${JSON.stringify(line.slice(0, 80))}`);
    let node = tree.root;
    for (const frame of line.slice(0, space).split(';')) node = childFor(node, { name: frame });
    node.self += weight;
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return tree;
}

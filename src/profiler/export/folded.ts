/**
 * Folded stacks, as flamegraph.pl and inferno read them: one line per stack with its self
 * weight, `root;caller;callee 1234`. The format has no escaping: `;` and line breaks in
 * function names are replaced (by `:` and a space) so that every line stays one stack.
 */
import { emptyTree, childNamed, finishRoot, recomputeTotals, type CallTree, type ProfileMode, type WeightUnit } from '../call-tree.js';

export function foldedName(name: string): string {
  return name.replace(/;/g, ':').replace(/[\r\n]+/g, ' ');
}

export function toFolded(tree: CallTree): string {
  const lines: string[] = [];
  const path: string[] = [];
  const go = (node: CallTree['root']): void => {
    for (const child of node.children) {
      path.push(foldedName(child.name));
      const weight = Math.round(child.self);
      if (weight > 0) lines.push(`${path.join(';')} ${weight}`);
      go(child);
      path.pop();
    }
  };
  go(tree.root);
  return lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

/** Reads folded stacks back into a tree (calls unknown: 0). */
export function fromFolded(text: string, mode: ProfileMode = 'sampling', unit: WeightUnit = 'samples'): CallTree {
  const tree = emptyTree(mode, unit);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    const weight = Number(line.slice(space + 1));
    if (space <= 0 || !Number.isFinite(weight)) throw new SyntaxError(`not a folded stack line: ${JSON.stringify(line.slice(0, 80))}`);
    let node = tree.root;
    for (const frame of line.slice(0, space).split(';')) node = childNamed(node, frame);
    node.self += weight;
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return tree;
}

/**
 * The differential flamegraph (flamegraph.pl + difffolded.pl's view, interactive as ours):
 * two call trees of one unit merged by path (function identity, as everywhere), each frame as
 * wide as its total in the 'after' profile and coloured by the change of its self weight —
 * red grew, blue shrank, grey unchanged, saturation by the size of the change relative to
 * the largest one. Hover shows before, after and the change. `normalize` scales 'before' to
 * 'after''s total first (profiles of different lengths, sample counts or loads); `reverse`
 * takes widths from 'before', so frames that vanished are visible (colours keep their meaning).
 * Folded files are read by `fromFolded`. Names are escaped as in the flamegraph.
 */
import { fromFolded } from '../export/folded.js';
import { frameKey, type CallTree, type CallTreeNode, type FrameIdentity } from '../model/call-tree.js';
import { FLAME_DEFAULTS, renderFlameSvg, type FlameSource } from './flame-svg.js';
import type { FlamegraphOptions } from './flamegraph.js';

export interface DiffFlamegraphOptions extends FlamegraphOptions {
  /** Scale 'before' so that its total equals 'after''s before comparing. @default false */
  readonly normalize?: boolean;
  /** Widths from 'before' instead of 'after', so frames that vanished show. @default false */
  readonly reverse?: boolean;
}

/** One path in either tree, with its weights in both ('before' scaled when normalised). */
export interface DiffNode extends FrameIdentity {
  readonly before: { total: number; self: number };
  readonly after: { total: number; self: number };
  readonly children: DiffNode[];
}

export interface CallTreeDiff {
  readonly unit: CallTree['unit'];
  /** The root's children. */
  readonly roots: DiffNode[];
  readonly beforeTotal: number;
  readonly afterTotal: number;
  /** Factor 'before''s weights were multiplied by (1 without normalising). */
  readonly beforeScale: number;
}

/** Merges two trees of one unit by path; `normalize` scales 'before' to 'after''s total. */
export function diffCallTrees(before: CallTree, after: CallTree, options: { normalize?: boolean } = {}): CallTreeDiff {
  if (before.unit !== after.unit) throw new RangeError(`cannot compare a tree in ${before.unit} with a tree in ${after.unit}`);
  const beforeTotal = before.root.total;
  const afterTotal = after.root.total;
  const beforeScale = options.normalize === true && beforeTotal > 0 && afterTotal > 0 ? afterTotal / beforeTotal : 1;
  const merge = (a: readonly CallTreeNode[], b: readonly CallTreeNode[]): DiffNode[] => {
    const byKey = new Map<string, { frame: FrameIdentity; before?: CallTreeNode; after?: CallTreeNode }>();
    for (const node of a) byKey.set(frameKey(node), { frame: node, before: node });
    for (const node of b) {
      const entry = byKey.get(frameKey(node));
      if (entry === undefined) byKey.set(frameKey(node), { frame: node, after: node });
      else entry.after = node;
    }
    return [...byKey.values()].map(({ frame, before: x, after: y }) => ({
      name: frame.name,
      ...(frame.functionIndex === undefined ? {} : { functionIndex: frame.functionIndex }),
      before: { total: (x?.total ?? 0) * beforeScale, self: (x?.self ?? 0) * beforeScale },
      after: { total: y?.total ?? 0, self: y?.self ?? 0 },
      children: merge(x?.children ?? [], y?.children ?? []),
    }));
  };
  return { unit: after.unit, roots: merge(before.root.children, after.root.children), beforeTotal, afterTotal, beforeScale };
}

/** Red for growth, blue for shrinking, by `ratio` = change / largest change, in [-1, 1]; light grey unchanged. */
export function diffColour(ratio: number): string {
  if (ratio === 0 || !Number.isFinite(ratio)) return 'rgb(225,225,225)';
  // flamegraph.pl's scale, so changed frames colour as in its differential graphs.
  const fade = Math.round(210 * (1 - Math.min(1, Math.abs(ratio))));
  return ratio > 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

function largestChange(nodes: readonly DiffNode[]): number {
  let max = 0;
  const go = (list: readonly DiffNode[]): void => {
    for (const n of list) {
      max = Math.max(max, Math.abs(n.after.self - n.before.self));
      go(n.children);
    }
  };
  go(nodes);
  return max;
}

function unitText(unit: CallTree['unit'], v: number): string {
  const rounded = Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : v.toFixed(1);
  return unit === 'nanoseconds' ? `${rounded} ns` : `${rounded} ${unit}`;
}

/** `before` and `after` are call trees, or folded stacks (read by `fromFolded`, weights as samples). */
export function renderDiffFlamegraph(beforeInput: CallTree | string, afterInput: CallTree | string, options: DiffFlamegraphOptions = {}): string {
  const before = typeof beforeInput === 'string' ? fromFolded(beforeInput) : beforeInput;
  const after = typeof afterInput === 'string' ? fromFolded(afterInput) : afterInput;
  const diff = diffCallTrees(before, after, { normalize: options.normalize === true });
  const reverse = options.reverse === true;
  const max = largestChange(diff.roots);
  // Changes below this are rounding, not change (normalising makes fractions).
  const noise = max * 1e-9;
  const source: FlameSource<DiffNode> = {
    roots: diff.roots,
    children: (node) => node.children,
    width: (node) => (reverse ? node.before.total : node.after.total),
    name: (node) => node.name,
    functionIndex: (node) => node.functionIndex,
    fill: (node) => {
      const change = node.after.self - node.before.self;
      return diffColour(Math.abs(change) <= noise || max === 0 ? 0 : change / max);
    },
    values: (node) => [node.after.self, node.before.self, node.after.total, node.before.total],
  };
  const interval = after.sampleIntervalNs ?? before.sampleIntervalNs;
  return renderFlameSvg({
    kind: 'diff',
    source,
    unit: diff.unit,
    sampleIntervalNs: interval,
    title: options.title ?? `Differential flamegraph (${reverse ? 'widths from before' : 'widths from after'}, ${diff.unit})`,
    notes: [
      `red: self weight grew, blue: shrank, saturation: size of the change (largest ${unitText(diff.unit, max)})`,
      `before: ${unitText(diff.unit, diff.beforeTotal)} in total, after: ${unitText(diff.unit, diff.afterTotal)}` +
        (diff.beforeScale === 1 ? '' : `; before scaled ×${diff.beforeScale.toPrecision(4)} to after's total`),
    ],
    icicle: options.icicle === true,
    width: options.width ?? FLAME_DEFAULTS.width,
    minFramePx: options.minFramePx ?? FLAME_DEFAULTS.minFramePx,
    maxFrames: options.maxFrames ?? FLAME_DEFAULTS.maxFrames,
  });
}

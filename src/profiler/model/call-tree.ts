/**
 * The guest CPU profile model: a path-sensitive call tree (the same function under two
 * parents is two nodes) whose weights are nanoseconds, samples or instructions, and the
 * per-function statistics derived from it. Plain data: JSON-serialisable and mergeable across
 * calls, sandboxes, workers and processes. Builders make it; exporters and renderers read it.
 */

/** @2: nodes carry `functionIndex` and are told apart by it, not by name. */
export const CALL_TREE_SCHEMA = 'wasm-sandbox/call-tree@2' as const;

/** `allocations`: a tree of allocation sites (profiler/build/allocation-tree.ts), weighed in bytes or blocks. */
export type ProfileMode = 'instrumented' | 'instructions' | 'sampling' | 'allocations';
export type WeightUnit = 'nanoseconds' | 'instructions' | 'samples' | 'bytes' | 'blocks';

/**
 * Which function a frame is. Guest text names functions, and names repeat (two functions
 * called `dup`, empty names, `__proto__`), so identity is the function's index in the module
 * as given (imports first); frames that are no guest function — `(root)`, `(host)`, frames
 * read back from a format that only carries names — have none and go by name.
 */
export interface FrameIdentity {
  /** Display name: the name section's (exact guest text: escape it to show it), else `func[N]`. */
  readonly name: string;
  /** Index in the module's function index space, for guest functions. */
  readonly functionIndex?: number;
}

export interface CallTreeNode extends FrameIdentity {
  /** Completed calls through this path (instrumented modes; 0 when sampling). */
  calls: number;
  /** Weight spent in this node and its descendants. */
  total: number;
  /** Weight spent in this node's own code. */
  self: number;
  /** Shortest and longest single call through this path, inclusive (instrumented modes). */
  min: number;
  max: number;
  children: CallTreeNode[];
}

export interface CallTree {
  readonly schema: typeof CALL_TREE_SCHEMA;
  readonly mode: ProfileMode;
  readonly unit: WeightUnit;
  /** `(root)`: its children are the guest functions the host called. */
  readonly root: CallTreeNode;
  /** For sampling: the interval one sample stands for, ns. */
  readonly sampleIntervalNs?: number;
  /** What a reader should know about how the tree was measured. */
  readonly notes: readonly string[];
}

export interface FunctionStats extends FrameIdentity {
  readonly calls: number;
  /** Inclusive weight, recursion counted once (the outermost activation on each path). */
  readonly total: number;
  readonly self: number;
  /** total / calls (0 without calls). */
  readonly average: number;
  readonly min: number;
  readonly max: number;
}

export function createNode(name: string, functionIndex?: number): CallTreeNode {
  return { name, ...(functionIndex === undefined ? {} : { functionIndex }), calls: 0, total: 0, self: 0, min: Infinity, max: 0, children: [] };
}

/** The key frames are merged, indexed and counted by: the function index when there is one. */
export function frameKey(frame: FrameIdentity): string {
  return frame.functionIndex === undefined ? `name:${frame.name}` : `function:${frame.functionIndex}`;
}

export function emptyTree(mode: ProfileMode, unit: WeightUnit, notes: readonly string[] = []): CallTree {
  return { schema: CALL_TREE_SCHEMA, mode, unit, root: createNode('(root)'), notes };
}

/** Child indexes kept beside the plain-data nodes: a node may have tens of thousands of children. */
const childIndex = new WeakMap<CallTreeNode, Map<string, CallTreeNode>>();

/** The child of `parent` that is `frame` (by `frameKey`), created when missing. */
export function childFor(parent: CallTreeNode, frame: FrameIdentity): CallTreeNode {
  let index = childIndex.get(parent);
  if (index === undefined || index.size !== parent.children.length) {
    index = new Map(parent.children.map((c) => [frameKey(c), c]));
    childIndex.set(parent, index);
  }
  const key = frameKey(frame);
  let child = index.get(key);
  if (child === undefined) {
    child = createNode(frame.name, frame.functionIndex);
    parent.children.push(child);
    index.set(key, child);
  }
  return child;
}

/** Recomputes the root's totals from its children (the root itself is never called). */
export function finishRoot(root: CallTreeNode): void {
  root.total = root.children.reduce((n, c) => n + c.total, 0);
  root.self = 0;
}

export function maxDepth(node: CallTreeNode): number {
  return node.children.length === 0 ? 0 : 1 + Math.max(...node.children.map(maxDepth));
}

/** Visits every node below the root with the path of names leading to it (root excluded). */
export function walkTree(tree: CallTree, visit: (node: CallTreeNode, path: readonly string[]) => void): void {
  const path: string[] = [];
  const go = (node: CallTreeNode): void => {
    for (const child of node.children) {
      path.push(child.name);
      visit(child, path);
      go(child);
      path.pop();
    }
  };
  go(tree.root);
}

/** Per-function statistics (one entry per function, by `frameKey`), sorted by self weight (heaviest first). */
export function functionStats(tree: CallTree): FunctionStats[] {
  const stats = new Map<string, { frame: FrameIdentity; calls: number; total: number; self: number; min: number; max: number }>();
  const active = new Map<string, number>();
  const go = (node: CallTreeNode): void => {
    for (const child of node.children) {
      const key = frameKey(child);
      const s = stats.get(key) ?? { frame: child, calls: 0, total: 0, self: 0, min: Infinity, max: 0 };
      s.calls += child.calls;
      s.self += child.self;
      s.min = Math.min(s.min, child.min);
      s.max = Math.max(s.max, child.max);
      // A recursive activation's time is already inside its outer activation's total.
      if ((active.get(key) ?? 0) === 0) s.total += child.total;
      stats.set(key, s);
      active.set(key, (active.get(key) ?? 0) + 1);
      go(child);
      active.set(key, active.get(key)! - 1);
    }
  };
  go(tree.root);
  return [...stats.values()]
    .map((s) => ({
      name: s.frame.name,
      ...(s.frame.functionIndex === undefined ? {} : { functionIndex: s.frame.functionIndex }),
      calls: s.calls,
      total: s.total,
      self: s.self,
      average: s.calls === 0 ? 0 : s.total / s.calls,
      min: s.min === Infinity ? 0 : s.min,
      max: s.max,
    }))
    .sort((a, b) => b.self - a.self || compareFrames(a, b));
}

/** A stable order for ties: by name, then by function index. */
function compareFrames(a: FrameIdentity, b: FrameIdentity): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return (a.functionIndex ?? -1) - (b.functionIndex ?? -1);
}

/** Merges trees of the same mode and unit: nodes on the same path (of functions, not names) add up. */
export function mergeCallTrees(trees: readonly CallTree[]): CallTree {
  const first = trees[0];
  if (first === undefined) throw new RangeError('mergeCallTrees needs at least one tree');
  for (const t of trees) {
    if (t.unit !== first.unit || t.mode !== first.mode) {
      throw new RangeError(`cannot merge a ${t.mode} tree in ${t.unit} with a ${first.mode} tree in ${first.unit}`);
    }
  }
  const merged = emptyTree(first.mode, first.unit, [...new Set(trees.flatMap((t) => t.notes))]);
  // An explicit stack, not recursion: a recursive guest's tree may be thousands of levels deep.
  for (const t of trees) {
    const todo: [into: CallTreeNode, from: CallTreeNode][] = [[merged.root, t.root]];
    while (todo.length > 0) {
      const [into, from] = todo.pop()!;
      into.calls += from.calls;
      into.total += from.total;
      into.self += from.self;
      into.min = Math.min(into.min, from.min);
      into.max = Math.max(into.max, from.max);
      for (const child of from.children) todo.push([childFor(into, child), child]);
    }
  }
  finishRoot(merged.root);
  return first.sampleIntervalNs === undefined ? merged : { ...merged, sampleIntervalNs: first.sampleIntervalNs };
}

/**
 * Keeps only frames whose name matches `focus` (their callers are dropped, their subtrees
 * kept) and drops frames matching `exclude` (their weight goes to their parent's self).
 */
export function filterTree(tree: CallTree, options: { focus?: RegExp; exclude?: RegExp }): CallTree {
  const { focus, exclude } = options;
  const out = emptyTree(tree.mode, tree.unit, tree.notes);
  const copyInto = (parent: CallTreeNode, node: CallTreeNode): void => {
    if (exclude?.test(node.name)) {
      parent.self += node.self;
      for (const child of node.children) copyInto(parent, child);
      return;
    }
    const target = childFor(parent, node);
    target.calls += node.calls;
    target.self += node.self;
    target.min = Math.min(target.min, node.min);
    target.max = Math.max(target.max, node.max);
    for (const child of node.children) copyInto(target, child);
  };
  const findFocus = (node: CallTreeNode): void => {
    for (const child of node.children) {
      if (focus!.test(child.name)) copyInto(out.root, child);
      else findFocus(child);
    }
  };
  if (focus === undefined) for (const child of tree.root.children) copyInto(out.root, child);
  else findFocus(tree.root);
  recomputeTotals(out.root);
  out.root.self = 0;
  finishRoot(out.root);
  return tree.sampleIntervalNs === undefined ? out : { ...out, sampleIntervalNs: tree.sampleIntervalNs };
}

/** total = self + children's totals, bottom-up. */
export function recomputeTotals(node: CallTreeNode): number {
  node.total = node.self + node.children.reduce((n, c) => n + recomputeTotals(c), 0);
  return node.total;
}

/** Cost the measuring itself adds, per call of a node and per call of each of its children. */
export interface HookOverhead {
  /** Lands inside a call's own window (after its entry clock read, before its exit one). */
  readonly perCall: number;
  /** Lands in the caller around each child call (before the child's entry read, after its exit read). */
  readonly perChildCall: number;
}

/**
 * Removes measured hook overhead from an instrumented tree: each node's self loses
 * `perCall × calls + perChildCall × (calls of its children)`, never going below 0, and totals
 * are recomputed. Without it, functions called millions of times look far heavier than they are.
 */
export function compensateOverhead(tree: CallTree, overhead: HookOverhead): CallTree {
  const copy = (node: CallTreeNode): CallTreeNode => {
    const children = node.children.map(copy);
    const childCalls = node.children.reduce((n, c) => n + c.calls, 0);
    const self = node === tree.root ? 0 : Math.max(0, node.self - overhead.perCall * node.calls - overhead.perChildCall * childCalls);
    return { ...node, self, children, min: Math.max(0, node.min - overhead.perCall), max: Math.max(0, node.max - overhead.perCall) };
  };
  const root = copy(tree.root);
  recomputeTotals(root);
  finishRoot(root);
  return { ...tree, root, notes: [...tree.notes, `hook overhead removed: ${overhead.perCall.toFixed(0)} per call, ${overhead.perChildCall.toFixed(0)} per child call`] };
}

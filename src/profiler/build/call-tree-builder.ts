/**
 * Builds a call tree from function entry and exit events (the instrumentation engine's
 * hooks). The clock is injected: wall time for the instrumented mode, the instruction counter
 * for the instructions mode — the same tree either way. A trap unwinds without exit events;
 * `unwind(at)` closes every open frame at the call boundary. Frames are told apart by the id
 * the events carry, never by name: two functions called `dup` stay two nodes.
 */
import { childFor, emptyTree, finishRoot, type CallTree, type CallTreeNode, type FrameIdentity, type ProfileMode, type WeightUnit } from '../model/call-tree.js';

/** Children by event id, beside each node (the hot path looks children up on every entry). */
const KIDS = Symbol('children by id');
type Indexed = CallTreeNode & { [KIDS]?: Map<number, CallTreeNode> };

/** `frame` is asked for only when the child is new: the hot path does one map lookup. */
function childById(parent: Indexed, id: number, frame: (id: number) => FrameIdentity): CallTreeNode {
  let kids = parent[KIDS];
  if (kids === undefined) {
    kids = new Map();
    Object.defineProperty(parent, KIDS, { value: kids, enumerable: false });
  }
  let child = kids.get(id);
  if (child === undefined) {
    child = childFor(parent, frame(id));
    kids.set(id, child);
  }
  return child;
}

interface Frame {
  readonly id: number;
  readonly node: CallTreeNode;
  readonly start: number;
  /** Weight of completed children. */
  childTotal: number;
}

export class CallTreeBuilder {
  private tree: CallTree;
  private readonly stack: Frame[] = [];
  private readonly frames: FrameIdentity[] = [];
  /** Calls closed by an unwind rather than an exit (traps). */
  unwoundFrames = 0;

  constructor(
    /** Function names by the id the events carry. */
    private readonly names: readonly string[],
    mode: ProfileMode,
    unit: WeightUnit,
    notes: readonly string[] = [],
    /**
     * Module function index of each id (undefined: a frame that is no guest function, such as
     * `(host)`). @default the ids themselves
     */
    private readonly functionIndices?: readonly (number | undefined)[],
  ) {
    this.tree = emptyTree(mode, unit, notes);
  }

  enter(id: number, at: number): void {
    const parent = this.stack[this.stack.length - 1]?.node ?? this.tree.root;
    this.stack.push({ id, node: childById(parent, id, this.frame), start: at, childTotal: 0 });
  }

  private readonly frame = (id: number): FrameIdentity => {
    let frame = this.frames[id];
    if (frame === undefined) {
      const index = this.functionIndices === undefined ? id : this.functionIndices[id];
      const name = this.names[id] ?? `#${id}`;
      frame = index === undefined ? { name } : { name, functionIndex: index };
      this.frames[id] = frame;
    }
    return frame;
  };

  exit(id: number, at: number): void {
    const frame = this.stack.pop();
    if (frame === undefined) return; // an exit without its enter (hooks attached mid-call): nothing to close
    if (frame.id !== id) {
      // Out of step: close frames until the matching one (never seen with the engine's hooks).
      this.close(frame, at);
      while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.id !== id) this.close(this.stack.pop()!, at);
      const match = this.stack.pop();
      if (match !== undefined) this.close(match, at);
      return;
    }
    this.close(frame, at);
  }

  /** Closes every open frame at `at` (the host's call boundary after a trap). */
  unwind(at: number): void {
    while (this.stack.length > 0) {
      this.unwoundFrames++;
      this.close(this.stack.pop()!, at);
    }
  }

  /** Drops recorded weights; open frames keep their place on the stack but restart now. */
  reset(): void {
    this.tree = emptyTree(this.tree.mode, this.tree.unit, this.tree.notes);
    const open = this.stack.splice(0);
    let parent = this.tree.root;
    for (const frame of open) {
      const node = childFor(parent, frame.node);
      this.stack.push({ id: frame.id, node, start: frame.start, childTotal: 0 });
      parent = node;
    }
    this.unwoundFrames = 0;
  }

  get depth(): number {
    return this.stack.length;
  }

  /** The tree so far (open frames are not included until they close). */
  build(): CallTree {
    finishRoot(this.tree.root);
    return this.tree;
  }

  private close(frame: Frame, at: number): void {
    const elapsed = Math.max(0, at - frame.start);
    const node = frame.node;
    node.calls++;
    node.total += elapsed;
    node.self += Math.max(0, elapsed - frame.childTotal);
    if (elapsed < node.min) node.min = elapsed;
    if (elapsed > node.max) node.max = elapsed;
    const parent = this.stack[this.stack.length - 1];
    if (parent !== undefined) parent.childTotal += elapsed;
  }
}

/**
 * The wasm call-tree recorder (assembly/recorders/call-tree.ts, shipped as
 * build/recorders/call-tree.wasm), one instance per sandbox: its exported enter/exit functions
 * become the guest's hook imports, so an event is a wasm-to-wasm call and the shadow stack and
 * call tree live in the recorder's own memory. JavaScript reads that memory into a CallTree
 * when asked, never per event.
 *
 * - instructions mode: the guest passes its fuel counter with each event and the fuel meter
 *   keeps the recorder's `base` global current (at refills and call starts only), so the
 *   recorder reads the same instruction clock `sandbox.instructionsExecuted()` would. Entries
 *   are deferred (abi.ts HOOK_GLOBALS): a call that makes no calls costs one event, not two.
 * - instrumented (clock) mode: the recorder imports `now` (performance.now): one call into
 *   JavaScript per event remains, for the clock alone (wasm has no clock).
 *
 * The guest is linked to the recorder's two functions only: it cannot reach its memory, its
 * globals or its other exports.
 */
import { createNode, emptyTree, finishRoot, type CallTree, type CallTreeNode, type ProfileMode, type WeightUnit } from '../../profiler/model/call-tree.js';
import { InvalidOptionError } from '../../errors.js';
import type { LinkedHooks } from '../guest-module.js';
import { recorderModule } from './bundled-recorders.js';

/** Limits on one recorder's memory; calls beyond them are folded into their caller (and noted). */
export interface RecorderLimits {
  /** Distinct call paths (tree nodes) kept. @default DEFAULT_RECORDER_LIMITS.maxNodes */
  readonly maxNodes?: number;
  /** Open calls kept on the shadow stack. @default DEFAULT_RECORDER_LIMITS.maxDepth */
  readonly maxDepth?: number;
}

/**
 * 56 B a node: ≈130 MB with the table at most, per sandbox, ≈260 MB counting the smaller copies
 * left behind as the regions doubled (the recorder's memory is capped at 1 GiB). The
 * depth bound also keeps trees shallow enough for the exporters and renderers, which recurse:
 * a guest recursing deeper, or catching exceptions in a loop (each throw skips exits until
 * the catching function returns), folds past it instead of making a tree 10 000 levels deep.
 */
export const DEFAULT_RECORDER_LIMITS = { maxNodes: 2_000_000, maxDepth: 2_000 } as const;

// The recorder's node layout (assembly/recorders/call-tree.ts): five f64 weights, then i32s.
const NODE_BYTES = 56;
const PARENT = 40;
const ID = 44;

interface RecorderExports {
  readonly memory: WebAssembly.Memory;
  readonly base: WebAssembly.Global;
  readonly live: WebAssembly.Global;
  readonly enterCounted: WebAssembly.ExportValue;
  readonly exitCounted: WebAssembly.ExportValue;
  readonly enterTimed: WebAssembly.ExportValue;
  readonly exitTimed: WebAssembly.ExportValue;
  init(maxNodes: number, maxDepth: number): number;
  unwindAt(at: number): void;
  reset(): void;
  nodeBase(): number;
  nodesRecorded(): number;
  openFrames(): number;
  foldedCalls(): number;
  unwoundFrames(): number;
}


/**
 * Wall clock in ms: performance.now itself, bound, imported as is — ≈30 % cheaper per event
 * from wasm than an arrow calling it (bench: ≈105–135 against ≈155–190 ns on fib). It is the
 * `performance.now` of when the recorder is made (the JS builder looks it up at each call).
 */
const wallClock = (): (() => number) => performance.now.bind(performance);

export type RecorderClock = 'instructions' | 'wall';

export class CallTreeRecorder {
  private readonly exports: RecorderExports;

  constructor(
    readonly clock: RecorderClock,
    limits: RecorderLimits = {},
    /** The wall clock, ms (injected by tests). @default performance.now */
    now: () => number = wallClock(),
  ) {
    const instance = new WebAssembly.Instance(recorderModule('call-tree'), { recorder: { now } });
    this.exports = instance.exports as unknown as RecorderExports;
    const maxNodes = positiveInteger(limits.maxNodes ?? DEFAULT_RECORDER_LIMITS.maxNodes, 'maxNodes');
    const maxDepth = positiveInteger(limits.maxDepth ?? DEFAULT_RECORDER_LIMITS.maxDepth, 'maxDepth');
    if (this.exports.init(maxNodes, maxDepth) === 0) throw new RangeError('the call-tree recorder could not allocate its first pages');
  }

  /** The guest's hook imports; `unwound` closes open frames at `at()` (the call boundary's clock). */
  linkedHooks(at: () => number): LinkedHooks & { readonly enter: WebAssembly.ExportValue; readonly exit: WebAssembly.ExportValue } {
    const e = this.exports;
    if (this.clock === 'wall') return { enter: e.enterTimed, exit: e.exitTimed, unwound: () => e.unwindAt(at()) };
    // The counter is the clock, so entries can wait for the next event (a leaf: one call, not two).
    return {
      enter: e.enterCounted,
      exit: e.exitCounted,
      deferEntries: true,
      clockBase: e.base,
      unwound: () => e.unwindAt(at()),
    };
  }

  /** The sandbox exists: from now on the instruction clock reads the meter (before, during the start function, 0). */
  start(): void {
    this.exports.live.value = 1;
  }

  unwind(at: number): void {
    this.exports.unwindAt(at);
  }

  reset(): void {
    this.exports.reset();
  }

  get depth(): number {
    return this.exports.openFrames();
  }

  /** Calls closed by an unwind rather than an exit (traps). */
  get unwoundFrames(): number {
    return this.exports.unwoundFrames();
  }

  /** Calls folded into their caller because the recorder's limits were reached. */
  get foldedCalls(): number {
    return this.exports.foldedCalls();
  }

  /**
   * The tree recorded so far, read from the recorder's memory (open frames are not included
   * until they close), the same tree CallTreeBuilder builds from the same events.
   */
  build(
    names: readonly string[],
    functionIndices: readonly (number | undefined)[],
    mode: ProfileMode,
    unit: WeightUnit,
    notes: readonly string[],
  ): CallTree {
    const e = this.exports;
    const folded = e.foldedCalls();
    const allNotes = folded === 0 ? notes : [...notes, foldedNote(folded)];
    const tree = emptyTree(mode, unit, allNotes);
    const count = e.nodesRecorded();
    const buffer = e.memory.buffer;
    const base = e.nodeBase();
    const weights = new Float64Array(buffer, base, (count * NODE_BYTES) / 8);
    const links = new Int32Array(buffer, base, (count * NODE_BYTES) / 4);
    const made: CallTreeNode[] = [tree.root];
    // Nodes were made in creation order, parents first: appending keeps the builder's sibling order.
    for (let index = 1; index < count; index++) {
      const w = (index * NODE_BYTES) / 8;
      const l = (index * NODE_BYTES) / 4;
      const id = links[l + ID / 4]!;
      const functionIndex = functionIndices[id];
      const node = createNode(names[id] ?? `#${id}`, functionIndex);
      node.calls = weights[w]!;
      node.total = weights[w + 1]!;
      node.self = weights[w + 2]!;
      node.min = weights[w + 3]!;
      node.max = weights[w + 4]!;
      made.push(node);
      made[links[l + PARENT / 4]!]!.children.push(node);
    }
    finishRoot(tree.root);
    return tree;
  }
}

export function foldedNote(calls: number): string {
  return `${calls} calls beyond the recorder's limits (distinct call paths or call depth) were folded: their weight counts as their caller's own`;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new InvalidOptionError(`options.recorderLimits.${name} must be a positive integer below 2^31, got ${String(value)}`);
  }
  return value;
}

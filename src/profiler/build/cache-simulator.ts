/**
 * The pure cache model (the reference every recorder is checked against), fed with the
 * memory hooks' addresses and, when hooks are on, function entries and exits:
 *
 *   reference ─► D1 (set-assoc LRU) ─miss─► LL (set-assoc LRU)      counters per call-tree node
 *             ├► reuse distance per D1 line (reuse-distance.ts)
 *             ├► stride per function (stride-detector.ts)
 *             └► working set: distinct D1 lines per call from the root
 *
 * A reference of at most one D1 line is one reference, counted once even when it straddles
 * two lines (both are used, one miss at most); a larger one (bulk `memory.copy/fill/init`)
 * counts as one reference per D1 line it covers. Write-allocate throughout.
 */
import type { CacheGeometry } from '../model/cache-report.js';
import type { CacheNodeRecord, CacheRecorderLimits, CacheRecording } from './cache-recording.js';
import { LruCacheLevel } from './lru-cache-level.js';
import { ReuseDistance } from './reuse-distance.js';
import { emptyStride, observeStride, STREAMS_PER_FUNCTION, streamClass, type StrideState } from './stride-detector.js';

type MutableNode = { -readonly [K in keyof CacheNodeRecord]: CacheNodeRecord[K] };

export class CacheSimulator {
  private readonly d1: LruCacheLevel;
  private readonly ll: LruCacheLevel;
  private readonly reuse: ReuseDistance;
  private readonly nodes: MutableNode[] = [];
  private readonly children = new Map<number, Map<number, number>>();
  private readonly strides: StrideState[];
  /** Open frames: node index per depth (depth 0 is the root). */
  private readonly stack: number[] = [0];
  private droppedNodes = 0;
  private overflow = 0;
  /** Frames that had no node of their own (table full): they close without popping. */
  private readonly dropped: boolean[] = [false];
  private readonly lastEpoch: Map<number, number> = new Map();
  private epoch = 0;
  private workingSet = 0;

  constructor(
    readonly geometry: CacheGeometry,
    private readonly limits: CacheRecorderLimits,
  ) {
    this.d1 = new LruCacheLevel(geometry.d1);
    this.ll = new LruCacheLevel(geometry.ll);
    this.reuse = new ReuseDistance(limits.maxLines);
    this.strides = Array.from({ length: (limits.functions + 1) * STREAMS_PER_FUNCTION }, emptyStride);
    this.nodes.push(newNode(-1, -1));
  }

  load(address: number, bytes: number): void {
    this.reference(address, bytes, false);
  }

  store(address: number, bytes: number): void {
    this.reference(address, bytes, true);
  }

  enter(fn: number): void {
    if (this.stack.length >= this.limits.maxDepth) {
      // Deeper than the recorder's stack table: the frame stays in its caller, and so does its exit.
      this.overflow++;
      this.droppedNodes++;
      return;
    }
    const parent = this.stack[this.stack.length - 1]!;
    if (this.stack.length === 1) {
      this.epoch++;
      this.workingSet = 0;
    }
    let kids = this.children.get(parent);
    let node = kids?.get(fn);
    if (node === undefined) {
      if (this.nodes.length >= this.limits.maxNodes) {
        this.droppedNodes++;
        this.stack.push(parent);
        this.dropped.push(true);
        return;
      }
      node = this.nodes.length;
      this.nodes.push(newNode(parent, fn));
      if (kids === undefined) this.children.set(parent, (kids = new Map()));
      kids.set(fn, node);
    }
    this.stack.push(node);
    this.dropped.push(false);
  }

  exit(_fn: number): void {
    if (this.overflow > 0) this.overflow--;
    else if (this.stack.length > 1) this.close();
  }

  /** A trap unwound every open frame without exits: close them at the call boundary. */
  unwind(): void {
    this.overflow = 0;
    while (this.stack.length > 1) this.close();
  }

  private close(): void {
    const node = this.stack.pop()!;
    const wasDropped = this.dropped.pop()!;
    if (!wasDropped) this.nodes[node]!.calls++;
    if (this.stack.length === 1 && !wasDropped) this.nodes[node]!.workingSetLines += this.workingSet;
  }

  private reference(address: number, bytes: number, write: boolean): void {
    if (bytes <= 0) return;
    const line = this.d1.lineBytes;
    if (bytes <= line) {
      this.one(address, bytes, write);
      return;
    }
    const end = address + bytes;
    for (let at = address; at < end; ) {
      const next = Math.min(end, (Math.floor(at / line) + 1) * line);
      this.one(at, next - at, write);
      at = next;
    }
  }

  private one(address: number, bytes: number, write: boolean): void {
    const index = this.stack[this.stack.length - 1]!;
    const node = this.nodes[index]!;
    if (write) node.writes++;
    else node.reads++;
    const block = node.fn >= 0 && node.fn < this.limits.functions ? node.fn + 1 : 0;
    observeStride(this.strides[block * STREAMS_PER_FUNCTION + streamClass(write, bytes)]!, address, bytes);
    if (this.d1.access(address, bytes)) {
      if (write) node.d1WriteMisses++;
      else node.d1ReadMisses++;
      if (this.ll.access(address, bytes)) {
        if (write) node.llWriteMisses++;
        else node.llReadMisses++;
      }
    }
    const lineBytes = this.d1.lineBytes;
    const first = Math.floor(address / lineBytes);
    const last = Math.floor((address + bytes - 1) / lineBytes);
    for (let l = first; l <= last; l++) {
      this.reuse.touch(l);
      if (this.epoch > 0 && this.stack.length > 1 && l < this.limits.maxLines && this.lastEpoch.get(l) !== this.epoch) {
        this.lastEpoch.set(l, this.epoch);
        this.workingSet++;
      }
    }
  }

  recording(): CacheRecording {
    return {
      nodes: this.nodes.map((n) => ({ ...n })),
      strides: this.strides.map(({ deltas, repeats, candidate, votes, maxBytes }) => ({ deltas, repeats, candidate, votes, maxBytes })),
      reuseBuckets: [...this.reuse.buckets],
      reuseCold: this.reuse.cold,
      untrackedLines: this.reuse.untracked,
      droppedNodes: this.droppedNodes,
    };
  }
}

function newNode(parent: number, fn: number): MutableNode {
  return { parent, fn, calls: 0, reads: 0, writes: 0, d1ReadMisses: 0, d1WriteMisses: 0, llReadMisses: 0, llWriteMisses: 0, workingSetLines: 0 };
}

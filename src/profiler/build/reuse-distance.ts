/**
 * LRU stack distance of every line touch, in power-of-two buckets: the number of distinct
 * lines touched since this line was last touched. A fully associative LRU cache of C lines
 * misses exactly the touches whose distance is ≥ C, so one pass gives every cache size's
 * miss rate (exactly at the bucket edges, C = 1, 2, 4, …).
 *
 * The LRU stack is a doubly linked list of lines cut into segments that match the buckets:
 * segment 0 is depth 0, segment k ≥ 1 depths 2^(k-1) … 2^k − 1. Each line knows its segment
 * (that is its distance's bucket) and each segment its deepest line. Moving a line of segment
 * s to the top pushes the deepest line of each segment above it one segment down: O(s) work,
 * so near reuse is cheap and nothing is ever renumbered. The wasm recorder
 * (assembly/recorders/cache.ts) keeps the same stack and segments as latest-touch times (a
 * segment moves by a forward scan of a table indexed by time, not by chasing scattered
 * pointers), so its buckets are these, touch for touch.
 */

/** Buckets: 0 holds distance 0, bucket k ≥ 1 distances 2^(k-1) … 2^k − 1. */
export const REUSE_BUCKETS = 33;

export function reuseBucket(distance: number): number {
  return distance === 0 ? 0 : 32 - Math.clz32(distance);
}

export function reuseBucketMax(bucket: number): number {
  return 2 ** bucket - 1;
}

const NONE = -1;

export class ReuseDistance {
  readonly buckets = new Array<number>(REUSE_BUCKETS).fill(0);
  cold = 0;
  /** Touches of lines at or beyond `maxLines` (not tracked). */
  untracked = 0;
  /** Per line: neighbours towards the top (prev) and the bottom (next), and segment + 1 (0 = never touched). */
  private prev = new Int32Array(1024);
  private next = new Int32Array(1024);
  private segment = new Int32Array(1024);
  /** Deepest line of each segment, NONE past the stack's end. */
  private readonly tail = new Int32Array(REUSE_BUCKETS + 1).fill(NONE);
  private head = NONE;
  private size = 0;

  constructor(readonly maxLines: number) {}

  /** Records a touch of `line`; returns its distance's bucket (-1 for a first touch or an untracked line). */
  touch(line: number): number {
    if (line >= this.maxLines) {
      this.untracked++;
      return -1;
    }
    if (line >= this.segment.length) this.grow(line);
    const s = this.segment[line]! - 1;
    if (s === 0) {
      this.buckets[0]!++;
      return 0;
    }
    if (s < 0) {
      this.cold++;
      // Every full segment passes its deepest line down; the last, partial one keeps its own.
      for (let k = 0; this.tail[k] !== NONE; k++) {
        if (this.size - 1 < reuseBucketMax(k)) break;
        const moved = this.tail[k]!;
        this.segment[moved] = k + 2;
        this.tail[k] = k === 0 ? line : this.prev[moved]!;
        if (this.tail[k + 1] === NONE) {
          this.tail[k + 1] = moved;
          break;
        }
      }
      if (this.tail[0] === NONE) this.tail[0] = line;
      this.size++;
    } else {
      this.buckets[s]!++;
      if (this.tail[s] === line) this.tail[s] = this.prev[line]!;
      for (let k = 0; k < s; k++) {
        const moved = this.tail[k]!;
        this.segment[moved] = k + 2;
        this.tail[k] = k === 0 ? line : this.prev[moved]!;
      }
      // Unlink (a line of segment ≥ 1 is never the head).
      const before = this.prev[line]!;
      const after = this.next[line]!;
      this.next[before] = after;
      if (after !== NONE) this.prev[after] = before;
    }
    this.prev[line] = NONE;
    this.next[line] = this.head;
    if (this.head !== NONE) this.prev[this.head] = line;
    this.head = line;
    this.segment[line] = 1;
    return s < 0 ? -1 : s;
  }

  private grow(line: number): void {
    let size = this.segment.length;
    while (size <= line) size *= 2;
    size = Math.min(size, this.maxLines);
    for (const key of ['prev', 'next', 'segment'] as const) {
      const bigger = new Int32Array(size);
      bigger.set(this[key]);
      this[key] = bigger;
    }
  }
}

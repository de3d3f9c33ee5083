/**
 * One set-associative cache level with LRU replacement, as cachegrind models it: a line's tag
 * is its line number, each set keeps its tags most recent first, a miss evicts the least
 * recent and allocates (reads and writes alike: write-allocate). Geometry must be validated
 * first (cache-geometry.ts): sets a power of two.
 */
import type { CacheLevelGeometry } from '../model/cache-report.js';
import { setsOf } from './cache-geometry.js';

const EMPTY = -1;

export class LruCacheLevel {
  /** sets × ways tags, each set most recently used first; EMPTY where nothing was loaded yet. */
  private readonly tags: Int32Array;
  private readonly setMask: number;
  private readonly ways: number;
  readonly lineBytes: number;

  constructor(geometry: CacheLevelGeometry) {
    this.ways = geometry.associativity;
    this.setMask = setsOf(geometry) - 1;
    this.lineBytes = geometry.lineBytes;
    this.tags = new Int32Array(setsOf(geometry) * this.ways).fill(EMPTY);
  }

  /** Uses line number `line`; true when it missed (and was loaded, evicting the set's LRU line). */
  touch(line: number): boolean {
    const tags = this.tags;
    const base = (line & this.setMask) * this.ways;
    if (tags[base] === line) return false;
    let way = 1;
    while (way < this.ways && tags[base + way] !== line) way++;
    const hit = way < this.ways;
    // Hit: the ways above it move down one; miss: all move down and the last falls out.
    for (let i = hit ? way : this.ways - 1; i > 0; i--) tags[base + i] = tags[base + i - 1]!;
    tags[base] = line;
    return !hit;
  }

  /** A reference to [address, address + bytes): every line it covers is used; one miss at most. */
  access(address: number, bytes: number): boolean {
    const first = Math.floor(address / this.lineBytes);
    const last = Math.floor((address + bytes - 1) / this.lineBytes);
    let miss = false;
    for (let line = first; line <= last; line++) if (this.touch(line)) miss = true;
    return miss;
  }

  /** The set's tags, most recent first (tests). */
  set(index: number): number[] {
    return [...this.tags.subarray(index * this.ways, (index + 1) * this.ways)];
  }
}

/**
 * A single-producer/single-consumer ring of length-prefixed frames in a SharedArrayBuffer.
 * Pure index arithmetic over views: no worker, no waiting (callers decide how to wait on the
 * sequence words with Atomics). A static `allocate` sizes a new buffer; the constructor wraps
 * an existing one, so either thread rebuilds the ring after `postMessage`.
 *
 * Layout (bytes):            0: head     (u32, bytes ever written; producer-owned)
 *                            4: tail     (u32, bytes ever consumed; consumer-owned)
 *                            8: dataSeq  (i32, bumped after each publish: consumers wait on it)
 *                           12: spaceSeq (i32, bumped after each consume: producers wait on it)
 *                           16: capacity (u32, a power of two)
 *                           64: data
 * Frame: u32 little-endian payload length, an i32 claim word (0 when written), payload, padding
 * to 8 bytes, so every payload starts 8-byte aligned (typed arrays in it can be viewed in place).
 * The claim word is the one place both threads decide a frame's fate with compare-and-swap
 * (`claim`): what the states mean is the user's (the pool's: queued, started, withdrawn). Frames never
 * wrap: when one does not fit before the end, the producer writes a skip marker (length
 * 0xffffffff) and the frame goes to the start, so a payload is always one contiguous view.
 * Payloads are limited to half the capacity less the prefix: an empty ring always takes one.
 */

export const HEADER_BYTES = 64;
const HEAD = 0;
const TAIL = 1;
export const DATA_SEQ = 2;
export const SPACE_SEQ = 3;
const CAPACITY = 4;

export type WriteStatus = 'ok' | 'full' | 'too-large';

export type ReadResult =
  | { readonly status: 'empty' }
  /** `frame`: the frame's position (bytes ever written before it), for `claim`. */
  | { readonly status: 'ok'; readonly payload: Uint8Array; readonly frameBytes: number; readonly frame: number }
  | { readonly status: 'corrupt'; readonly reason: string };

/** One object for every empty read: a spinning consumer polls thousands of times a call. */
const EMPTY: ReadResult = Object.freeze({ status: 'empty' });

const PREFIX = 8;
const SKIP = 0xffffffff;

export function frameBytes(payloadLength: number): number {
  return (PREFIX + payloadLength + 7) & ~7;
}

export class RingBuffer {
  readonly header: Int32Array;
  readonly data: Uint8Array;
  /** A DataView over the data area, for writers that fill reserved payloads in place. */
  readonly view: DataView;
  readonly capacity: number;
  private readonly mask: number;
  /** The length prefix, reused by every write. */
  private readonly prefix = new Uint8Array(PREFIX);
  private readonly prefixView = new DataView(this.prefix.buffer);
  /** The whole buffer as words, for the frames' claim words (and the stream words of filled frames). */
  readonly words: Int32Array;
  /** Producer: the position of the frame the last successful write (or reserve) placed. */
  lastFrame = 0;

  static allocate(capacity: number): SharedArrayBuffer {
    if (!Number.isInteger(capacity) || capacity < 64 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`ring capacity must be a power of two ≥ 64, got ${capacity}`);
    }
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacity);
    new Int32Array(buffer, 0, HEADER_BYTES / 4)[CAPACITY] = capacity;
    return buffer;
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.capacity = this.header[CAPACITY]! >>> 0;
    if (this.capacity === 0 || buffer.byteLength !== HEADER_BYTES + this.capacity) {
      throw new RangeError('not a ring buffer: capacity word does not match the buffer size');
    }
    this.data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.view = new DataView(buffer, HEADER_BYTES, this.capacity);
    this.words = new Int32Array(buffer);
    this.mask = this.capacity - 1;
  }

  /**
   * Compare-and-swap on the claim word of the frame at `frame` (a position from `lastFrame` or
   * `peek`): sets it to `next` if it holds `expected`; returns what it held. The producer may
   * call it only while `intact(frame)`.
   */
  claim(frame: number, expected: number, next: number): number {
    return Atomics.compareExchange(this.words, (HEADER_BYTES + (frame & this.mask) + 4) >> 2, expected, next);
  }

  /** The frame at `frame` has not been consumed yet. */
  holds(frame: number): boolean {
    const tail = Atomics.load(this.header, TAIL);
    return ((frame - tail) >>> 0) < ((Atomics.load(this.header, HEAD) - tail) >>> 0);
  }

  /** The frame at `frame` (consumed or not) has not been overwritten by a later one: its claim word still is its own. */
  intact(frame: number): boolean {
    return ((Atomics.load(this.header, HEAD) - frame) >>> 0) <= this.capacity;
  }

  /** A copy of the payload of the frame at `frame` (while intact). */
  copyFrame(frame: number): Uint8Array {
    const at = frame & this.mask;
    const length = this.readU32(frame);
    return this.data.slice(at + PREFIX, at + PREFIX + length);
  }

  /** Empties the ring for reuse (only when no thread uses it): fresh shared memory is slow to touch. */
  clear(): void {
    Atomics.store(this.header, HEAD, 0);
    Atomics.store(this.header, TAIL, 0);
    Atomics.store(this.header, DATA_SEQ, 0);
    Atomics.store(this.header, SPACE_SEQ, 0);
  }

  /** Bytes of published frames not yet consumed. */
  used(): number {
    return (Atomics.load(this.header, HEAD) - Atomics.load(this.header, TAIL)) >>> 0;
  }

  free(): number {
    return this.capacity - this.used();
  }

  /** Largest payload a frame can carry in this ring. */
  get maxPayload(): number {
    return this.capacity / 2 - PREFIX;
  }

  /** Producer: writes one frame made of `parts` (concatenated) and publishes it. */
  tryWrite(parts: readonly Uint8Array[]): WriteStatus {
    let length = 0;
    for (const part of parts) length += part.length;
    if (length > this.maxPayload) return 'too-large';
    const needed = frameBytes(length);
    let head = Atomics.load(this.header, HEAD) >>> 0;
    const tail = Atomics.load(this.header, TAIL) >>> 0;
    const free = this.capacity - ((head - tail) >>> 0);
    const contiguous = this.capacity - (head & this.mask);
    const skip = needed > contiguous ? contiguous : 0;
    if (free < skip + needed) return 'full';
    if (skip > 0) {
      new DataView(this.buffer, HEADER_BYTES + (head & this.mask), 4).setUint32(0, SKIP, true);
      head = (head + skip) >>> 0;
    }
    this.prefixView.setUint32(0, length, true);
    this.lastFrame = head;
    let at = this.copyIn(this.prefix, head);
    for (const part of parts) at = this.copyIn(part, at);
    Atomics.store(this.header, HEAD, (head + needed) | 0);
    Atomics.add(this.header, DATA_SEQ, 1);
    return 'ok';
  }

  /**
   * Producer, zero-copy: room for a `length`-byte payload, written in place through `view` at
   * the returned offset, then published by `commit(length)`. -1 when the ring is full (or the
   * payload too large): nothing was reserved.
   */
  reserve(length: number): number {
    if (length > this.maxPayload) return -1;
    const needed = frameBytes(length);
    let head = Atomics.load(this.header, HEAD) >>> 0;
    const tail = Atomics.load(this.header, TAIL) >>> 0;
    const contiguous = this.capacity - (head & this.mask);
    const skip = needed > contiguous ? contiguous : 0;
    if (this.capacity - ((head - tail) >>> 0) < skip + needed) return -1;
    if (skip > 0) {
      this.view.setUint32(head & this.mask, SKIP, true);
      head = (head + skip) >>> 0;
      Atomics.store(this.header, HEAD, head | 0); // the skip alone is a complete step for the consumer
    }
    this.view.setUint32(head & this.mask, length, true);
    this.view.setInt32((head & this.mask) + 4, 0, true);
    this.lastFrame = head;
    return (head & this.mask) + PREFIX;
  }

  /** Publishes the payload written after `reserve(length)`. */
  commit(length: number): void {
    Atomics.store(this.header, HEAD, (Atomics.load(this.header, HEAD) + frameBytes(length)) | 0);
    Atomics.add(this.header, DATA_SEQ, 1);
  }

  /**
   * Consumer: the next frame's payload. A frame that does not wrap is a view into the ring,
   * valid until `consume(frameBytes)`; a wrapped one is copied.
   */
  peek(): ReadResult {
    const head = Atomics.load(this.header, HEAD) >>> 0;
    let tail = Atomics.load(this.header, TAIL) >>> 0;
    let used = (head - tail) >>> 0;
    if (used === 0) return EMPTY;
    if (used < PREFIX || used > this.capacity) return { status: 'corrupt', reason: `${used} bytes published, not a whole frame` };
    if (this.readU32(tail) === SKIP) {
      const rest = this.capacity - (tail & this.mask);
      if (rest > used) return { status: 'corrupt', reason: `skip marker over ${rest} bytes, ${used} published` };
      tail = (tail + rest) >>> 0;
      Atomics.store(this.header, TAIL, tail | 0);
      used -= rest;
      if (used === 0) return EMPTY;
    }
    const length = this.readU32(tail);
    const size = frameBytes(length);
    if (length > this.maxPayload || size > used) {
      return { status: 'corrupt', reason: `length prefix ${length} exceeds the ${used - PREFIX} bytes published` };
    }
    const start = (tail + PREFIX) & this.mask;
    const payload =
      start + length <= this.capacity ? this.data.subarray(start, start + length) : this.copyOut(start, length);
    return { status: 'ok', payload, frameBytes: size, frame: tail };
  }

  /** The payload length, frame size and position of the frame `peekInPlace` found. */
  peekedLength = 0;
  peekedFrameBytes = 0;
  peekedFrame = 0;

  /**
   * Consumer, zero-copy and allocation-free: the `view` offset of the next frame's payload when
   * it lies whole in the ring (its length in `peekedLength`, its size in `peekedFrameBytes`);
   * -1 otherwise — empty, a skip marker, wrapped or corrupt: `peek` handles those.
   */
  peekInPlace(): number {
    const head = Atomics.load(this.header, HEAD) >>> 0;
    const tail = Atomics.load(this.header, TAIL) >>> 0;
    const used = (head - tail) >>> 0;
    if (used < PREFIX || used > this.capacity) return -1;
    const length = this.readU32(tail);
    if (length === SKIP || length > this.maxPayload) return -1;
    const size = frameBytes(length);
    const start = (tail + PREFIX) & this.mask;
    if (size > used || start + length > this.capacity) return -1;
    this.peekedLength = length;
    this.peekedFrameBytes = size;
    this.peekedFrame = tail;
    return start;
  }

  /** Consumer: releases the frame `peek` returned. */
  consume(frameBytes: number): void {
    Atomics.store(this.header, TAIL, (Atomics.load(this.header, TAIL) + frameBytes) | 0);
    Atomics.add(this.header, SPACE_SEQ, 1);
  }

  private copyIn(bytes: Uint8Array, at: number): number {
    const position = at & this.mask;
    const first = Math.min(bytes.length, this.capacity - position);
    this.data.set(first === bytes.length ? bytes : bytes.subarray(0, first), position);
    if (first < bytes.length) this.data.set(bytes.subarray(first), 0);
    return (at + bytes.length) >>> 0;
  }

  private copyOut(start: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = this.capacity - start;
    out.set(this.data.subarray(start, this.capacity), 0);
    out.set(this.data.subarray(0, length - first), first);
    return out;
  }

  private readU32(at: number): number {
    const d = this.data;
    const m = this.mask;
    return (d[at & m]! | (d[(at + 1) & m]! << 8) | (d[(at + 2) & m]! << 16) | (d[(at + 3) & m]! << 24)) >>> 0;
  }
}

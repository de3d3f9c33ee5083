/**
 * Buffers for the copies of large calls, used again: a call that waits for ring space is given
 * its buffer back once its frame is in the ring, a streamed one (larger than a frame) once it
 * settles. A call that cannot go into the ring at once is copied (its caller may change its
 * arrays as soon as the call has returned), and a fresh buffer for each copy paid the
 * allocation and the first touch of every page: a 1 MiB copy took 0.5 ms, a third of the
 * caller's thread with 1 MiB calls 16 in flight; a 16 MiB one 12 ms against 4.4 ms into a kept
 * buffer. Bounded: at most `count` buffers and `bytes` bytes are kept free; a buffer is handed
 * out whole or not at all, never to two frames at once.
 */
export class KeptBuffers {
  private readonly free: Uint8Array[] = [];
  private freeBytes = 0;

  constructor(
    /** Copies smaller than this are left to the allocator (cheap, and not worth keeping). */
    private readonly minBytes: number,
    private readonly count: number,
    private readonly bytes: number,
  ) {}

  /**
   * A buffer of at least `length` bytes: the smallest kept one that fits and is at most twice
   * as large (a 16 MiB buffer is not spent on a 1 MiB copy), else a new one; undefined for a
   * small copy or one over the bound.
   */
  take(length: number): Uint8Array | undefined {
    if (length < this.minBytes || length > this.bytes) return undefined;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= length && size <= 2 * length && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0) return new Uint8Array(length);
    const [buffer] = this.free.splice(best, 1);
    this.freeBytes -= buffer!.byteLength;
    return buffer;
  }

  /** Gives back a buffer from `take` that no frame refers to any more. */
  give(buffer: Uint8Array): void {
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
    // Over a bound: the smallest go first (the next large call would not fit in them anyway).
    while (this.free.length > this.count || this.freeBytes > this.bytes) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i]!.byteLength < this.free[smallest]!.byteLength) smallest = i;
      this.freeBytes -= this.free[smallest]!.byteLength;
      this.free.splice(smallest, 1);
    }
  }

  /** Bytes held free (for tests). */
  get heldBytes(): number {
    return this.freeBytes;
  }
}

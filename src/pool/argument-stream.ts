/**
 * The arrays of a large typed call, streamed through a window of the request ring (codec.ts kind
 * 4). The caller publishes the frame with nothing arrived, then writes the arrays' bytes in
 * order; the worker copies them into guest memory as they arrive and hands back the window space
 * behind it. A window smaller than the arrays keeps the bytes in cache between the two copies
 * (measured: a 64 MiB frame copied through whole ran at ≈0.75× memcpy, through a 2 MiB window at
 * ≈1.0–1.15×) and lets a call larger than half a ring go out without a staging copy.
 *
 * Five u32 words, 4-aligned, after the call's signature:
 *   arrived  — stream bytes written so far (the writer raises it);
 *   consumed — stream bytes the reader no longer needs; DRAINED once it wants no more;
 *   window   — bytes of window; stream byte k lives at start + k mod window;
 *   start    — where the window begins in the payload (8-aligned);
 *   total    — stream bytes in all.
 * A frame encoded whole (or gathered from chunks) has window = total and arrived = total.
 */

export const STREAM_WORDS = { arrived: 0, consumed: 1, window: 2, start: 3, total: 4 } as const;
export const STREAM_WORD_BYTES = 20;
/** The reader is done with the call (it ran, failed or was withdrawn): the writer stops. */
export const DRAINED = -1;
/** At most this much is copied between two hand-backs (or publications): the copies overlap in slices. */
export const STREAM_SLICE_BYTES = 256 * 1024;

/** Worker side: reads a call's streamed arrays, in order, as their bytes arrive. */
export class StreamReader {
  readonly window: number;
  readonly start: number;
  readonly total: number;
  private readonly wraps: boolean;
  /** The ring's writer may still be writing (a frame gathered from chunks is complete or short, never growing). */
  private readonly shared: boolean;
  private released = 0;

  constructor(
    private readonly words: Int32Array,
    private readonly payload: Uint8Array,
    minStart: number,
  ) {
    this.window = words[STREAM_WORDS.window]! >>> 0;
    this.start = words[STREAM_WORDS.start]! >>> 0;
    this.total = words[STREAM_WORDS.total]! >>> 0;
    this.shared = words.buffer instanceof SharedArrayBuffer;
    if (this.start < minStart || this.start % 8 !== 0 || this.window % 8 !== 0 || this.start + this.window > payload.byteLength || (this.window === 0 && this.total > 0) || this.total >= 2 ** 31) {
      throw new RangeError('filled typed call with a malformed stream window');
    }
    this.wraps = this.window < this.total;
  }

  /** `bytes` stream bytes from `offset` into `into` at `at`, each slice once it has arrived. */
  read(offset: number, bytes: number, into: Uint8Array, at: number): void {
    if (offset + bytes > this.total) throw new RangeError('streamed argument runs past the end of the stream');
    if (this.wraps && offset < this.released) throw new RangeError('streamed arguments read out of order');
    const { window, start, payload } = this;
    for (let done = 0; done < bytes; ) {
      const position = offset + done;
      const have = this.arrivedPast(position);
      const inWindow = position % window;
      const n = Math.min(bytes - done, have - position, window - inWindow, STREAM_SLICE_BYTES);
      into.set(payload.subarray(start + inWindow, start + inWindow + n), at + done);
      done += n;
      if (this.wraps) this.handBack(position + n);
    }
  }

  /** Wants no more: the writer stops (a call that failed before reading its arrays, or was withdrawn). */
  finish(): void {
    if (!this.shared) return;
    Atomics.store(this.words, STREAM_WORDS.consumed, DRAINED);
    Atomics.notify(this.words, STREAM_WORDS.consumed);
  }

  private handBack(to: number): void {
    this.released = to;
    Atomics.store(this.words, STREAM_WORDS.consumed, to);
    Atomics.notify(this.words, STREAM_WORDS.consumed);
  }

  /** The arrived count once it is past `position`: spins while its writer copies, then sleeps in short waits. */
  private arrivedPast(position: number): number {
    let have = Atomics.load(this.words, STREAM_WORDS.arrived) >>> 0;
    if (have > position) return have;
    if (!this.shared) throw new RangeError('filled typed call short of the bytes its arguments name');
    for (let polls = 0; have <= position; polls++) {
      if (polls > 10_000) Atomics.wait(this.words, STREAM_WORDS.arrived, have | 0, 1);
      have = Atomics.load(this.words, STREAM_WORDS.arrived) >>> 0;
    }
    return have;
  }
}

/** Where a writer puts a stream: the ring's bytes and words, and the frame's window in them. */
export interface StreamTarget {
  readonly data: Uint8Array;
  /** Offset in `data` of the window's first byte. */
  readonly base: number;
  readonly window: number;
  readonly words: Int32Array;
  /** Index in `words` of the frame's first stream word. */
  readonly at: number;
}

export type StreamState = 'done' | 'drained' | 'stalled';

/** Caller side: writes a call's arrays into its frame's window as the worker hands space back. */
export class StreamWriter {
  private written = 0;
  private part = 0;
  private inPart = 0;

  constructor(
    private readonly target: StreamTarget,
    /** The stream's bytes, in order: the arrays and the padding between them. */
    private parts: readonly Uint8Array[],
    readonly total: number,
  ) {}

  /** Index in the target's words of the reader's consumed word (what an asynchronous wait waits on). */
  get consumedIndex(): number {
    return this.target.at + STREAM_WORDS.consumed;
  }

  /** The reader's consumed word now. */
  consumed(): number {
    return Atomics.load(this.target.words, this.consumedIndex);
  }

  /**
   * Writes all the window has room for, waiting for room up to `patienceMs` without the reader
   * handing any back (0: no waiting). 'stalled' when it stopped short of the end.
   */
  pump(patienceMs: number): StreamState {
    const { data, base, window, words, at } = this.target;
    let waitedSince = -1;
    while (this.written < this.total) {
      const consumed = this.consumed();
      if (consumed === DRAINED) return 'drained';
      const room = consumed + window - this.written;
      if (room <= 0) {
        if (patienceMs <= 0) return 'stalled';
        const now = performance.now();
        if (waitedSince < 0) waitedSince = now;
        else if (now - waitedSince >= patienceMs) return 'stalled';
        // The worker hands back a slice every ≈50 µs while it copies: a short spin catches most.
        let polls = 0;
        while (polls < 2000 && this.consumed() === consumed) polls++;
        if (polls === 2000) Atomics.wait(words, this.consumedIndex, consumed, Math.max(0.1, patienceMs - (now - waitedSince)));
        continue;
      }
      waitedSince = -1;
      const source = this.parts[this.part]!;
      if (this.inPart === source.byteLength) {
        this.part++;
        this.inPart = 0;
        continue;
      }
      const position = this.written % window;
      const n = Math.min(room, source.byteLength - this.inPart, window - position, STREAM_SLICE_BYTES);
      data.set(source.subarray(this.inPart, this.inPart + n), base + position);
      this.inPart += n;
      this.written += n;
      Atomics.store(words, at + STREAM_WORDS.arrived, this.written);
      Atomics.notify(words, at + STREAM_WORDS.arrived);
    }
    return 'done';
  }

  /** What is left to write, copied into bytes of its own: the caller's arrays may change once `invoke` has returned. */
  keepRest(): void {
    const rest = new Uint8Array(this.total - this.written);
    let to = 0;
    for (let i = this.part; i < this.parts.length; i++) {
      const source = i === this.part ? this.parts[i]!.subarray(this.inPart) : this.parts[i]!;
      rest.set(source, to);
      to += source.byteLength;
    }
    this.parts = [rest];
    this.part = 0;
    this.inPart = 0;
  }
}

/**
 * The window a large call's arrays stream through (argument-stream.ts), both ends in one thread:
 * each read asks only for bytes already written, so nothing blocks. Exact bytes through every
 * wrap of a 16-byte window, the hand-back that gates the writer, and the two ways a stream ends
 * early. (Two threads at full size: test/pool-fill.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { DRAINED, STREAM_WORDS, StreamReader, StreamWriter } from '../src/pool/argument-stream.js';

const WINDOW = 16;
const START = 24; // where the window begins in the payload (after 20 bytes of stream words, 8-aligned)

/** A frame in shared memory as the ring holds one: stream words at 0, the window at START. */
function frame(total: number): { payload: Uint8Array; words: Int32Array; reader: StreamReader } {
  const payload = new Uint8Array(new SharedArrayBuffer(START + WINDOW));
  const words = new Int32Array(payload.buffer, 0, 5);
  words[STREAM_WORDS.window] = WINDOW;
  words[STREAM_WORDS.start] = START;
  words[STREAM_WORDS.total] = total;
  return { payload, words, reader: new StreamReader(words, payload, 20) };
}

const bytes = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => from + i);

describe('argument stream', () => {
  it('carries the exact bytes through a window smaller than them, the writer held to what the reader handed back', () => {
    const a = bytes(24, 1);
    const b = bytes(16, 101);
    const { payload, words, reader } = frame(40);
    const writer = new StreamWriter({ data: payload, base: START, window: WINDOW, words, at: 0 }, [a, b], 40);
    expect(writer.pump(0)).toBe('stalled'); // a window's worth, no more
    expect(words[STREAM_WORDS.arrived]).toBe(16);
    const into = new Uint8Array(40);
    reader.read(0, 10, into, 0);
    expect(words[STREAM_WORDS.consumed]).toBe(10);
    expect(writer.pump(0)).toBe('stalled');
    expect(words[STREAM_WORDS.arrived]).toBe(26); // 10 handed back: bytes 16..25, wrapping to the window's start
    reader.read(10, 14, into, 10); // the rest of a, across the wrap
    expect(writer.pump(0)).toBe('done');
    reader.read(24, 16, into, 24);
    expect([...into]).toEqual([...a, ...b]);
  });

  it('refuses a read behind what it handed back (the window has moved on), and a read past the stream', () => {
    const { payload, words, reader } = frame(40);
    new StreamWriter({ data: payload, base: START, window: WINDOW, words, at: 0 }, [bytes(40, 0)], 40).pump(0);
    reader.read(0, 12, new Uint8Array(12), 0);
    expect(() => reader.read(4, 4, new Uint8Array(4), 0)).toThrow(/out of order/);
    expect(() => reader.read(36, 8, new Uint8Array(8), 0)).toThrow(/past the end/);
  });

  it('stops the writer once the reader wants no more; a writer that keeps the rest is not changed by its caller', () => {
    const source = bytes(40, 7);
    const { payload, words, reader } = frame(40);
    const writer = new StreamWriter({ data: payload, base: START, window: WINDOW, words, at: 0 }, [source], 40);
    expect(writer.pump(0)).toBe('stalled');
    writer.keepRest();
    source.fill(0); // the caller's array, changed after invoke returned
    const into = new Uint8Array(40);
    reader.read(0, 16, into, 0);
    writer.pump(0);
    reader.read(16, 16, into, 16);
    writer.pump(0);
    reader.read(32, 8, into, 32);
    expect([...into]).toEqual([...bytes(40, 7)]);
    const second = frame(40);
    const stopped = new StreamWriter({ data: second.payload, base: START, window: WINDOW, words: second.words, at: 0 }, [bytes(40, 0)], 40);
    expect(stopped.pump(0)).toBe('stalled');
    second.reader.finish();
    expect(second.words[STREAM_WORDS.consumed]).toBe(DRAINED);
    expect(stopped.pump(0)).toBe('drained');
    expect(second.words[STREAM_WORDS.arrived]).toBe(16); // nothing more written
  });

  it('waits for room at most its patience when the reader hands nothing back', () => {
    const { payload, words } = frame(40);
    const writer = new StreamWriter({ data: payload, base: START, window: WINDOW, words, at: 0 }, [bytes(40, 0)], 40);
    const start = performance.now();
    expect(writer.pump(30)).toBe('stalled');
    const waited = performance.now() - start;
    expect(waited).toBeGreaterThanOrEqual(29);
    expect(waited).toBeLessThan(1000);
  });
});

/**
 * The pool's allocation-free read path: numbers-only calls and answers decoded where they lie in
 * the ring (RingBuffer.peekInPlace, decodeNumericCallAt, decodeNumericAnswerAt) must read what
 * the allocating path reads, and hand every other frame to `peek`.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeNumericAnswerAt, decodeNumericCall, decodeNumericCallAt, encodeNumericAnswer, encodeNumericCall,
  type NumericAnswer, type NumericCall,
} from '../src/pool/codec.js';
import { RingBuffer } from '../src/pool/ring-buffer.js';

const call: NumericCall = { id: 0x7ffffffe, module: 2, exportIndex: 5, t: 12.25, d: undefined, sandbox: 9, args: [1.5, -(2n ** 63n), Number.NaN, -0] };

describe('reading frames in place', () => {
  it('finds a whole frame where peek finds it, and refuses an empty ring, a skip marker and a corrupt length', () => {
    const ring = new RingBuffer(RingBuffer.allocate(256));
    expect(ring.peekInPlace()).toBe(-1);
    let skips = 0;
    for (let lap = 0; lap < 40; lap++) {
      const payload = Uint8Array.from({ length: lap % 3 === 0 ? 50 : 12 }, (_, i) => (lap * 7 + i) & 0xff);
      expect(ring.tryWrite([payload])).toBe('ok');
      const at = ring.peekInPlace();
      if (at < 0) {
        // A skip marker at the tail: peek steps over it, then the frame is readable in place.
        skips++;
        const frame = ring.peek();
        if (frame.status !== 'ok') throw new Error(frame.status);
        expect(ring.peekInPlace()).toBeGreaterThanOrEqual(0);
      }
      const start = ring.peekInPlace();
      const frame = ring.peek();
      if (frame.status !== 'ok') throw new Error(frame.status);
      expect(start).toBe(frame.payload.byteOffset - ring.data.byteOffset);
      expect([ring.peekedLength, ring.peekedFrameBytes, ring.peekedFrame]).toEqual([payload.byteLength, frame.frameBytes, frame.frame]);
      expect([...ring.data.subarray(start, start + ring.peekedLength)]).toEqual([...payload]);
      ring.consume(ring.peekedFrameBytes);
    }
    expect(skips).toBeGreaterThan(0);
    // A length prefix beyond what was published is left to peek, which reports it.
    expect(ring.tryWrite([new Uint8Array(8)])).toBe('ok');
    const tail = ring.peek();
    if (tail.status !== 'ok') throw new Error(tail.status);
    ring.view.setUint32(tail.frame % 256, 200, true);
    expect(ring.peekInPlace()).toBe(-1);
    expect(ring.peek().status).toBe('corrupt');
  });

  it('decodes a numeric call and a numeric answer in place exactly as from their own bytes', () => {
    const ring = new RingBuffer(RingBuffer.allocate(1024));
    const encoded = encodeNumericCall(call);
    expect(ring.tryWrite(encoded.parts)).toBe('ok');
    const at = ring.peekInPlace();
    const inPlace = decodeNumericCallAt(ring.view, at, ring.peekedLength)!;
    const copied = decodeNumericCall(encoded.parts[0] as Uint8Array)!;
    expect(inPlace).toEqual(copied);
    expect(inPlace.args[1]).toBe(-(2n ** 63n));
    expect(Object.is(inPlace.args[3], -0)).toBe(true);
    ring.consume(ring.peekedFrameBytes);

    for (const value of [undefined, 42.5, -(2n ** 40n)]) {
      expect(ring.tryWrite(encodeNumericAnswer(77, 1.5, value).parts)).toBe('ok');
      const answer: NumericAnswer = { id: 0, q: 0, value: 'stale' as unknown as undefined };
      expect(decodeNumericAnswerAt(ring.view, ring.peekInPlace(), ring.peekedLength, answer)).toBe(true);
      expect(answer).toEqual({ id: 77, q: 1.5, value });
      // A call is no answer, and an answer no call.
      expect(decodeNumericCallAt(ring.view, ring.peekInPlace(), ring.peekedLength)).toBeUndefined();
      ring.consume(ring.peekedFrameBytes);
    }
    expect(ring.tryWrite(encoded.parts)).toBe('ok');
    expect(decodeNumericAnswerAt(ring.view, ring.peekInPlace(), ring.peekedLength, { id: 0, q: 0, value: undefined })).toBe(false);
  });
});

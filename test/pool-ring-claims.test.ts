import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../src/pool/ring-buffer.js';

describe('ring frames carry a claim word both threads decide with', () => {
  it('starts at 0 on every write, and only one compare-and-swap wins', () => {
    const ring = new RingBuffer(RingBuffer.allocate(256));
    const consumer = new RingBuffer(ring.buffer); // as the worker rebuilds it
    for (let lap = 0; lap < 100; lap++) {
      // Frames of varying size, so that positions wrap and skip markers are written.
      expect(ring.tryWrite([new Uint8Array(8 + (lap % 5) * 8).fill(lap)])).toBe('ok');
      const written = ring.lastFrame;
      expect(ring.holds(written)).toBe(true);
      const frame = consumer.peek();
      if (frame.status !== 'ok') throw new Error(frame.status);
      expect(frame.frame).toBe(written);
      expect(frame.payload[0]).toBe(lap & 0xff);
      expect(consumer.claim(frame.frame, 0, 1)).toBe(0); // the worker starts it
      expect(ring.claim(written, 0, 3)).toBe(1); // the pool's withdrawal loses, and learns why
      consumer.consume(frame.frameBytes);
      expect(ring.holds(written)).toBe(false);
      expect(ring.intact(written)).toBe(true);
    }
  });

  it('a reserved frame (the hot path) gets a fresh claim word too, and knows when it was overwritten', () => {
    const ring = new RingBuffer(RingBuffer.allocate(128));
    const at = ring.reserve(16);
    ring.view.setUint32(at, 7, true);
    ring.commit(16);
    const first = ring.lastFrame;
    expect(ring.claim(first, 0, 3)).toBe(0);
    expect(ring.claim(first, 0, 1)).toBe(3);
    const consumer = new RingBuffer(ring.buffer);
    const frame = consumer.peek();
    if (frame.status !== 'ok') throw new Error(frame.status);
    consumer.consume(frame.frameBytes);
    // Enough later frames to come round the ring over the first one.
    for (let i = 0; i < 8; i++) {
      expect(ring.tryWrite([new Uint8Array(16)])).toBe('ok');
      const next = consumer.peek();
      if (next.status !== 'ok') throw new Error(next.status);
      consumer.consume(next.frameBytes);
    }
    expect(ring.intact(first)).toBe(false);
    expect(ring.claim(ring.lastFrame, 0, 1)).toBe(0);
  });
});

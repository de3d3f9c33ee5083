import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DATA_SEQ, frameBytes, HEADER_BYTES, RingBuffer, SPACE_SEQ } from '../src/pool/ring-buffer.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

function read(ring: RingBuffer): number[] | string {
  const result = ring.peek();
  if (result.status !== 'ok') return result.status;
  const out = [...result.payload];
  ring.consume(result.frameBytes);
  return out;
}

describe('RingBuffer (single thread)', () => {
  it('round-trips frames in order and reports empty', () => {
    const ring = new RingBuffer(RingBuffer.allocate(64));
    expect(read(ring)).toBe('empty');
    expect(ring.tryWrite([bytes(1, 2, 3)])).toBe('ok');
    expect(ring.tryWrite([bytes(4), bytes(5, 6)])).toBe('ok'); // parts are concatenated
    expect(ring.used()).toBe(frameBytes(3) + frameBytes(3));
    expect(read(ring)).toEqual([1, 2, 3]);
    expect(read(ring)).toEqual([4, 5, 6]);
    expect(read(ring)).toBe('empty');
    expect(ring.used()).toBe(0);
  });

  it('fills exactly to capacity, refuses one byte more, and accepts again after a read', () => {
    const ring = new RingBuffer(RingBuffer.allocate(64));
    expect(ring.tryWrite([new Uint8Array(24)])).toBe('ok'); // 32 bytes
    expect(ring.tryWrite([new Uint8Array(24).fill(7)])).toBe('ok'); // 64: exactly full, exactly at the end
    expect(ring.free()).toBe(0);
    expect(ring.tryWrite([new Uint8Array(0)])).toBe('full');
    expect(read(ring)).toHaveLength(24);
    expect(ring.tryWrite([new Uint8Array(24).fill(9)])).toBe('ok'); // fits the freed start exactly
    expect(read(ring)).toEqual(Array(24).fill(7));
    expect(read(ring)).toEqual(Array(24).fill(9));
  });

  it('wraps at the end with a skip marker: payloads are always contiguous and 8-byte aligned', () => {
    const ring = new RingBuffer(RingBuffer.allocate(64));
    let skipped = 0;
    for (let lap = 0; lap < 50; lap++) {
      // 16- and 24-byte frames drift across the end: some need the skip marker
      const payload = Uint8Array.from({ length: lap % 3 === 0 ? 13 : 5 }, (_, i) => (lap + i) & 0xff);
      const before = ring.used();
      expect(ring.tryWrite([payload])).toBe('ok');
      if (ring.used() - before > 24) skipped++; // the skip was charged with the frame
      const result = ring.peek();
      if (result.status !== 'ok') throw new Error(result.status);
      expect(result.payload.buffer).toBe(ring.buffer); // always a view
      expect(result.payload.byteOffset % 8).toBe(0);
      expect([...result.payload]).toEqual([...payload]);
      ring.consume(result.frameBytes);
      expect(ring.used()).toBe(0);
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it('refuses a frame larger than half the ring, and always takes one that size into an empty ring', () => {
    const ring = new RingBuffer(RingBuffer.allocate(64));
    expect(ring.maxPayload).toBe(24);
    expect(ring.tryWrite([new Uint8Array(25)])).toBe('too-large');
    for (let lap = 0; lap < 10; lap++) {
      expect(ring.tryWrite([new Uint8Array(lap % 2 === 0 ? 24 : 3)])).toBe('ok'); // moves the head around
      expect(read(ring)).toHaveLength(lap % 2 === 0 ? 24 : 3);
    }
  });

  it('reports a corrupt length prefix instead of reading past what was published', () => {
    const buffer = RingBuffer.allocate(64);
    const ring = new RingBuffer(buffer);
    expect(ring.tryWrite([bytes(1, 2, 3, 4)])).toBe('ok');
    new DataView(buffer, HEADER_BYTES).setUint32(0, 1000, true); // a producer bug or a stray write
    const result = ring.peek();
    expect(result.status).toBe('corrupt');
    expect(result.status === 'corrupt' && result.reason).toMatch(/length prefix 1000 exceeds the 8 bytes published/);
  });

  it('bumps the sequence words a waiting thread sleeps on', () => {
    const ring = new RingBuffer(RingBuffer.allocate(64));
    ring.tryWrite([bytes(1)]);
    ring.tryWrite([bytes(2)]);
    expect(Atomics.load(ring.header, DATA_SEQ)).toBe(2);
    read(ring);
    expect(Atomics.load(ring.header, SPACE_SEQ)).toBe(1);
  });

  it('is rebuilt from its buffer on the other side, and validates it', () => {
    const buffer = RingBuffer.allocate(128);
    new RingBuffer(buffer).tryWrite([bytes(42)]);
    expect(read(new RingBuffer(buffer))).toEqual([42]);
    expect(() => RingBuffer.allocate(100)).toThrow(/power of two/);
    expect(() => new RingBuffer(new SharedArrayBuffer(128))).toThrow(/not a ring buffer/);
  });
});

describe('RingBuffer across threads', () => {
  it('carries 100 laps of seeded random frames from a real producer worker, in order and intact', async () => {
    const buffer = RingBuffer.allocate(1024);
    const ring = new RingBuffer(buffer);
    const frames = 5000; // sizes up to 308 bytes: under the 1 KiB ring's 504-byte limit
    const worker = new Worker(new URL('./fixtures/ring-producer.mjs', import.meta.url), { workerData: { buffer, frames, seed: 7 } });
    let expectedSeq = 0;
    let received = 0;
    let seed = 7 >>> 0;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
    const deadline = Date.now() + 30_000;
    while (received < frames && Date.now() < deadline) {
      const result = ring.peek();
      if (result.status === 'empty') {
        Atomics.wait(ring.header, DATA_SEQ, Atomics.load(ring.header, DATA_SEQ), 10);
        continue;
      }
      if (result.status !== 'ok') throw new Error(`frame ${expectedSeq}: ${result.status}`);
      const view = new DataView(result.payload.buffer, result.payload.byteOffset, result.payload.byteLength);
      if (view.getUint32(0, true) !== expectedSeq) throw new Error(`expected frame ${expectedSeq}, got ${view.getUint32(0, true)}`);
      const size = next() % 300;
      if (result.payload.byteLength !== 8 + size) throw new Error(`frame ${expectedSeq}: ${result.payload.byteLength} bytes, expected ${8 + size}`);
      if (view.getUint32(4, true) !== 0xc0ffee) throw new Error(`frame ${expectedSeq}: canary overwritten`);
      for (let i = 0; i < size; i++) if (result.payload[8 + i] !== ((expectedSeq + i) & 0xff)) throw new Error(`frame ${expectedSeq} byte ${i}`);
      ring.consume(result.frameBytes);
      Atomics.notify(ring.header, SPACE_SEQ);
      expectedSeq++;
      received++;
    }
    await worker.terminate();
    expect(received).toBe(frames);
    // ≈ 5000 × 160 bytes through a 1 KiB ring: hundreds of laps
    expect(Atomics.load(ring.header, SPACE_SEQ)).toBe(frames);
  });
});

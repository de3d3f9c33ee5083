import { describe, expect, it } from 'vitest';
import { KeptBuffers } from '../src/pool/kept-buffers.js';

describe('kept buffers for queued copies', () => {
  it('leaves small copies and copies over the bound to the allocator', () => {
    const kept = new KeptBuffers(1024, 4, 8192);
    expect(kept.take(1023)).toBeUndefined();
    expect(kept.take(8193)).toBeUndefined();
    expect(kept.take(1024)?.byteLength).toBe(1024);
  });

  it('hands out the smallest free buffer that fits, never one twice, and none over twice the copy', () => {
    const kept = new KeptBuffers(1024, 4, 1 << 20);
    const [a, b, c] = [kept.take(4096)!, kept.take(2048)!, kept.take(8192)!];
    for (const buffer of [a, b, c]) kept.give(buffer);
    expect(kept.heldBytes).toBe(4096 + 2048 + 8192);
    expect(kept.take(3000)).toBe(a);
    // c is free and large enough, but more than twice 3000 bytes: a new buffer instead.
    const fresh = kept.take(3000)!;
    expect([a, b, c]).not.toContain(fresh);
    expect(fresh.byteLength).toBe(3000);
    expect(kept.take(5000)).toBe(c);
    expect(kept.take(2048)).toBe(b);
    expect(kept.heldBytes).toBe(0);
  });

  it('keeps at most its count and its bytes, dropping the smallest first', () => {
    const kept = new KeptBuffers(1024, 2, 12_000);
    const buffers = [1024, 2048, 4096].map((n) => kept.take(n)!);
    for (const buffer of buffers) kept.give(buffer);
    expect(kept.heldBytes).toBe(2048 + 4096);
    kept.give(kept.take(6000)!); // a new 6000-byte one: three buffers, 12,144 bytes: the 2 KiB one goes
    expect(kept.heldBytes).toBe(4096 + 6000);
    expect(kept.take(4096)).toBe(buffers[2]);
    // The byte bound alone: one buffer larger than what is left drops the smaller ones.
    const bytesOnly = new KeptBuffers(1024, 8, 8192);
    const small = [2048, 2048, 2048].map((n) => bytesOnly.take(n)!);
    for (const buffer of small) bytesOnly.give(buffer);
    bytesOnly.give(bytesOnly.take(4096)!);
    expect(bytesOnly.heldBytes).toBe(2048 + 2048 + 4096);
  });
});

import { describe, expect, it } from 'vitest';
import { ModuleCache } from '../src/host/module-cache.js';

/** Small seeded PRNG (mulberry32) so the model test is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ModuleCache', () => {
  it('behaves like a reference LRU model under 5,000 random operations', async () => {
    const next = random(42);
    const maxEntries = 5;
    const maxBytes = 1000;
    const cache = new ModuleCache<string>({ maxEntries, maxBytes, clock: () => 0 });
    // Reference model: an array, most recent last.
    let model: { key: string; size: number }[] = [];
    const sizes = new Map<string, number>();
    let hits = 0;
    let misses = 0;
    let evictions = 0;
    let compiles = 0;
    for (let op = 0; op < 5000; op++) {
      const key = `k${Math.floor(next() * 12)}`;
      if (!sizes.has(key)) sizes.set(key, 50 + Math.floor(next() * 300));
      const size = sizes.get(key)!;
      const result = await cache.getOrCompile(key, () => {
        compiles++;
        return { value: `v:${key}`, size };
      });
      expect(result.value).toBe(`v:${key}`);
      const index = model.findIndex((e) => e.key === key);
      if (index >= 0) {
        hits++;
        expect(result.outcome).toBe('hit');
        model.push(...model.splice(index, 1));
      } else {
        misses++;
        expect(result.outcome).toBe('miss');
        model.push({ key, size });
        while (model.length > maxEntries || model.reduce((n, e) => n + e.size, 0) > maxBytes) {
          model.shift();
          evictions++;
        }
      }
      const stats = cache.stats();
      expect(stats.entries).toBe(model.length);
      expect(stats.bytes).toBe(model.reduce((n, e) => n + e.size, 0));
      for (const e of model) expect(cache.has(e.key)).toBe(true);
    }
    expect(cache.stats()).toMatchObject({ hits, misses, evictions, coalesced: 0 });
    expect(compiles).toBe(misses);
    expect(hits).toBeGreaterThan(1000);
    expect(evictions).toBeGreaterThan(100);
  });

  it('compiles once for concurrent requests of one key', async () => {
    const cache = new ModuleCache<number>();
    let compiles = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const compile = async () => {
      compiles++;
      await gate;
      return { value: 7, size: 10 };
    };
    const requests = Array.from({ length: 10 }, () => cache.getOrCompile('same', compile));
    release();
    const results = await Promise.all(requests);
    expect(compiles).toBe(1);
    expect(results.map((r) => r.outcome).sort()).toEqual(['coalesced', ...Array(8).fill('coalesced'), 'miss'].sort());
    expect(results.every((r) => r.value === 7)).toBe(true);
    expect(cache.stats()).toMatchObject({ misses: 1, coalesced: 9, hits: 0, entries: 1 });
  });

  it('does not cache a failed compile: all waiters see the error, the next request retries', async () => {
    const cache = new ModuleCache<number>();
    let attempts = 0;
    const failing = async () => {
      attempts++;
      await Promise.resolve();
      throw new Error('boom');
    };
    const settled = await Promise.allSettled([cache.getOrCompile('k', failing), cache.getOrCompile('k', failing)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(attempts).toBe(1);
    const ok = await cache.getOrCompile('k', () => ({ value: 1, size: 1 }));
    expect(ok.outcome).toBe('miss');
    expect(cache.stats()).toMatchObject({ misses: 2, entries: 1 });
  });

  it('returns but never stores a value larger than the byte bound', async () => {
    const cache = new ModuleCache<string>({ maxBytes: 100 });
    await cache.getOrCompile('small', () => ({ value: 's', size: 60 }));
    const big = await cache.getOrCompile('big', () => ({ value: 'b', size: 101 }));
    expect(big.value).toBe('b');
    expect(cache.has('big')).toBe(false);
    expect(cache.has('small')).toBe(true);
    expect(cache.stats()).toMatchObject({ oversize: 1, entries: 1, bytes: 60, evictions: 0 });
  });

  it('adds compile time measured by the injected clock', async () => {
    let now = 0;
    const cache = new ModuleCache<string>({ clock: () => now });
    const result = await cache.getOrCompile('k', () => {
      now += 12.5;
      return { value: 'v', size: 1 };
    });
    expect(result.compileMs).toBe(12.5);
    await cache.getOrCompile('k', () => ({ value: 'never', size: 1 }));
    expect(cache.stats().compileMs).toBe(12.5);
  });
});

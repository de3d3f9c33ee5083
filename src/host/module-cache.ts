import type { CacheProfile } from '../profiler/model/module-profile.js';

/**
 * Content-addressed LRU cache of compiled modules, bounded by entry count and by bytes.
 * Concurrent requests for one key share a single compile. Pure logic: the compile step
 * and the clock are passed in, so it is tested without V8 or real time.
 */

export interface ModuleCacheOptions {
  /** @default 64 */
  readonly maxEntries?: number;
  /** Sum of the wasm byte sizes kept (a proxy for compiled code size, which JS cannot see). @default 256 MiB */
  readonly maxBytes?: number;
  /** Milliseconds, monotonic. @default performance.now */
  readonly clock?: () => number;
}

/** The cache's counters, as they appear in every module profile. */
export type ModuleCacheStats = CacheProfile;

export interface CacheResult<T> {
  readonly value: T;
  /** `hit`: found; `coalesced`: shared a compile already running; `miss`: compiled by this call. */
  readonly outcome: 'hit' | 'coalesced' | 'miss';
  /** Milliseconds this request spent compiling (0 unless `miss`). */
  readonly compileMs: number;
}

interface Entry<T> {
  readonly value: T;
  readonly size: number;
}

export class ModuleCache<T> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly clock: () => number;
  private readonly entries = new Map<string, Entry<T>>();
  private readonly pending = new Map<string, Promise<{ value: T; size: number }>>();
  private hits = 0;
  private misses = 0;
  private coalesced = 0;
  private evictions = 0;
  private oversize = 0;
  private compileMs = 0;
  private bytes = 0;
  /** The key most recently inserted or refreshed (the last in `entries`' order). */
  private newest: string | undefined;

  constructor(options: ModuleCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 64;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Synchronous lookup; refreshes recency and counts a hit when found. */
  lookup(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Re-inserting moves it to the most recent end; the same module loaded again and again
    // (the common case) is already there.
    if (key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    this.hits++;
    return entry.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Returns the cached value for `key`, or runs `compile` once however many callers ask
   * at the same time. A failed compile is not cached: every waiter sees the error, the next
   * request tries again.
   */
  async getOrCompile(key: string, compile: () => Promise<{ value: T; size: number }> | { value: T; size: number }): Promise<CacheResult<T>> {
    const found = this.lookup(key);
    if (found !== undefined) return { value: found, outcome: 'hit', compileMs: 0 };
    const running = this.pending.get(key);
    if (running !== undefined) {
      this.coalesced++;
      return { value: (await running).value, outcome: 'coalesced', compileMs: 0 };
    }
    this.misses++;
    const started = this.clock();
    const job = (async () => compile())();
    this.pending.set(key, job);
    try {
      const { value, size } = await job;
      const spent = this.clock() - started;
      this.compileMs += spent;
      this.store(key, value, size);
      return { value, outcome: 'miss', compileMs: spent };
    } finally {
      this.pending.delete(key);
    }
  }

  /**
   * Synchronous variant: a hit, or a compile run right here. It does not wait for (or join)
   * an asynchronous compile of the same key already running; both results are valid.
   */
  getOrCompileSync(key: string, compile: () => { value: T; size: number }): CacheResult<T> {
    const found = this.lookup(key);
    if (found !== undefined) return { value: found, outcome: 'hit', compileMs: 0 };
    this.misses++;
    const started = this.clock();
    const { value, size } = compile();
    const spent = this.clock() - started;
    this.compileMs += spent;
    this.store(key, value, size);
    return { value, outcome: 'miss', compileMs: spent };
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.bytes -= entry.size;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
    this.bytes = 0;
  }

  stats(): ModuleCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      coalesced: this.coalesced,
      evictions: this.evictions,
      oversize: this.oversize,
      compileMs: this.compileMs,
      entries: this.entries.size,
      bytes: this.bytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
    };
  }

  private store(key: string, value: T, size: number): void {
    if (size > this.maxBytes || this.maxEntries === 0) {
      this.oversize++;
      return;
    }
    this.delete(key);
    this.entries.set(key, { value, size });
    this.newest = key;
    this.bytes += size;
    // Evict least recently used (Map iteration order) until both bounds hold.
    for (const [oldKey, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (oldKey === key) continue;
      this.entries.delete(oldKey);
      this.bytes -= entry.size;
      this.evictions++;
    }
  }
}

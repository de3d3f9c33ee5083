/**
 * What the cache simulator hands out: plain, JSON-serialisable data. The counters are
 * cachegrind's (Dr Dw D1mr D1mw DLmr DLmw); estimated cycles are a model, not a measurement.
 */
import type { FrameIdentity } from './call-tree.js';

export const CACHE_REPORT_SCHEMA = 'wasm-sandbox/cache-report@1' as const;

export interface CacheLevelGeometry {
  readonly sizeBytes: number;
  readonly associativity: number;
  readonly lineBytes: number;
}

export interface CacheGeometry {
  readonly d1: CacheLevelGeometry;
  readonly ll: CacheLevelGeometry;
  /** Where it came from: this machine's sysfs, a named preset, or the user's --D1/--LL. */
  readonly source: string;
}

export interface CacheCounters {
  readonly reads: number;
  readonly writes: number;
  readonly d1ReadMisses: number;
  readonly d1WriteMisses: number;
  readonly llReadMisses: number;
  readonly llWriteMisses: number;
  /** L1 hits + 5·LL hits + 35·RAM accesses (cachegrind's estimate). */
  readonly estimatedCycles: number;
  /** D1 misses / references (0 without references). Always set by the simulator. */
  readonly d1MissRate?: number;
  /** LL misses / references (0 without references). Always set by the simulator. */
  readonly llMissRate?: number;
}

export type StridePattern =
  | { readonly kind: 'sequential'; readonly bytes: number }
  | { readonly kind: 'strided'; readonly bytes: number }
  | { readonly kind: 'irregular' };

/** One access stream of a function: its loads, or stores, of one width (bulk pieces: width unset). */
export interface CacheStreamStats {
  readonly kind: 'load' | 'store';
  readonly bytes?: number;
  /** Consecutive pairs seen (references − 1). */
  readonly deltas: number;
  readonly stride: StridePattern;
}

export interface CacheFunctionStats extends FrameIdentity, CacheCounters {
  /**
   * The main stream's pattern: the regular walk with most deltas, else the largest irregular
   * stream, else a stream repeating one address (a stack slot, a header field).
   */
  readonly stride: StridePattern;
  /** Every stream with at least one delta, most deltas first. */
  readonly streams?: readonly CacheStreamStats[];
}

export interface CacheExportStats extends CacheCounters {
  readonly name: string;
  readonly calls: number;
  /** Distinct lines touched per call (mean), a geometry-free working-set measure. */
  readonly workingSetLines: number;
}

/** One path of the call tree (hooks on): self counters, and inclusive ones over its subtree. */
export interface CacheTreeNode extends FrameIdentity {
  readonly calls: number;
  readonly self: CacheCounters;
  readonly total: CacheCounters;
  readonly children: readonly CacheTreeNode[];
}

export interface CacheReport {
  readonly schema: typeof CACHE_REPORT_SCHEMA;
  readonly geometry: CacheGeometry;
  readonly totals: CacheCounters;
  /** Sorted by estimated cycles, largest first. */
  readonly functions: readonly CacheFunctionStats[];
  readonly exports: readonly CacheExportStats[];
  /** LRU stack distance in lines (fully associative): one pass gives every cache size's miss rate. */
  readonly reuseDistance: {
    readonly lineBytes: number;
    readonly buckets: readonly { readonly maxDistance: number; readonly count: number }[];
    /** First touches (infinite distance). */
    readonly cold: number;
  };
  readonly notes: readonly string[];
  /** The call tree with per-node counters, when function hooks were on (root: `(root)`). */
  readonly callTree?: CacheTreeNode;
}

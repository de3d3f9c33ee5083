/**
 * What the allocation tracker hands out: plain, JSON-serialisable data, per allocation site
 * and per module. The tracker (`profiler/build/`) makes it; renderers, exporters, findings and
 * comparisons only read it. Sizes are bytes; lifetimes are guest instructions (deterministic,
 * as DHAT counts them) and host calls.
 */
import type { FrameIdentity } from './call-tree.js';

export const ALLOCATION_REPORT_SCHEMA = 'wasm-sandbox/allocation-report@1' as const;

/** Which allocator family was recognised, and whether its frees can be seen. */
export interface AllocatorInfo {
  readonly family: 'assemblyscript' | 'c' | 'rust' | 'custom';
  /** The guest functions wrapped, by display name. */
  readonly functions: readonly string[];
  /** False when frees cannot be observed (e.g. a GC runtime without a name section). */
  readonly freesVisible: boolean;
  readonly notes: readonly string[];
}

/** One power-of-two bucket: blocks whose size is in [minBytes, maxBytes]. */
export interface SizeBucket {
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly blocks: number;
}

export interface LifetimeStats {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

export interface AllocationSite {
  /** Guest call stack, outermost first; the last frame called the allocator. */
  readonly stack: readonly FrameIdentity[];
  readonly blocks: number;
  readonly bytes: number;
  readonly freedBlocks: number;
  readonly freedBytes: number;
  /** Live at the module's global peak of live bytes (DHAT's t-gmax). */
  readonly liveBlocksAtPeak: number;
  readonly liveBytesAtPeak: number;
  /** Live when the report was taken (DHAT's t-end): leaks unless freed later. */
  readonly liveBlocksAtEnd: number;
  readonly liveBytesAtEnd: number;
  /** Freed before the next allocation (heaptrack's temporary allocations). */
  readonly temporaryBlocks: number;
  readonly averageBytes: number;
  readonly sizeHistogram: readonly SizeBucket[];
  /** Of freed blocks: guest instructions between allocation and free (when fuel is counted). */
  readonly lifetimeInstructions?: LifetimeStats;
  /** Of freed blocks: host calls between allocation and free (0 = freed in the same call). */
  readonly lifetimeCalls?: LifetimeStats;
  /** Reallocations of blocks from this site, and the longest growth chain seen. */
  readonly reallocs: number;
  readonly longestReallocChain: number;
}

/** An export called N times should return to the same live-byte baseline. */
export interface PerCallLeak {
  readonly export: string;
  readonly calls: number;
  /** Live bytes gained per call (slope over the calls after the first). */
  readonly liveBytesGainedPerCall: number;
  readonly sites: readonly { readonly stack: readonly FrameIdentity[]; readonly bytesPerCall: number }[];
}

/** One point per host call: linear memory against live heap. */
export interface MemoryTimelinePoint {
  readonly export: string;
  /** 1-based call number of that export. */
  readonly call: number;
  readonly memoryBytes: number;
  readonly liveBytes: number;
  /** What made the point: a call ended, or linear memory grew (seen at the next allocator event). */
  readonly event?: 'call' | 'grow';
  /** liveBytes / memoryBytes: how much of linear memory the heap's live blocks fill. */
  readonly liveToMemoryRatio?: number;
}

export interface AllocationReport {
  readonly schema: typeof ALLOCATION_REPORT_SCHEMA;
  readonly allocator: AllocatorInfo;
  readonly totals: {
    readonly blocks: number;
    readonly bytes: number;
    readonly freedBlocks: number;
    readonly freedBytes: number;
    readonly temporaryBlocks: number;
    readonly liveBlocksAtEnd: number;
    readonly liveBytesAtEnd: number;
    /** Frees of pointers the tracker never saw allocated (allocated before it attached, or static data). */
    readonly unknownFrees?: number;
    /** Allocator calls that returned 0. */
    readonly failedAllocations?: number;
    /** Blocks taken as freed because a new block came back at their address (frees the tracker cannot see). */
    readonly inferredFrees?: number;
  };
  readonly peak: {
    readonly liveBytes: number;
    readonly liveBlocks: number;
    /** The call that reached the peak (absent when it was reached outside a call, e.g. a start function). */
    readonly export?: string;
    readonly call?: number;
    readonly stack: readonly FrameIdentity[];
  };
  /** Sorted by bytes allocated, largest first. */
  readonly sites: readonly AllocationSite[];
  readonly perCall: readonly PerCallLeak[];
  readonly timeline: readonly MemoryTimelinePoint[];
  /** Points left out of `timeline` once it reached its cap. */
  readonly timelineDropped?: number;
  /** Whether lifetimes were counted in instructions (a fuel-instrumented module). */
  readonly clock?: 'instructions' | 'none';
}

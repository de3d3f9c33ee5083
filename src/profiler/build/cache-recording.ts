/**
 * What a cache recorder hands over after a run, before any report is made: plain numbers,
 * the same shape whether the pure model (cache-simulator.ts) or the wasm recorder
 * (assembly/recorders/cache.ts, read by the host adapter) recorded them, so two recordings
 * of one run can be compared field by field.
 */
import type { CacheCounters } from '../model/cache-report.js';

/**
 * One call-tree node (node 0 is the root: accesses outside any hooked function). Its counters
 * are self counters: references made by this node's own code (cycles are estimated later).
 */
export interface CacheNodeRecord extends Omit<CacheCounters, 'estimatedCycles'> {
  readonly parent: number;
  /** Profile id of the function, -1 for the root. */
  readonly fn: number;
  /** Completed calls through this path. */
  readonly calls: number;
  /** Distinct D1 lines, summed over this node's calls from the root (children of the root only). */
  readonly workingSetLines: number;
}

/**
 * An access stream (stride-detector.ts): index = (profile id + 1) × STREAMS_PER_FUNCTION + stream
 * class (block 0: outside functions).
 */
export interface StrideRecord {
  readonly deltas: number;
  readonly repeats: number;
  readonly candidate: number;
  readonly votes: number;
  readonly maxBytes: number;
}

export interface CacheRecording {
  readonly nodes: readonly CacheNodeRecord[];
  readonly strides: readonly StrideRecord[];
  /** Reuse-distance buckets (reuse-distance.ts: bucket k ≥ 1 holds 2^(k-1) … 2^k − 1). */
  readonly reuseBuckets: readonly number[];
  readonly reuseCold: number;
  /** Line touches beyond the tracked range (no reuse distance, no working set). */
  readonly untrackedLines: number;
  /** Calls that did not fit the node table or the stack and were counted in their caller. */
  readonly droppedNodes: number;
}

/** Limits both recorders share, so that they agree even where they run out. */
export interface CacheRecorderLimits {
  /** Lines tracked for reuse distance and working set (from the guest's memory limit). */
  readonly maxLines: number;
  /** Call-tree nodes, root included. */
  readonly maxNodes: number;
  /** Function ids (profile ids): stride streams are kept for 0 … functions − 1. */
  readonly functions: number;
  /** Open frames tracked; deeper calls count in their caller. */
  readonly maxDepth: number;
}

/** Caps on the tracked range: 2^20 lines is 64 MiB of guest memory at 64-byte lines. */
export const MAX_TRACKED_LINES = 1 << 20;
export const MAX_CALL_TREE_NODES = 1 << 14;
export const MAX_CALL_DEPTH = 1 << 16;

export function recorderLimits(memoryLimitBytes: number, d1LineBytes: number, functions: number): CacheRecorderLimits {
  const maxLines = Math.max(1, Math.min(MAX_TRACKED_LINES, Math.ceil(memoryLimitBytes / d1LineBytes)));
  return { maxLines, maxNodes: MAX_CALL_TREE_NODES, functions, maxDepth: MAX_CALL_DEPTH };
}

/**
 * Recordings of several sandboxes as one: nodes merged by call path, counters and histograms
 * added. A function's stride is the stream with the most deltas (streams of different
 * instances cannot be interleaved after the fact).
 */
export function mergeCacheRecordings(recordings: readonly CacheRecording[]): CacheRecording {
  if (recordings.length === 1) return recordings[0]!;
  const nodes: CacheNodeRecord[] = [];
  const byPath = new Map<string, number>();
  const strides: StrideRecord[] = [];
  const buckets: number[] = [];
  for (const recording of recordings) {
    const remap: number[] = [];
    recording.nodes.forEach((node, index) => {
      const parent = index === 0 ? -1 : remap[node.parent]!;
      const key = `${parent}:${node.fn}`;
      let merged = byPath.get(key);
      if (merged === undefined) {
        merged = nodes.length;
        byPath.set(key, merged);
        nodes.push({ ...node, parent });
      } else {
        const m = nodes[merged]!;
        nodes[merged] = {
          parent, fn: m.fn, calls: m.calls + node.calls, reads: m.reads + node.reads, writes: m.writes + node.writes,
          d1ReadMisses: m.d1ReadMisses + node.d1ReadMisses, d1WriteMisses: m.d1WriteMisses + node.d1WriteMisses,
          llReadMisses: m.llReadMisses + node.llReadMisses, llWriteMisses: m.llWriteMisses + node.llWriteMisses,
          workingSetLines: m.workingSetLines + node.workingSetLines,
        };
      }
      remap[index] = merged;
    });
    recording.strides.forEach((stride, i) => {
      if (strides[i] === undefined || stride.deltas > strides[i]!.deltas) strides[i] = stride;
    });
    recording.reuseBuckets.forEach((count, i) => (buckets[i] = (buckets[i] ?? 0) + count));
  }
  const sum = (pick: (r: CacheRecording) => number): number => recordings.reduce((n, r) => n + pick(r), 0);
  return {
    nodes, strides, reuseBuckets: buckets,
    reuseCold: sum((r) => r.reuseCold), untrackedLines: sum((r) => r.untrackedLines), droppedNodes: sum((r) => r.droppedNodes),
  };
}

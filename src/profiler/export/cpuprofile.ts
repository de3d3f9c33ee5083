/**
 * Chrome DevTools' `.cpuprofile` (the Profiler.Profile of the DevTools protocol). DevTools reads
 * it twice: its tables (bottom-up, call tree) give a node `self = hitCount × (endTime −
 * startTime) / Σ hitCount` (CPUProfileDataModel), its flame chart gives a sample the gap to the
 * next one. So both are written exactly: weights become whole hits — one nanosecond, one
 * instruction (written as one microsecond: the file has no unit of its own) or one sample —
 * each node's `hitCount` is its self weight in hits, and the timeline spends the same time in
 * it: sampled trees write one sample per hit, `sampleIntervalNs` apart (792 samples stay 792);
 * measured trees one sample per node followed by a gap of its self weight. A final root sample
 * closes the last gap. DevTools merges frames whose call frames are equal, so a guest
 * function's index goes in `columnNumber` (lineNumber 0, as V8 writes wasm frames): two
 * functions called `dup` stay apart. Frames that are no guest function have -1 for both.
 */
import type { CallTree, CallTreeNode } from '../model/call-tree.js';

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly scriptId: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly hitCount: number;
  readonly children: number[];
}

export interface CpuProfile {
  readonly nodes: CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export function toCpuProfile(tree: CallTree, url = 'wasm://guest'): CpuProfile {
  const nodes: CpuProfileNode[] = [];
  const samples: number[] = [];
  const gaps: number[] = [];
  const sampled = tree.unit === 'samples';
  // Microseconds per hit.
  const hitUs = tree.unit === 'nanoseconds' ? 1e-3 : sampled ? (tree.sampleIntervalNs ?? 1000) * 1e-3 : 1;
  let hitsSoFar = 0;
  const add = (node: CallTreeNode): number => {
    const id = nodes.length + 1;
    const hits = Math.max(0, Math.round(node.self));
    const entry: CpuProfileNode = {
      id,
      callFrame: {
        functionName: node.name,
        scriptId: '0',
        url,
        lineNumber: node.functionIndex === undefined ? -1 : 0,
        columnNumber: node.functionIndex ?? -1,
      },
      hitCount: hits,
      children: [],
    };
    nodes.push(entry);
    if (hits > 0 && sampled) {
      for (let i = 0; i < hits; i++) {
        samples.push(id);
        gaps.push(hitUs);
      }
    } else if (hits > 0) {
      samples.push(id);
      gaps.push(hits * hitUs);
    }
    hitsSoFar += hits;
    for (const child of node.children) entry.children.push(add(child));
    return id;
  };
  const rootId = add({ ...tree.root, name: '(root)', self: 0 });
  samples.push(rootId); // closes the last gap
  const timeDeltas = [0, ...gaps];
  // Σ hits × µs per hit, so that DevTools' interval (duration / Σ hitCount) is one hit exactly.
  return { nodes, startTime: 0, endTime: hitsSoFar * hitUs, samples, timeDeltas };
}

/**
 * Per-function self time (µs) as a reader of the file computes it: sum of sample deltas by
 * call frame, keyed `name` (frames without an index) or `name@index`.
 */
export function cpuProfileSelfTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let at = profile.startTime;
  const times = profile.timeDeltas.map((delta) => (at += delta));
  profile.samples.forEach((id, i) => {
    const duration = (i + 1 < times.length ? times[i + 1]! : profile.endTime) - times[i]!;
    if (duration <= 0) return;
    const frame = byId.get(id)?.callFrame;
    const name = frame === undefined ? '?' : frame.columnNumber < 0 ? frame.functionName : `${frame.functionName}@${frame.columnNumber}`;
    self.set(name, (self.get(name) ?? 0) + duration);
  });
  return self;
}

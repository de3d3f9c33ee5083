/**
 * Chrome DevTools' `.cpuprofile` (the Profiler.Profile of the DevTools protocol). A sample's
 * duration is the gap to the next sample, as DevTools reads it; each node with self weight gets
 * one sample followed by a gap of that weight (µs), and a final root sample closes the last gap,
 * so readers recompute the same self and total times. Instruction counts are written as if one
 * instruction took one microsecond (the file has no unit of its own). DevTools merges frames
 * whose call frames are equal, so a guest function's index goes in `columnNumber` (lineNumber
 * 0, as V8 writes wasm frames): two functions called `dup` stay apart. Frames that are no
 * guest function have -1 for both.
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
  // Microseconds per unit of weight.
  const scale = tree.unit === 'nanoseconds' ? 1e-3 : tree.unit === 'samples' ? (tree.sampleIntervalNs ?? 1000) * 1e-3 : 1;
  const add = (node: CallTreeNode): number => {
    const id = nodes.length + 1;
    const entry: CpuProfileNode = {
      id,
      callFrame: {
        functionName: node.name,
        scriptId: '0',
        url,
        lineNumber: node.functionIndex === undefined ? -1 : 0,
        columnNumber: node.functionIndex ?? -1,
      },
      hitCount: node.self > 0 ? 1 : 0,
      children: [],
    };
    nodes.push(entry);
    if (node.self > 0) {
      samples.push(id);
      gaps.push(node.self * scale);
    }
    for (const child of node.children) entry.children.push(add(child));
    return id;
  };
  const rootId = add({ ...tree.root, name: '(root)' });
  samples.push(rootId); // closes the last gap
  const timeDeltas = [0, ...gaps];
  const duration = gaps.reduce((a, b) => a + b, 0);
  return { nodes, startTime: 0, endTime: duration, samples, timeDeltas };
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

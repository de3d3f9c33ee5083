/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json): an evented
 * profile for the instrumented modes — open/close events laid out from the tree, each node's
 * calls merged into one span of its total weight — and a sampled profile for sampling.
 * One shared frame per function (by index, not name): speedscope tells frames apart by their
 * position in `shared.frames`, so two functions called `dup` stay two frames.
 */
import { frameKey, type CallTree, type CallTreeNode } from '../model/call-tree.js';

export interface SpeedscopeFile {
  readonly $schema: 'https://www.speedscope.app/file-format-schema.json';
  readonly shared: { readonly frames: { readonly name: string }[] };
  readonly profiles: readonly (EventedProfile | SampledProfile)[];
  readonly name: string;
  readonly exporter: string;
  readonly activeProfileIndex: number;
}

interface EventedProfile {
  readonly type: 'evented';
  readonly name: string;
  readonly unit: string;
  readonly startValue: number;
  readonly endValue: number;
  readonly events: { readonly type: 'O' | 'C'; readonly frame: number; readonly at: number }[];
}

interface SampledProfile {
  readonly type: 'sampled';
  readonly name: string;
  readonly unit: string;
  readonly startValue: number;
  readonly endValue: number;
  readonly samples: number[][];
  readonly weights: number[];
}

const UNITS: Record<CallTree['unit'], string> = { nanoseconds: 'nanoseconds', instructions: 'none', samples: 'none', bytes: 'bytes', blocks: 'none' };

export function toSpeedscope(tree: CallTree, name: string): SpeedscopeFile {
  const frames: { name: string }[] = [];
  const index = new Map<string, number>();
  const frameOf = (node: CallTreeNode): number => {
    const key = frameKey(node);
    let i = index.get(key);
    if (i === undefined) {
      i = frames.length;
      frames.push({ name: node.name });
      index.set(key, i);
    }
    return i;
  };
  const total = tree.root.total;
  let profile: EventedProfile | SampledProfile;
  if (tree.mode === 'sampling') {
    const samples: number[][] = [];
    const weights: number[] = [];
    const path: number[] = [];
    const go = (node: CallTreeNode): void => {
      for (const child of node.children) {
        path.push(frameOf(child));
        if (child.self > 0) {
          samples.push([...path]);
          weights.push(child.self);
        }
        go(child);
        path.pop();
      }
    };
    go(tree.root);
    profile = { type: 'sampled', name, unit: UNITS[tree.unit], startValue: 0, endValue: total, samples, weights };
  } else {
    const events: EventedProfile['events'] = [];
    const lay = (node: CallTreeNode, at: number): void => {
      let cursor = at;
      for (const child of node.children) {
        const frame = frameOf(child);
        events.push({ type: 'O', frame, at: cursor });
        lay(child, cursor);
        cursor += child.total;
        events.push({ type: 'C', frame, at: cursor });
      }
    };
    lay(tree.root, 0);
    profile = { type: 'evented', name, unit: UNITS[tree.unit], startValue: 0, endValue: total, events };
  }
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles: [profile],
    name,
    exporter: 'wasm-sandbox',
    activeProfileIndex: 0,
  };
}

/**
 * gzipped pprof (the `go tool pprof` / Pyroscope format), encoded with the `pprof-format`
 * package. One sample per call-tree path with self weight; locations are leaf-first, as pprof
 * expects. Sample types: `calls/count` is not recorded per path, so the values are the weight
 * only (`cpu/nanoseconds`, `instructions/count` or `samples/count`). One pprof function per
 * guest function (by index, not name); its system name is `wasm-function[N]`, what V8 calls it,
 * so pprof's views keep two functions called `dup` apart and `fromPprof` restores the index.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { childFor, emptyTree, finishRoot, frameKey, recomputeTotals, type CallTree, type CallTreeNode, type FrameIdentity } from '../model/call-tree.js';

const SAMPLE_TYPE: Record<CallTree['unit'], [string, string]> = {
  nanoseconds: ['cpu', 'nanoseconds'],
  instructions: ['instructions', 'count'],
  samples: ['samples', 'count'],
  bytes: ['space', 'bytes'],
  blocks: ['objects', 'count'],
};

export function toPprof(tree: CallTree): Uint8Array {
  const strings = new StringTable();
  const functions = new Map<string, number>();
  const functionList: PprofFunction[] = [];
  const locations: Location[] = [];
  const samples: Sample[] = [];
  const locationOf = (node: CallTreeNode): number => {
    const key = frameKey(node);
    let id = functions.get(key);
    if (id === undefined) {
      id = functionList.length + 1;
      functions.set(key, id);
      const systemName = node.functionIndex === undefined ? '' : `wasm-function[${node.functionIndex}]`;
      functionList.push(new PprofFunction({ id, name: strings.dedup(node.name), systemName: strings.dedup(systemName), filename: strings.dedup('wasm') }));
      locations.push(new Location({ id, line: [new Line({ functionId: id, line: 0 })] }));
    }
    return id;
  };
  const path: number[] = [];
  const go = (node: CallTreeNode): void => {
    for (const child of node.children) {
      path.push(locationOf(child));
      const weight = Math.round(child.self);
      if (weight > 0) samples.push(new Sample({ locationId: [...path].reverse(), value: [weight] }));
      go(child);
      path.pop();
    }
  };
  go(tree.root);
  const [type, unit] = SAMPLE_TYPE[tree.unit];
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) })],
    sample: samples,
    location: locations,
    function: functionList,
    stringTable: strings,
    durationNanos: tree.unit === 'nanoseconds' ? Math.round(tree.root.total) : 0,
    ...(tree.sampleIntervalNs === undefined ? {} : { period: tree.sampleIntervalNs, periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }) }),
  });
  return gzipSync(profile.encode());
}

/** Decodes a gzipped pprof back into a call tree (for round-trip checks and merging). */
export function fromPprof(gzipped: Uint8Array, template: Pick<CallTree, 'mode' | 'unit'>): CallTree {
  const profile = Profile.decode(gunzipSync(gzipped));
  const strings = profile.stringTable.strings;
  const frameOf = new Map<string, FrameIdentity>();
  for (const fn of profile.function) {
    const name = strings[Number(fn.name)] ?? '?';
    const index = /^wasm-function\[(\d+)\]$/.exec(strings[Number(fn.systemName)] ?? '')?.[1];
    frameOf.set(String(fn.id), index === undefined ? { name } : { name, functionIndex: Number(index) });
  }
  const functionOfLocation = new Map<string, FrameIdentity>();
  for (const location of profile.location) functionOfLocation.set(String(location.id), frameOf.get(String(location.line[0]?.functionId)) ?? { name: '?' });
  const tree = emptyTree(template.mode, template.unit);
  for (const sample of profile.sample) {
    let node = tree.root;
    for (const id of [...sample.locationId].reverse()) node = childFor(node, functionOfLocation.get(String(id)) ?? { name: '?' });
    node.self += Number(sample.value[0] ?? 0);
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return tree;
}

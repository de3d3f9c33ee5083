/**
 * gzipped pprof (the `go tool pprof` / Pyroscope format), encoded with the `pprof-format`
 * package. One sample per call-tree path with self weight; locations are leaf-first, as pprof
 * expects. Sample types: `calls/count` is not recorded per path, so the values are the weight
 * only (`cpu/nanoseconds`, `instructions/count` or `samples/count`). One pprof function per
 * guest function (by index, not name); its system name is `wasm-function[N]`, what V8 calls it,
 * so pprof's views keep two functions called `dup` apart and `fromPprof` restores the index.
 * `toPprofDiff` writes a before/after pair as one differential profile, the base marked.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PprofFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { childFor, emptyTree, finishRoot, frameKey, recomputeTotals, type CallTree, type CallTreeNode, type FrameIdentity } from '../model/call-tree.js';

const SAMPLE_TYPE: Record<CallTree['unit'], [string, string]> = {
  nanoseconds: ['cpu', 'nanoseconds'],
  instructions: ['instructions', 'count'],
  samples: ['samples', 'count'],
  bytes: ['space', 'bytes'],
  blocks: ['objects', 'count'],
};

export function toPprof(tree: CallTree): Uint8Array {
  return encode(tree.unit, tree.sampleIntervalNs, [{ tree, scale: 1, base: false }], tree.unit === 'nanoseconds' ? tree.root.total : 0);
}

/** The label pprof gives the base's samples in a `-diff_base` comparison (value "true"). */
export const PPROF_BASE_LABEL = 'pprof::base';

/**
 * Two profiles as one differential pprof, as `pprof -diff_base before after` builds it in
 * memory: the 'after' samples as they are, the 'before' ones negated and labelled
 * `pprof::base=true`, so pprof (and tools that read its label) shows after − before with
 * percentages of the base's total. `normalize` first scales 'before' to 'after''s total (as the
 * differential flamegraph does; pprof's own `-normalize` scales the other way).
 */
export function toPprofDiff(before: CallTree, after: CallTree, options: { normalize?: boolean } = {}): Uint8Array {
  if (before.unit !== after.unit) throw new RangeError(`cannot compare a tree in ${before.unit} with a tree in ${after.unit}`);
  const scale = options.normalize === true && before.root.total > 0 && after.root.total > 0 ? after.root.total / before.root.total : 1;
  return encode(after.unit, after.sampleIntervalNs ?? before.sampleIntervalNs, [
    { tree: after, scale: 1, base: false },
    { tree: before, scale: -scale, base: true },
  ], after.unit === 'nanoseconds' ? after.root.total + before.root.total : 0); // pprof's merge adds the durations
}

function encode(unit: CallTree['unit'], sampleIntervalNs: number | undefined, parts: readonly { tree: CallTree; scale: number; base: boolean }[], durationNanos: number): Uint8Array {
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
  for (const { tree, scale, base } of parts) {
    const label = base ? [new Label({ key: strings.dedup(PPROF_BASE_LABEL), str: strings.dedup('true') })] : [];
    const path: number[] = [];
    const go = (node: CallTreeNode): void => {
      for (const child of node.children) {
        path.push(locationOf(child));
        const weight = Math.round(child.self * scale);
        if (weight !== 0) samples.push(new Sample({ locationId: [...path].reverse(), value: [weight], label }));
        go(child);
        path.pop();
      }
    };
    go(tree.root);
  }
  const [type, unitName] = SAMPLE_TYPE[unit];
  const profile = new Profile({
    sampleType: [new ValueType({ type: strings.dedup(type), unit: strings.dedup(unitName) })],
    sample: samples,
    location: locations,
    function: functionList,
    stringTable: strings,
    durationNanos: Math.round(durationNanos),
    ...(sampleIntervalNs === undefined ? {} : { period: sampleIntervalNs, periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }) }),
  });
  return gzipSync(profile.encode());
}

/** Decodes a gzipped pprof back into a call tree (for round-trip checks and merging). */
export function fromPprof(gzipped: Uint8Array, template: Pick<CallTree, 'mode' | 'unit'>): CallTree {
  return decode(gzipped, template).after;
}

/** Decodes a differential pprof: samples labelled `pprof::base=true` (negated back) are 'before'. */
export function fromPprofDiff(gzipped: Uint8Array, template: Pick<CallTree, 'mode' | 'unit'>): { before: CallTree; after: CallTree } {
  return decode(gzipped, template);
}

/** A sample value as pprof means it: a signed 64-bit integer (pprof-format reads varints unsigned). */
function int64(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : value;
}

function decode(gzipped: Uint8Array, template: Pick<CallTree, 'mode' | 'unit'>): { before: CallTree; after: CallTree } {
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
  const before = emptyTree(template.mode, template.unit);
  const after = emptyTree(template.mode, template.unit);
  for (const sample of profile.sample) {
    const base = sample.label.some((l) => strings[Number(l.key)] === PPROF_BASE_LABEL && strings[Number(l.str)] === 'true');
    let node = (base ? before : after).root;
    for (const id of [...sample.locationId].reverse()) node = childFor(node, functionOfLocation.get(String(id)) ?? { name: '?' });
    node.self += (base ? -1 : 1) * int64(sample.value[0] ?? 0);
  }
  for (const tree of [before, after]) {
    recomputeTotals(tree.root);
    finishRoot(tree.root);
  }
  return { before, after };
}

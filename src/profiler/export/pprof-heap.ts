/**
 * An allocation report as a gzipped pprof heap profile, the way Go's runtime writes one: four
 * sample types per site — alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes (in use = live when the report was taken) — so `go tool pprof
 * -sample_index=alloc_space` and friends work as they do on Go heaps. Locations are leaf-first;
 * functions carry `wasm-function[N]` as their system name (see pprof.ts).
 */
import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { frameKey, type FrameIdentity } from '../model/call-tree.js';
import type { AllocationReport } from '../model/allocation-report.js';

export const HEAP_SAMPLE_TYPES = [
  ['alloc_objects', 'count'],
  ['alloc_space', 'bytes'],
  ['inuse_objects', 'count'],
  ['inuse_space', 'bytes'],
] as const;

export function toPprofHeap(report: AllocationReport): Uint8Array {
  const strings = new StringTable();
  const ids = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationOf = (frame: FrameIdentity): number => {
    const key = frameKey(frame);
    let id = ids.get(key);
    if (id === undefined) {
      id = functions.length + 1;
      ids.set(key, id);
      const systemName = frame.functionIndex === undefined ? '' : `wasm-function[${frame.functionIndex}]`;
      functions.push(new PprofFunction({ id, name: strings.dedup(frame.name), systemName: strings.dedup(systemName), filename: strings.dedup('wasm') }));
      locations.push(new Location({ id, line: [new Line({ functionId: id, line: 0 })] }));
    }
    return id;
  };
  const samples = report.sites.map(
    (site) =>
      new Sample({
        locationId: (site.stack.length === 0 ? [{ name: '(host)' }] : site.stack).map(locationOf).reverse(),
        value: [site.blocks, site.bytes, site.liveBlocksAtEnd, site.liveBytesAtEnd],
      }),
  );
  const sampleType = HEAP_SAMPLE_TYPES.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }));
  const profile = new Profile({
    sampleType,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: 1, // every allocation is recorded: no sampling rate to scale by
    defaultSampleType: strings.dedup('inuse_space'),
  });
  return gzipSync(profile.encode());
}

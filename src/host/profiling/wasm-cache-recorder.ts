/**
 * One instance of the cache recorder (assembly/recorders/cache.ts): configured with a geometry
 * and limits, its exports become a sandbox's hook imports, and its memory is read into a
 * `CacheRecording` after the calls, never per event.
 */
import { setsOf } from '../../profiler/build/cache-geometry.js';
import type { CacheNodeRecord, CacheRecorderLimits, CacheRecording, StrideRecord } from '../../profiler/build/cache-recording.js';
import { REUSE_BUCKETS } from '../../profiler/build/reuse-distance.js';
import { STREAMS_PER_FUNCTION } from '../../profiler/build/stride-detector.js';
import type { CacheGeometry } from '../../profiler/model/cache-report.js';
import { CoalescedAccesses } from '../coalesced-accesses.js';
import type { LinkedHooks } from '../guest-module.js';
import { recorderModule } from './bundled-recorders.js';

interface CacheRecorderExports {
  readonly memory: WebAssembly.Memory;
  configure(...args: number[]): number;
  report_load(bytes: number, offset: number, pointer: number): number;
  report_store(bytes: number, offset: number, pointer: number): number;
  run(streamClass: number, count: number, second: number): void;
  enter(id: number): void;
  exit(id: number): void;
  unwind(): void;
  nodeTable(): number;
  nodesUsed(): number;
  strideTable(): number;
  reuseTable(): number;
  coldTouches(): number;
  untrackedTouches(): number;
  droppedCalls(): number;
}

/** Byte layout of the recorder's tables (cache.ts's header). */
const NODE_BYTES = 80;
const STRIDE_BYTES = 64;

export class WasmCacheRecorder {
  private readonly exports: CacheRecorderExports;
  private coalesced: CoalescedAccesses | undefined;

  constructor(private readonly geometry: CacheGeometry, private readonly limits: CacheRecorderLimits) {
    this.exports = new WebAssembly.Instance(recorderModule('cache')).exports as unknown as CacheRecorderExports;
    const { d1, ll } = geometry;
    this.exports.configure(
      setsOf(d1), d1.associativity, Math.log2(d1.lineBytes),
      setsOf(ll), ll.associativity, Math.log2(ll.lineBytes),
      limits.maxLines, limits.maxNodes, limits.functions, limits.maxDepth,
    );
  }

  /** The recorder's exports as a sandbox's hook imports. */
  get hooks(): LinkedHooks {
    const e = this.exports;
    return {
      enter: e.enter, exit: e.exit, load: e.report_load, store: e.report_store, run: e.run,
      // The guest counts accesses within its two latest D1 lines itself; they reach the recorder with its next report, or here.
      attached: (exports) => (this.coalesced = new CoalescedAccesses(exports, this.geometry.d1.lineBytes)),
    };
  }

  unwind(): void {
    this.exports.unwind();
  }

  recording(): CacheRecording {
    const e = this.exports;
    this.coalesced?.drain(e);
    const buffer = e.memory.buffer;
    const used = e.nodesUsed();
    const nodeBase = e.nodeTable();
    const ints = new Int32Array(buffer, nodeBase, (used * NODE_BYTES) / 4);
    const floats = new Float64Array(buffer, nodeBase, (used * NODE_BYTES) / 8);
    const nodes: CacheNodeRecord[] = [];
    for (let i = 0; i < used; i++) {
      const w = (i * NODE_BYTES) / 4;
      const f = (i * NODE_BYTES) / 8;
      nodes.push({
        parent: ints[w]!, fn: ints[w + 1]!,
        calls: floats[f + 2]!, reads: floats[f + 3]!, writes: floats[f + 4]!,
        d1ReadMisses: floats[f + 5]!, d1WriteMisses: floats[f + 6]!, llReadMisses: floats[f + 7]!, llWriteMisses: floats[f + 8]!,
        workingSetLines: floats[f + 9]!,
      });
    }
    const streams = (this.limits.functions + 1) * STREAMS_PER_FUNCTION;
    const strideFloats = new Float64Array(buffer, e.strideTable(), (streams * STRIDE_BYTES) / 8);
    const strideInts = new BigInt64Array(buffer, e.strideTable(), (streams * STRIDE_BYTES) / 8);
    const strides: StrideRecord[] = [];
    for (let i = 0; i < streams; i++) {
      const f = (i * STRIDE_BYTES) / 8;
      strides.push({ candidate: Number(strideInts[f + 2]!), votes: Number(strideInts[f + 3]!), deltas: strideFloats[f + 4]!, repeats: strideFloats[f + 5]!, maxBytes: strideFloats[f + 6]! });
    }
    return {
      nodes,
      strides,
      reuseBuckets: [...new Float64Array(buffer, e.reuseTable(), REUSE_BUCKETS)],
      reuseCold: e.coldTouches(),
      untrackedLines: e.untrackedTouches(),
      droppedNodes: e.droppedCalls(),
    };
  }
}

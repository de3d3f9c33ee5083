/**
 * Turns a cache recording (either recorder's) into the report: per function (self counters
 * summed over the function's nodes, as cachegrind's per-function lines), per export (the
 * root's children: one entry per call from the host), the call tree, totals, the
 * reuse-distance histogram and the stride of each function's accesses.
 */
import { CACHE_REPORT_SCHEMA, type CacheCounters, type CacheStreamStats, type CacheExportStats, type CacheFunctionStats, type CacheGeometry, type CacheReport, type CacheTreeNode, type StridePattern } from '../model/cache-report.js';
import type { FrameIdentity } from '../model/call-tree.js';
import type { CacheNodeRecord, CacheRecording } from './cache-recording.js';
import { reuseBucketMax } from './reuse-distance.js';
import { classifyStride, STREAMS_PER_FUNCTION, streamOfClass } from './stride-detector.js';

export interface CacheReportContext {
  readonly geometry: CacheGeometry;
  /** The frame each profile id stands for (its name and module function index). */
  readonly frame: (profileId: number) => FrameIdentity;
  /** The export name a function is called by from the host, when it is exported. */
  readonly exportName: (profileId: number) => string | undefined;
  /** Function hooks were on: per-function, per-export and call-tree figures exist. */
  readonly hooks: boolean;
  readonly notes?: readonly string[];
}

type Raw = Pick<CacheNodeRecord, 'reads' | 'writes' | 'd1ReadMisses' | 'd1WriteMisses' | 'llReadMisses' | 'llWriteMisses'>;

/** The counters with cachegrind's cycle estimate and the miss rates. */
export function cacheCounters(raw: Raw): CacheCounters {
  const { reads, writes, d1ReadMisses, d1WriteMisses, llReadMisses, llWriteMisses } = raw;
  const references = reads + writes;
  const d1Misses = d1ReadMisses + d1WriteMisses;
  const llMisses = llReadMisses + llWriteMisses;
  return {
    reads, writes, d1ReadMisses, d1WriteMisses, llReadMisses, llWriteMisses,
    estimatedCycles: references - d1Misses + 5 * (d1Misses - llMisses) + 35 * llMisses,
    d1MissRate: references === 0 ? 0 : d1Misses / references,
    llMissRate: references === 0 ? 0 : llMisses / references,
  };
}

const ZERO: Raw = { reads: 0, writes: 0, d1ReadMisses: 0, d1WriteMisses: 0, llReadMisses: 0, llWriteMisses: 0 };

function add(a: Raw, b: Raw): Raw {
  return {
    reads: a.reads + b.reads, writes: a.writes + b.writes,
    d1ReadMisses: a.d1ReadMisses + b.d1ReadMisses, d1WriteMisses: a.d1WriteMisses + b.d1WriteMisses,
    llReadMisses: a.llReadMisses + b.llReadMisses, llWriteMisses: a.llWriteMisses + b.llWriteMisses,
  };
}

const byCycles = <T extends CacheCounters & { name: string }>(a: T, b: T): number =>
  b.estimatedCycles - a.estimatedCycles || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function buildCacheReport(recording: CacheRecording, context: CacheReportContext): CacheReport {
  const { nodes } = recording;
  const totals = nodes.reduce<Raw>((sum, n) => add(sum, n), ZERO);
  const notes = [
    'a simulation of the guest\'s own loads and stores: estimated cycles are cachegrind\'s model (L1 hit 1, LL hit 5, RAM 35), not a measurement',
    ...(context.hooks ? [] : ['per-function, per-export and call-tree figures need the module loaded with { instrument: { memory: true, hooks: true } }']),
    ...(recording.untrackedLines > 0 ? [`${recording.untrackedLines} line touches beyond the tracked range have no reuse distance or working set`] : []),
    ...(recording.droppedNodes > 0 ? [`${recording.droppedNodes} calls did not fit the call-tree table and count in their caller`] : []),
    ...(context.notes ?? []),
  ];

  const functions: CacheFunctionStats[] = [];
  const exports: CacheExportStats[] = [];
  let callTree: CacheTreeNode | undefined;
  if (context.hooks) {
    const perFunction = new Map<number, Raw>();
    for (const node of nodes) if (node.fn >= 0) perFunction.set(node.fn, add(perFunction.get(node.fn) ?? ZERO, node));
    for (const [fn, raw] of perFunction) {
      if (raw.reads + raw.writes === 0) continue;
      const streams = streamsOf(recording, fn);
      // A walk through memory is what the pattern should name: regular walks first, then
      // irregular streams, last the streams that repeat one address (stack slots, a header field).
      const rank = (p: StridePattern): number => (p.kind === 'irregular' ? 1 : p.bytes === 0 ? 2 : 0);
      const main = [...streams].sort((a, b) => rank(a.stride) - rank(b.stride))[0];
      functions.push({ ...context.frame(fn), ...cacheCounters(raw), stride: main?.stride ?? { kind: 'irregular' }, streams });
    }
    functions.sort(byCycles);
    const perExport = new Map<string, { raw: Raw; calls: number; lines: number }>();
    const kids = childrenOf(nodes);
    const totals = inclusiveTotals(nodes);
    const inclusive = (index: number): Raw => totals[index]!;
    for (const child of kids.get(0) ?? []) {
      const node = nodes[child]!;
      const name = context.exportName(node.fn) ?? context.frame(node.fn).name;
      const entry = perExport.get(name) ?? { raw: ZERO, calls: 0, lines: 0 };
      perExport.set(name, { raw: add(entry.raw, inclusive(child)), calls: entry.calls + node.calls, lines: entry.lines + node.workingSetLines });
    }
    for (const [name, { raw, calls, lines }] of perExport) exports.push({ name, calls, workingSetLines: calls === 0 ? 0 : lines / calls, ...cacheCounters(raw) });
    exports.sort(byCycles);
    callTree = buildTree(nodes, totals, context);
  }

  return {
    schema: CACHE_REPORT_SCHEMA,
    geometry: context.geometry,
    totals: cacheCounters(totals),
    functions,
    exports,
    reuseDistance: {
      lineBytes: context.geometry.d1.lineBytes,
      buckets: recording.reuseBuckets.map((count, bucket) => ({ maxDistance: reuseBucketMax(bucket), count })).filter((b) => b.count > 0),
      cold: recording.reuseCold,
    },
    notes,
    ...(callTree === undefined ? {} : { callTree }),
  };
}

/** A function's streams with at least one delta, most deltas first (loads before stores on ties). */
function streamsOf(recording: CacheRecording, fn: number): CacheStreamStats[] {
  const streams: CacheStreamStats[] = [];
  const base = (fn + 1) * STREAMS_PER_FUNCTION;
  for (let i = 0; i < STREAMS_PER_FUNCTION; i++) {
    const record = recording.strides[base + i];
    if (record === undefined || record.deltas === 0) continue;
    const { kind, bytes } = streamOfClass(i);
    streams.push({ kind, ...(bytes === undefined ? {} : { bytes }), deltas: record.deltas, stride: classifyStride(record) });
  }
  return streams.sort((a, b) => b.deltas - a.deltas);
}

function childrenOf(nodes: readonly CacheNodeRecord[]): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  nodes.forEach((node, index) => {
    if (index > 0) kids.set(node.parent, [...(kids.get(node.parent) ?? []), index]);
  });
  return kids;
}

/**
 * Inclusive counters of every node, without recursion (recursive guests make trees thousands
 * deep): a child is always recorded after its parent, so one backward pass adds each node into
 * its parent.
 */
function inclusiveTotals(nodes: readonly CacheNodeRecord[]): Raw[] {
  const totals: Raw[] = nodes.map((n) => n);
  for (let i = nodes.length - 1; i > 0; i--) {
    const parent = nodes[i]!.parent;
    totals[parent] = add(totals[parent]!, totals[i]!);
  }
  return totals;
}

function buildTree(nodes: readonly CacheNodeRecord[], totals: readonly Raw[], context: CacheReportContext): CacheTreeNode {
  type Mutable = { -readonly [K in keyof CacheTreeNode]: CacheTreeNode[K] } & { children: CacheTreeNode[] };
  const built: Mutable[] = nodes.map((node, index) => ({
    ...(index === 0 ? { name: '(root)' } : context.frame(node.fn)),
    calls: node.calls,
    self: cacheCounters(node),
    total: cacheCounters(totals[index]!),
    children: [],
  }));
  for (let i = 1; i < nodes.length; i++) built[nodes[i]!.parent]!.children.push(built[i]!);
  return built[0]!;
}

/**
 * Fraction of line touches a fully associative LRU cache of `lines` lines would miss, from
 * the reuse histogram (exact at bucket edges: sizes 1, 2, 4, … lines; cold touches always miss).
 */
export function missRateAt(report: CacheReport['reuseDistance'], lines: number): number {
  const all = report.cold + report.buckets.reduce((n, b) => n + b.count, 0);
  if (all === 0) return 0;
  const misses = report.cold + report.buckets.filter((b) => b.maxDistance >= lines).reduce((n, b) => n + b.count, 0);
  return misses / all;
}

/**
 * Hand-made profile data for the analyzer's unit tests: a module profile with quiet defaults
 * (nothing a rule fires on), exports and latency summaries from real HDR histograms.
 */
import type { ExportProfile } from '../../src/profiler/build/call-recorder.js';
import { createLatencyHistogram, releaseHistogram, summarizeHistogram, type LatencySummary } from '../../src/profiler/build/latency-histogram.js';
import { createNode, emptyTree, finishRoot, type CallTree, type CallTreeNode, type ProfileMode, type WeightUnit } from '../../src/profiler/model/call-tree.js';
import { MODULE_PROFILE_SCHEMA, type ModuleProfile } from '../../src/profiler/model/module-profile.js';

/** A latency summary of these values (ns), each `weight` times. */
export function latencyOf(values: readonly number[], weight = 1): LatencySummary {
  const h = createLatencyHistogram();
  for (const v of values) h.recordValueWithCount(v, weight);
  const summary = summarizeHistogram(h);
  releaseHistogram(h);
  return summary;
}

/** `count` calls: `slow` of them at `slowNs`, the rest at `fastNs`. */
export function latencyMix(count: number, fastNs: number, slow = 0, slowNs = fastNs): LatencySummary {
  return latencyOf([...Array.from({ length: count - slow }, () => fastNs), ...Array.from({ length: slow }, () => slowNs)]);
}

export function exportProfile(name: string, over: Partial<ExportProfile> = {}): ExportProfile {
  const calls = over.calls ?? 10;
  return {
    name,
    calls,
    ok: calls - Object.values(over.errors ?? {}).reduce((n, c) => n + c, 0),
    errors: {},
    latency: latencyMix(Math.min(calls, 200), 10_000),
    timing: { mode: 'adaptive', thresholdNs: 5000, sampleInterval: 32, timedCalls: calls, sampledCalls: 0 },
    totalMs: calls * 0.01,
    callsPerSecond: undefined,
    memory: { growthEvents: 0, bytesGrown: 0, bytesBefore: 65536, bytesAfter: 65536 },
    bytesIn: 0,
    bytesOut: 0,
    instructions: 0,
    ...over,
  };
}

export function moduleProfile(label: string, over: Partial<ModuleProfile> = {}): ModuleProfile {
  return {
    schema: MODULE_PROFILE_SCHEMA,
    module: { id: `id-${label}`, label, sizeBytes: 1000 },
    instances: 1,
    coldStart: { readMs: 0.1, hashMs: 0.1, cache: 'hit', compileMs: 0, instantiateMs: 0.2, firstCallMs: 0.1, firstCallExport: 'f' },
    memory: { limitPages: 4096, declaredInitialPages: 1, declaredMaximumPages: undefined, capped: true, peakBytes: 65536 },
    cache: { hits: 0, misses: 1, coalesced: 0, evictions: 0, oversize: 0, compileMs: 2, entries: 1, bytes: 1000, maxEntries: 256, maxBytes: 1 << 28 },
    exports: [exportProfile('f')],
    ...over,
  };
}

/** A call tree from nested literals: [name, self, calls, children?]. */
export type NodeSpec = readonly [name: string, self: number, calls: number, children?: readonly NodeSpec[]];

export function treeOf(mode: ProfileMode, unit: WeightUnit, specs: readonly NodeSpec[], indexOf: (name: string) => number | undefined = () => undefined): CallTree {
  const tree = emptyTree(mode, unit);
  const build = ([name, self, calls, children = []]: NodeSpec): CallTreeNode => {
    const index = indexOf(name);
    const node = createNode(name, index);
    node.self = self;
    node.calls = calls;
    node.children = children.map(build);
    node.total = self + node.children.reduce((n, c) => n + c.total, 0);
    node.min = calls === 0 ? 0 : node.total / calls;
    node.max = node.min;
    return node;
  };
  tree.root.children = specs.map(build);
  finishRoot(tree.root);
  return tree;
}

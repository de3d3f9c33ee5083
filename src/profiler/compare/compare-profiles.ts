/**
 * Profile-against-profile comparison (pprof's -diff_base, per function): self and total
 * deltas, functions that appeared or vanished, and the allocation and cache deltas when both
 * sides carry those reports. In the instructions mode every number is a count and every delta
 * exact; the totals that are counts become exact metrics the regression gate can judge.
 */
import { CompareInputError } from '../../errors.js';
import type { FunctionStats, ProfileMode, WeightUnit } from '../model/call-tree.js';
import type { ProfileSide } from './profile-input.js';
import { compareAllocations, compareCache, type AllocationComparison, type CacheComparison, type CountDelta, type Presence } from './compare-memory.js';
import { compareExact, COMPARE_DEFAULTS, type Verdict } from './statistics.js';

export interface FunctionDelta {
  readonly name: string;
  readonly presence: Presence;
  readonly self: CountDelta;
  readonly total: CountDelta;
  readonly calls: CountDelta;
}

/** A count both sides have, compared exactly (benchstat's assume=exact). */
export interface ExactMetric {
  readonly name: string;
  readonly unit: string;
  readonly before: number;
  readonly after: number;
  readonly delta: number;
  readonly relative: number | undefined;
  readonly verdict: Verdict;
  readonly beyondThreshold: boolean;
}

export interface ProfileComparison {
  readonly mode: ProfileMode | undefined;
  readonly unit: WeightUnit | undefined;
  /** Weights are counts (instructions mode): deltas are exact. */
  readonly exact: boolean;
  readonly total: CountDelta;
  /** Every function of either side, largest |self delta| first (unchanged ones last). */
  readonly functions: readonly FunctionDelta[];
  readonly appeared: readonly string[];
  readonly vanished: readonly string[];
  readonly allocations?: AllocationComparison;
  readonly cache?: CacheComparison;
  /** The counts the gate judges: instructions (exact mode), allocation and cache totals. */
  readonly exactMetrics: readonly ExactMetric[];
  readonly notes: readonly string[];
}

/**
 * Functions are paired by name (indexes change between builds); a name that repeats within a
 * profile is told apart by its order of appearance, `dup`, `dup #2`.
 */
function byName(functions: readonly FunctionStats[]): Map<string, FunctionStats> {
  const map = new Map<string, FunctionStats>();
  const seen = new Map<string, number>();
  const ordered = [...functions].sort((a, b) => (a.functionIndex ?? -1) - (b.functionIndex ?? -1));
  for (const f of ordered) {
    const n = (seen.get(f.name) ?? 0) + 1;
    seen.set(f.name, n);
    map.set(n === 1 ? f.name : `${f.name} #${n}`, f);
  }
  return map;
}

const d = (before: number, after: number): CountDelta => ({ before, after, delta: after - before });

export function compareProfiles(before: ProfileSide, after: ProfileSide, options: { threshold?: number } = {}): ProfileComparison {
  const threshold = options.threshold ?? COMPARE_DEFAULTS.threshold;
  if (before.unit !== undefined && after.unit !== undefined && before.unit !== after.unit) {
    throw new CompareInputError(`${before.source} weighs ${before.unit}, ${after.source} ${after.unit}: profile both in the same mode`);
  }
  const unit = before.unit ?? after.unit;
  const exact = unit === 'instructions';
  const b = byName(before.functions);
  const a = byName(after.functions);
  const zero: Pick<FunctionStats, 'self' | 'total' | 'calls'> = { self: 0, total: 0, calls: 0 };
  const functions: FunctionDelta[] = [...new Set([...b.keys(), ...a.keys()])].map((name) => {
    const x = b.get(name) ?? zero;
    const y = a.get(name) ?? zero;
    return {
      name,
      presence: !b.has(name) ? 'appeared' : !a.has(name) ? 'vanished' : 'both',
      self: d(x.self, y.self),
      total: d(x.total, y.total),
      calls: d(x.calls, y.calls),
    };
  });
  functions.sort((p, q) => Math.abs(q.self.delta) - Math.abs(p.self.delta) || Math.abs(q.total.delta) - Math.abs(p.total.delta) || (p.name < q.name ? -1 : 1));

  const exactMetrics: ExactMetric[] = [];
  const metric = (name: string, unitName: string, x: number, y: number): void => {
    const c = compareExact(x, y, { threshold });
    exactMetrics.push({ name, unit: unitName, before: x, after: y, ...c });
  };
  if (exact) metric('instructions', 'instructions', before.total, after.total);
  const allocations = before.allocations && after.allocations ? compareAllocations(before.allocations, after.allocations) : undefined;
  if (allocations) {
    metric('allocated blocks', 'blocks', allocations.totals.blocks.before, allocations.totals.blocks.after);
    metric('allocated bytes', 'bytes', allocations.totals.bytes.before, allocations.totals.bytes.after);
    metric('live bytes at end', 'bytes', allocations.totals.liveBytesAtEnd.before, allocations.totals.liveBytesAtEnd.after);
    metric('peak live bytes', 'bytes', allocations.peakLiveBytes.before, allocations.peakLiveBytes.after);
  }
  const cache = before.cacheSimulation && after.cacheSimulation ? compareCache(before.cacheSimulation, after.cacheSimulation) : undefined;
  if (cache) {
    metric('D1 misses', 'misses', cache.totals.d1Misses.before, cache.totals.d1Misses.after);
    metric('LL misses', 'misses', cache.totals.llMisses.before, cache.totals.llMisses.after);
    metric('estimated cycles', 'cycles', cache.totals.estimatedCycles.before, cache.totals.estimatedCycles.after);
  }

  const notes: string[] = [];
  if (!exact && unit !== undefined) notes.push(`weights are ${unit}: one profile a side carries no noise estimate, so these deltas are not judged (use bench files or an interleaved A/B for timing)`);
  if (before.functions.length === 0 || after.functions.length === 0) notes.push('a side has no per-function data (profiled without a call-tree profiler)');
  if ((before.allocations === undefined) !== (after.allocations === undefined)) notes.push('only one side has an allocation report: allocations not compared');
  if ((before.cacheSimulation === undefined) !== (after.cacheSimulation === undefined)) notes.push('only one side has a cache simulation: cache not compared');
  if (cache?.geometryDiffers) notes.push('the two cache simulations used different geometries: miss counts are not comparable');
  return {
    mode: before.mode ?? after.mode,
    unit,
    exact,
    total: d(before.total, after.total),
    functions,
    appeared: functions.filter((f) => f.presence === 'appeared').map((f) => f.name),
    vanished: functions.filter((f) => f.presence === 'vanished').map((f) => f.name),
    ...(allocations ? { allocations } : {}),
    ...(cache ? { cache } : {}),
    exactMetrics,
    notes,
  };
}

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
  /** The after side's name (the before side's for a function that vanished). */
  readonly name: string;
  /** The before side's name, when the function was paired by its base name (see `pairFunctions`). */
  readonly renamedFrom?: string;
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

/** `assembly/grid-sum-rows/sum` → `sum`: AssemblyScript names carry their source path, which a rebuild may change. */
function baseName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 || slash === name.length - 1 ? name : name.slice(slash + 1);
}

/**
 * Pairs the functions of two builds: by name first; then what is left on both sides by base
 * name (the text after the last `/`), where that base name is unique among the leftovers of
 * each side, so moving or renaming a source file does not read as every function replaced.
 */
export function pairFunctions(before: ReadonlyMap<string, FunctionStats>, after: ReadonlyMap<string, FunctionStats>): { before?: string; after?: string }[] {
  const pairs: { before?: string; after?: string }[] = [];
  const leftBefore: string[] = [];
  for (const name of before.keys()) {
    if (after.has(name)) pairs.push({ before: name, after: name });
    else leftBefore.push(name);
  }
  const leftAfter = [...after.keys()].filter((name) => !before.has(name));
  const unique = (names: readonly string[]): Map<string, string> => {
    const count = new Map<string, number>();
    for (const n of names) count.set(baseName(n), (count.get(baseName(n)) ?? 0) + 1);
    return new Map(names.filter((n) => count.get(baseName(n)) === 1).map((n) => [baseName(n), n]));
  };
  const afterByBase = unique(leftAfter);
  const beforeByBase = unique(leftBefore);
  const paired = new Set<string>();
  for (const name of leftBefore) {
    const match = beforeByBase.get(baseName(name)) === name ? afterByBase.get(baseName(name)) : undefined;
    if (match === undefined) pairs.push({ before: name });
    else {
      pairs.push({ before: name, after: match });
      paired.add(match);
    }
  }
  for (const name of leftAfter) if (!paired.has(name)) pairs.push({ after: name });
  return pairs;
}

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
  const functions: FunctionDelta[] = pairFunctions(b, a).map((pair) => {
    const x = pair.before === undefined ? zero : b.get(pair.before)!;
    const y = pair.after === undefined ? zero : a.get(pair.after)!;
    return {
      name: (pair.after ?? pair.before)!,
      ...(pair.before !== undefined && pair.after !== undefined && pair.before !== pair.after ? { renamedFrom: pair.before } : {}),
      presence: pair.before === undefined ? 'appeared' : pair.after === undefined ? 'vanished' : 'both',
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
  // Fuel-counted exports: instructions per call, exact (`run --fuel --json`'s profile has them).
  for (const e of before.exports ?? []) {
    const other = after.exports?.find((x) => x.name === e.name);
    if (other === undefined || e.calls === 0 || other.calls === 0 || e.instructions === 0 || other.instructions === 0) continue;
    metric(`instructions per call of ${e.name}`, 'instructions', e.instructions / e.calls, other.instructions / other.calls);
  }
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

/**
 * Judges an interleaved A/B run (host/profiling/interleaved-ab.ts measures it): the timed rounds
 * through the bench statistics, and the counts — instructions per call and per function,
 * allocations, cache counters — exactly, as profile deltas.
 */
import type { CallTree, FunctionStats } from '../model/call-tree.js';
import type { ModuleProfile } from '../model/module-profile.js';
import { caseKey, type BenchCase } from './bench-input.js';
import { compareBenchmarks, type BenchComparison, type CompareOptions } from './compare-benchmarks.js';
import { compareProfiles, type ProfileComparison } from './compare-profiles.js';
import type { ProfileSide } from './profile-input.js';
import { COMPARE_DEFAULTS, compareExact } from './statistics.js';

export interface InterleavedSide {
  readonly label: string;
  /** SHA-256 of the module's bytes. */
  readonly moduleId: string;
  /** Time per call of each measured round, ns, in round order. */
  readonly nsPerCall: readonly number[];
  /** What the export returned (the two builds should agree). */
  readonly result: unknown;
  /** Instructions one call executes (exact; undefined when not counted). */
  readonly instructions: number | undefined;
  /** Per-function instructions of one call (the instructions mode). */
  readonly functions: readonly FunctionStats[] | undefined;
  readonly tree: CallTree | undefined;
  /** The instrumented module's profile: allocation and cache reports ride on it when a tracker watched. */
  readonly profile: ModuleProfile | undefined;
}

export interface InterleavedRun {
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly rounds: number;
  readonly callsPerRound: number;
  readonly order: 'ABAB';
  readonly before: InterleavedSide;
  readonly after: InterleavedSide;
}

export interface InterleavedComparison {
  readonly run: InterleavedRun;
  readonly timed: BenchComparison;
  /** Exact deltas (instructions per function, allocations, cache); undefined when not counted. */
  readonly counts: ProfileComparison | undefined;
  /** False when the builds returned different results: the "optimisation" changed behaviour. */
  readonly resultsAgree: boolean;
}

function sameResult(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

function countsSide(side: InterleavedSide): ProfileSide | undefined {
  if (side.functions === undefined || side.instructions === undefined) return undefined;
  return {
    source: side.label,
    mode: 'instructions',
    unit: 'instructions',
    total: side.instructions,
    functions: side.functions,
    ...(side.tree ? { tree: side.tree } : {}),
    ...(side.profile?.allocations ? { allocations: side.profile.allocations } : {}),
    ...(side.profile?.cacheSimulation ? { cacheSimulation: side.profile.cacheSimulation } : {}),
  };
}

export function compareInterleaved(run: InterleavedRun, options: CompareOptions = {}): InterleavedComparison {
  const name = `${run.exportName}(${run.args.map(String).join(', ')})`;
  const timedCase = (side: InterleavedSide): BenchCase => ({
    key: caseKey('A/B', name, 'time per call'), benchmark: 'A/B', case: name, metric: 'time per call', unit: 'ns',
    samples: side.nsPerCall, deterministic: false, better: 'lower',
  });
  const timed = compareBenchmarks([timedCase(run.before)], [timedCase(run.after)], options);
  const b = countsSide(run.before);
  const a = countsSide(run.after);
  const threshold = options.threshold ?? COMPARE_DEFAULTS.threshold;
  const compared = b && a ? compareProfiles(b, a, { threshold }) : undefined;
  // Guest memory after one call is as deterministic as its instructions: the same input, the same pages.
  const peak = (side: InterleavedSide): number | undefined => side.profile?.memory.peakBytes;
  const [pb, pa] = [peak(run.before), peak(run.after)];
  const counts = compared && pb !== undefined && pa !== undefined
    ? { ...compared, exactMetrics: [...compared.exactMetrics, { name: 'guest memory after one call', unit: 'bytes', before: pb, after: pa, ...compareExact(pb, pa, { threshold }) }] }
    : compared;
  return { run, timed, counts, resultsAgree: sameResult(run.before.result, run.after.result) };
}

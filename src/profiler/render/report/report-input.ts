/**
 * What the HTML report is made from: one or two runs (before, after), each a set of module
 * profiles with, where a profiler watched, their call trees; a pool's workers and queue wait;
 * benchmark results; and the analyzer's findings. `readReportRun` recognises every JSON the
 * library and CLI write (saved profiles through `parseSavedProfile`) and turns it into a run.
 */
import { ProfileFormatError } from '../../../errors.js';
import { guestText } from '../../../untrusted-text.js';
import type { LatencySummary } from '../../build/latency-histogram.js';
import { ALLOCATION_REPORT_SCHEMA, type AllocationReport } from '../../model/allocation-report.js';
import { CACHE_REPORT_SCHEMA, type CacheReport } from '../../model/cache-report.js';
import type { AnalysisReport } from '../../model/finding.js';
import { ANALYSIS_SCHEMA } from '../../model/finding.js';
import { BENCH_SCHEMAS, type BenchFile } from '../../model/bench-result.js';
import { CALL_TREE_SCHEMA, type CallTree } from '../../model/call-tree.js';
import { MODULE_PROFILE_SCHEMA, type ModuleProfile } from '../../model/module-profile.js';
import type { PoolProfile } from '../../model/pool-profile.js';
import { parseSavedProfile, READABLE_PROFILE_SCHEMAS, SAVED_PROFILE_SCHEMA, type ProfiledModule } from '../../model/saved-profile.js';
import type { ReportComparison } from './comparison.js';

/** A module as saved (profile, call tree, what was measured beside them), and for pools its queue wait. */
export interface ReportModule extends ProfiledModule {
  /** Pool runs: time from `call()` to a worker starting the call. */
  readonly queueWait?: LatencySummary;
}

export interface ReportRun {
  /** What the run is called in the page (the file it came from, say). */
  readonly name: string;
  readonly modules: readonly ReportModule[];
  /** Pool runs: threads, restarts and crashes. */
  readonly workers?: PoolProfile['workers'];
  /** Pool runs: the pool's profile as saved (what the analyzer reads). */
  readonly pool?: PoolProfile;
  readonly bench?: readonly BenchFile[];
  /** Findings saved with the run (a saved profile may carry its analysis). */
  readonly analysis?: AnalysisReport;
}

export interface ReportInput {
  readonly title?: string;
  /** One run, or two to compare: before, then after. */
  readonly runs: readonly ReportRun[];
  /** Findings shown first; by default the latest run's own. */
  readonly analysis?: AnalysisReport;
  /** Before/after statistics; by default `compareRuns` of the two runs. */
  readonly comparison?: ReportComparison;
  /** Shown in the header (an ISO time, say); the renderer reads no clock. */
  readonly generatedAt?: string;
}

/** Every schema the report reads. */
const READABLE: readonly string[] = [...READABLE_PROFILE_SCHEMAS, ANALYSIS_SCHEMA, ...BENCH_SCHEMAS];

/** `family@N` is a later version of the `family@M` this version reads. */
function isNewer(found: string, known: string): boolean {
  const [a, b] = [/^(.*)@(\d+)$/.exec(found), /^(.*)@(\d+)$/.exec(known)];
  return a !== null && b !== null && a[1] === b[1] && Number(a[2]) > Number(b[2]);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isModuleProfile = (v: unknown): v is ModuleProfile => isObject(v) && v.schema === MODULE_PROFILE_SCHEMA;
const isCallTree = (v: unknown): v is CallTree => isObject(v) && v.schema === CALL_TREE_SCHEMA;
const isAnalysis = (v: unknown): v is AnalysisReport => isObject(v) && v.schema === ANALYSIS_SCHEMA;
const isBench = (v: unknown): v is BenchFile => isObject(v) && (BENCH_SCHEMAS as readonly unknown[]).includes(v.schema);
const isAllocationReport = (v: unknown): v is AllocationReport => isObject(v) && v.schema === ALLOCATION_REPORT_SCHEMA;
const isCacheReport = (v: unknown): v is CacheReport => isObject(v) && v.schema === CACHE_REPORT_SCHEMA;
const isPool = (v: unknown): v is PoolProfile => isObject(v) && isObject(v.modules) && isObject(v.queueWait) && isObject(v.workers);

/** The profile the tree belongs to, or a bare one named after the tree when none was saved with it. */
function withTree(profile: ModuleProfile | undefined, tree: CallTree | undefined, name: string): ReportModule | undefined {
  if (profile === undefined) return undefined;
  return tree === undefined ? { profile } : { profile, tree };
}

/**
 * A run from one parsed JSON file. Accepted: a ModuleProfile (`module.profile()`); an array of
 * them (`demo --json`); `run --json` (`{ result, metrics, profile }`); a saved profile
 * `{ profile, tree?, analysis? }` (`profile --json`, `profile --save`); a PoolProfile
 * (`pool.profile()`); a bench result file (`bench/results/*.json`); or a list of bench files;
 * `profile --mode alloc --json` (`{ allocations, profile }`) and `profile --mode cache --json`
 * (the cache report with `profile` beside its fields), whose profile leaves out the report it
 * would repeat: the report is put back in it.
 */
export function readReportRun(value: unknown, name: string): ReportRun {
  if (isAnalysis(value)) return { name, modules: [], analysis: value };
  if (isModuleProfile(value)) return { name, modules: [{ profile: value }] };
  if (isBench(value)) return { name, modules: [], bench: [value] };
  if (Array.isArray(value) && value.length > 0 && value.every(isModuleProfile)) return { name, modules: value.map((profile) => ({ profile })) };
  if (Array.isArray(value) && value.length > 0 && value.every(isBench)) return { name, modules: [], bench: value };
  if (isPool(value)) {
    const modules = Object.entries(value.modules).map(([id, profile]) => {
      const wait = value.queueWait[id];
      return wait === undefined ? { profile } : { profile, queueWait: wait };
    });
    return { name, modules, workers: value.workers, pool: value };
  }
  if (isObject(value) && value.schema === SAVED_PROFILE_SCHEMA) {
    const saved = parseSavedProfile(value, name);
    const pool = saved.pool;
    const modules = saved.modules.map((m) => {
      const key = pool === undefined ? undefined : Object.keys(pool.modules).find((k) => pool.modules[k]!.module.id === m.profile.module.id);
      const wait = key === undefined ? undefined : pool!.queueWait[key];
      return wait === undefined ? m : { ...m, queueWait: wait };
    });
    return { name, modules, ...(pool === undefined ? {} : { workers: pool.workers, pool }) };
  }
  if (isObject(value) && isModuleProfile(value.profile) && isAllocationReport(value.allocations)) {
    return { name, modules: [{ profile: { ...value.profile, allocations: value.allocations } }] };
  }
  if (isCacheReport(value) && isModuleProfile((value as unknown as Json).profile)) {
    const { profile, ...cacheSimulation } = value as unknown as CacheReport & { readonly profile: ModuleProfile };
    return { name, modules: [{ profile: { ...profile, cacheSimulation } }] };
  }
  if (isObject(value) && (isModuleProfile(value.profile) || isCallTree(value.tree))) {
    const tree = isCallTree(value.tree) ? value.tree : undefined;
    const module = withTree(isModuleProfile(value.profile) ? value.profile : undefined, tree, name);
    const analysis = isAnalysis(value.analysis) ? value.analysis : undefined;
    if (module === undefined) {
      throw new ProfileFormatError(`${name}: holds a call tree but no module profile; save it with \`wasm-sandbox profile … --save\` (or --json) from this version, which includes one`, 'malformed', CALL_TREE_SCHEMA, READABLE);
    }
    return { name, modules: [module], ...(analysis === undefined ? {} : { analysis }) };
  }
  const found = isObject(value) && typeof value.schema === 'string' ? guestText(value.schema, 80) : undefined;
  const newer = found === undefined ? undefined : READABLE.find((known) => isNewer(found, known));
  if (newer !== undefined) {
    throw new ProfileFormatError(`${name} is ${found}, newer than this version of wasm-sandbox reads (${newer}); upgrade wasm-sandbox to read it`, 'newer-schema', found, READABLE);
  }
  throw new ProfileFormatError(
    `${name}: not a profile the report can read${found === undefined ? '' : ` (schema ${found})`}; expected a saved profile, a ModuleProfile, \`profile --json\` or \`run --json\` output, a PoolProfile, an analysis, a bench result file, or \`profile --mode alloc|cache --json\` output (${READABLE.join(', ')})`,
    found === undefined ? 'malformed' : 'unknown-schema',
    found,
    READABLE,
  );
}

/** What a run holds that a second file of the same thing would measure again. */
function subjects(run: ReportRun): Set<string> {
  return new Set([
    ...run.modules.map((m) => `module:${m.profile.module.label}`),
    ...(run.bench ?? []).map((b) => `bench:${b.benchmark}`),
    ...(run.analysis === undefined ? [] : ['analysis']),
    ...(run.workers === undefined ? [] : ['pool']),
  ]);
}

/**
 * Files given one after another join one run until a file measures something the run already
 * holds (the same module, the same benchmark, a second analysis): that file starts the next
 * run. So `profile.json analysis.json bench/results/*.json` is one run, and `before.json
 * after.json` of the same module are two, compared.
 */
export function groupRuns(files: readonly ReportRun[]): ReportRun[] {
  const runs: ReportRun[] = [];
  for (const file of files) {
    const current = runs[runs.length - 1];
    const taken = current === undefined ? undefined : subjects(current);
    if (current === undefined || taken === undefined || [...subjects(file)].some((s) => taken.has(s))) {
      runs.push(file);
      continue;
    }
    const analysis = current.analysis ?? file.analysis;
    const workers = current.workers ?? file.workers;
    const bench = [...(current.bench ?? []), ...(file.bench ?? [])];
    runs[runs.length - 1] = {
      name: `${current.name} + ${file.name}`,
      modules: [...current.modules, ...file.modules],
      ...(bench.length === 0 ? {} : { bench }),
      ...(analysis === undefined ? {} : { analysis }),
      ...(workers === undefined ? {} : { workers }),
    };
  }
  return runs;
}

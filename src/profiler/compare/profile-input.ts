/**
 * The profile side of `compare`: a saved ModuleProfile (schema-checked), a call tree as
 * `profile --json` prints it or as plain CallTree JSON, or folded stacks, all read into one
 * shape: per-function statistics, the tree when there is one (the differential flamegraph
 * needs it), and the allocation and cache reports when the profile has them.
 */
import { CompareInputError } from '../../errors.js';
import { CALL_TREE_SCHEMA, functionStats, type CallTree, type FunctionStats, type ProfileMode, type WeightUnit } from '../model/call-tree.js';
import { MODULE_PROFILE_SCHEMA, type ModuleProfile } from '../model/module-profile.js';
import { ALLOCATION_REPORT_SCHEMA, type AllocationReport } from '../model/allocation-report.js';
import { CACHE_REPORT_SCHEMA, type CacheReport } from '../model/cache-report.js';
import { fromFolded } from '../export/folded.js';

export interface ProfileSide {
  /** Where it came from (a file name), for messages. */
  readonly source: string;
  readonly mode: ProfileMode | undefined;
  readonly unit: WeightUnit | undefined;
  /** Sum of self weights (the root's total). */
  readonly total: number;
  readonly functions: readonly FunctionStats[];
  readonly tree?: CallTree;
  readonly allocations?: AllocationReport;
  readonly cacheSimulation?: CacheReport;
  /** Per export: calls and the instructions they executed (fuel-counted modules), from a ModuleProfile. */
  readonly exports?: readonly { readonly name: string; readonly calls: number; readonly instructions: number }[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(source: string, what: string): never {
  throw new CompareInputError(`${source}: ${what}`);
}

function checkTree(value: unknown, source: string): CallTree {
  if (!isObject(value) || value['schema'] !== CALL_TREE_SCHEMA || !isObject(value['root']) || !Array.isArray((value['root'] as Json)['children'])) {
    fail(source, `tree is not a ${CALL_TREE_SCHEMA} call tree`);
  }
  return value as unknown as CallTree;
}

function checkFunctions(value: unknown, source: string): FunctionStats[] {
  if (!Array.isArray(value)) fail(source, 'functions must be an array');
  value.forEach((f: unknown, i) => {
    if (!isObject(f) || typeof f['name'] !== 'string' || typeof f['self'] !== 'number' || typeof f['total'] !== 'number') {
      fail(source, `functions[${i}] needs a name, self and total`);
    }
  });
  return value as FunctionStats[];
}

function fromTree(tree: CallTree, source: string, extra: Partial<ProfileSide> = {}): ProfileSide {
  return { source, mode: tree.mode, unit: tree.unit, total: tree.root.total, functions: functionStats(tree), tree, ...extra };
}

/** Only the reports whose schema we know are compared; a foreign one is refused, not guessed at. */
function reports(value: Json, source: string): Pick<ProfileSide, 'allocations' | 'cacheSimulation'> {
  const out: { allocations?: AllocationReport; cacheSimulation?: CacheReport } = {};
  const allocations = value['allocations'];
  if (allocations !== undefined) {
    if (!isObject(allocations) || allocations['schema'] !== ALLOCATION_REPORT_SCHEMA || !Array.isArray(allocations['sites'])) fail(source, `allocations is not a ${ALLOCATION_REPORT_SCHEMA} report`);
    out.allocations = allocations as unknown as AllocationReport;
  }
  const cache = value['cacheSimulation'];
  if (cache !== undefined) {
    if (!isObject(cache) || cache['schema'] !== CACHE_REPORT_SCHEMA || !Array.isArray(cache['functions'])) fail(source, `cacheSimulation is not a ${CACHE_REPORT_SCHEMA} report`);
    out.cacheSimulation = cache as unknown as CacheReport;
  }
  return out;
}

/** True when `value` (parsed JSON) is one of the profile shapes `readProfile` takes. */
export function isProfileJson(value: unknown): boolean {
  return isObject(value) && (value['schema'] === MODULE_PROFILE_SCHEMA || value['schema'] === CALL_TREE_SCHEMA || isObject(value['tree']) || isRunOutput(value));
}

/** `run --json` prints `{ result, metrics, profile }`: its profile is a ModuleProfile. */
function isRunOutput(value: Json): boolean {
  return isObject(value['profile']) && (value['profile'] as Json)['schema'] === MODULE_PROFILE_SCHEMA;
}

function exportCounts(value: unknown, source: string): ProfileSide['exports'] {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(source, 'exports must be an array');
  return value.map((e: unknown, i) => {
    if (!isObject(e) || typeof e['name'] !== 'string' || typeof e['calls'] !== 'number') fail(source, `exports[${i}] needs a name and calls`);
    return { name: e['name'] as string, calls: e['calls'] as number, instructions: typeof e['instructions'] === 'number' ? e['instructions'] : 0 };
  });
}

/** A profile from parsed JSON (ModuleProfile, `{ tree, functions }` or a CallTree). */
export function profileFromJson(value: unknown, source: string): ProfileSide {
  if (!isObject(value)) fail(source, 'not a profile');
  if (value['schema'] === CALL_TREE_SCHEMA) return fromTree(checkTree(value, source), source);
  if (isRunOutput(value)) return profileFromJson(value['profile'], source);
  if (value['schema'] === MODULE_PROFILE_SCHEMA) {
    const profile = value as unknown as ModuleProfile & { tree?: unknown };
    const counted = exportCounts(value['exports'], source);
    const extra = { ...reports(value, source), ...(counted === undefined ? {} : { exports: counted }) };
    // A saved profile may carry its whole tree (the flamegraph needs it); then it is the source of truth.
    if (profile.tree !== undefined) return fromTree(checkTree(profile.tree, source), source, extra);
    const fns = profile.functions;
    if (fns !== undefined && !isObject(fns)) fail(source, 'functions must be an object');
    const functions = fns === undefined ? [] : checkFunctions(fns.top, source);
    return {
      source, mode: fns?.mode, unit: fns?.unit,
      total: fns?.total ?? functions.reduce((n, f) => n + f.self, 0),
      functions, ...extra,
    };
  }
  if (typeof value['schema'] === 'string') fail(source, `unknown schema ${JSON.stringify(value['schema'])} (expected ${MODULE_PROFILE_SCHEMA}, ${CALL_TREE_SCHEMA} or a bench file)`);
  if (value['tree'] !== undefined) return fromTree(checkTree(value['tree'], source), source, reports(value, source));
  fail(source, 'not a profile: expected a ModuleProfile, `profile --json` output, a call tree or folded stacks');
}

/** Folded stacks (`a;b;c 123` lines); weights are taken as samples unless the caller knows better. */
export function profileFromFolded(text: string, source: string, unit: WeightUnit = 'samples'): ProfileSide {
  try {
    return fromTree(fromFolded(text, unit === 'instructions' ? 'instructions' : unit === 'nanoseconds' ? 'instrumented' : 'sampling', unit), source);
  } catch (error) {
    fail(source, `not folded stacks: ${(error as Error).message}`);
  }
}

/**
 * A profile saved to a file (`profile … --save run.json`) and read back by `analyze`, `compare`
 * and the report: schema-versioned JSON holding one or more module profiles with what was
 * measured beside them (the call tree, the limits, the hook and call costs), and a pool's
 * profile when the calls ran on one. `parseSavedProfile` refuses what it cannot read with a
 * typed error (ERR_PROFILE_FORMAT), never a crash further on.
 */
import { ProfileFormatError } from '../../errors.js';
import { guestText } from '../../untrusted-text.js';
import { CALL_TREE_SCHEMA, type CallTree, type HookOverhead } from './call-tree.js';
import { MODULE_PROFILE_SCHEMA, type ModuleProfile } from './module-profile.js';
import type { PoolProfile } from './pool-profile.js';

export const SAVED_PROFILE_SCHEMA = 'wasm-sandbox/saved-profile@1' as const;

/** The schemas `parseSavedProfile` reads: a saved profile, or one bare module profile (`run --json`'s `profile`). */
export const READABLE_PROFILE_SCHEMAS: readonly string[] = [SAVED_PROFILE_SCHEMA, MODULE_PROFILE_SCHEMA];

/** The limits the module's calls ran under, when the caller knows them. */
export interface RunLimits {
  /** Instructions per call (fuel). */
  readonly fuel?: number;
  /** Deadline per call, ms. */
  readonly timeoutMs?: number;
}

/** One module's profile and what was measured beside it. */
export interface ProfiledModule {
  readonly profile: ModuleProfile;
  /** The guest call tree (any mode), when a profiler watched the module. */
  readonly tree?: CallTree;
  readonly limits?: RunLimits;
  /** The hook cost calibrated in the process that measured an instrumented (ns) tree. */
  readonly hookOverhead?: HookOverhead;
  /**
   * What one host → guest call of an empty export costs, ns, measured the way the profile's
   * latencies are (around the guest call): the host-boundary rule's yardstick.
   */
  readonly callOverheadNs?: number;
}

export interface SavedProfile {
  readonly schema: typeof SAVED_PROFILE_SCHEMA;
  /** ISO 8601, when the profile was saved. */
  readonly savedAt: string;
  /** The command that made it, as the user typed it (file, export, arguments, mode). */
  readonly run?: { readonly file: string; readonly export: string; readonly args: readonly string[]; readonly mode: string; readonly repeat: number };
  readonly modules: readonly ProfiledModule[];
  readonly pool?: PoolProfile;
}

/** `name@N` → [name, N]; anything else → undefined. */
function versionOf(schema: string): [string, number] | undefined {
  const match = /^(.*)@(\d+)$/.exec(schema);
  return match === null ? undefined : [match[1]!, Number(match[2])];
}

function checkSchema(found: unknown, expected: string, what: string): void {
  if (found === expected) return;
  if (typeof found !== 'string') throw new ProfileFormatError(`${what} has no schema string; expected ${expected}`, 'malformed', undefined, READABLE_PROFILE_SCHEMAS);
  const shown = guestText(found, 80);
  const [name, version] = versionOf(found) ?? [found, 0];
  const [knownName, knownVersion] = versionOf(expected)!;
  if (name === knownName && version > knownVersion) {
    throw new ProfileFormatError(`${what} is ${shown}, newer than this version of wasm-sandbox reads (${expected}); upgrade wasm-sandbox to read it`, 'newer-schema', shown, READABLE_PROFILE_SCHEMAS);
  }
  throw new ProfileFormatError(`${what} has schema ${shown}, which wasm-sandbox does not read (it reads ${READABLE_PROFILE_SCHEMAS.join(', ')})`, 'unknown-schema', shown, READABLE_PROFILE_SCHEMAS);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkModuleProfile(value: unknown, what: string): ModuleProfile {
  if (!isObject(value)) throw new ProfileFormatError(`${what} is not an object`, 'malformed', undefined, READABLE_PROFILE_SCHEMAS);
  checkSchema(value['schema'], MODULE_PROFILE_SCHEMA, what);
  for (const key of ['module', 'coldStart', 'memory', 'cache']) {
    if (!isObject(value[key])) throw new ProfileFormatError(`${what} has no ${key} object`, 'malformed', MODULE_PROFILE_SCHEMA, READABLE_PROFILE_SCHEMAS);
  }
  const exports = value['exports'];
  if (!Array.isArray(exports) || !exports.every((e) => isObject(e) && typeof e['name'] === 'string' && typeof e['calls'] === 'number' && isObject(e['latency']) && isObject(e['errors']) && isObject(e['memory']))) {
    throw new ProfileFormatError(`${what} has no well-formed exports list`, 'malformed', MODULE_PROFILE_SCHEMA, READABLE_PROFILE_SCHEMAS);
  }
  return value as unknown as ModuleProfile;
}

/** Reads a saved profile (or a bare module profile) from parsed JSON, checking its schemas. */
export function parseSavedProfile(value: unknown, source = 'the profile'): SavedProfile {
  if (!isObject(value)) throw new ProfileFormatError(`${source} is not a JSON object`, 'malformed', undefined, READABLE_PROFILE_SCHEMAS);
  if (value['schema'] === MODULE_PROFILE_SCHEMA) {
    return { schema: SAVED_PROFILE_SCHEMA, savedAt: '', modules: [{ profile: checkModuleProfile(value, source) }] };
  }
  checkSchema(value['schema'], SAVED_PROFILE_SCHEMA, source);
  const modules = value['modules'];
  if (!Array.isArray(modules)) throw new ProfileFormatError(`${source} has no modules list`, 'malformed', SAVED_PROFILE_SCHEMA, READABLE_PROFILE_SCHEMAS);
  modules.forEach((m, i) => {
    if (!isObject(m)) throw new ProfileFormatError(`${source}: modules[${i}] is not an object`, 'malformed', SAVED_PROFILE_SCHEMA, READABLE_PROFILE_SCHEMAS);
    checkModuleProfile(m['profile'], `${source}: modules[${i}].profile`);
    if (m['tree'] !== undefined) {
      if (!isObject(m['tree']) || !isObject(m['tree']['root'])) throw new ProfileFormatError(`${source}: modules[${i}].tree is not a call tree`, 'malformed', SAVED_PROFILE_SCHEMA, READABLE_PROFILE_SCHEMAS);
      checkSchema(m['tree']['schema'], CALL_TREE_SCHEMA, `${source}: modules[${i}].tree`);
    }
  });
  return value as unknown as SavedProfile;
}

/** Parses the text of a saved profile file: not JSON is ERR_PROFILE_FORMAT too. */
export function parseSavedProfileText(text: string, source = 'the profile'): SavedProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfileFormatError(`${source} is not JSON: ${(error as Error).message}`, 'not-json', undefined, READABLE_PROFILE_SCHEMAS);
  }
  return parseSavedProfile(value, source);
}

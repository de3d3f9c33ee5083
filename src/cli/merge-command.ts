/**
 * `wasm-sandbox merge a.json b.json … -o all.json`: module profiles saved by many processes or
 * machines (`profile --json|--save`, `run --json`, `demo --json`, a pool's profile) merged into one per
 * module: counts add, histograms merge, peaks take the maximum.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mergeModuleProfiles, ProfileFormatError, readReportRun, WasmArgumentError, type ModuleProfile } from '../index.js';
import { READABLE_PROFILE_SCHEMAS } from '../profiler/model/saved-profile.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';

/**
 * Every module profile a saved file holds, read as the report reads it (readReportRun: every
 * format a command writes, pool profiles included; an unknown or newer schema is
 * ERR_PROFILE_FORMAT), so merge and report accept the same files.
 */
export function profilesIn(file: string, text: string): ModuleProfile[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ProfileFormatError(`${terminalSafe(file)} is not JSON: ${(error as Error).message}`, 'not-json', undefined, READABLE_PROFILE_SCHEMAS);
  }
  const found = readReportRun(data, terminalSafe(file)).modules.map((module) => module.profile);
  if (found.length === 0) throw new WasmArgumentError(`${terminalSafe(file)} holds no wasm-sandbox module profile (an analysis or bench results only)`);
  return found;
}

/** Merged profiles, one per module id, in the order the modules first appear. */
export function mergeFiles(files: readonly string[]): ModuleProfile[] {
  const byId = new Map<string, ModuleProfile[]>();
  for (const file of files) {
    for (const profile of profilesIn(file, readFileSync(file, 'utf8'))) {
      const parts = byId.get(profile.module.id);
      if (parts === undefined) byId.set(profile.module.id, [profile]);
      else parts.push(profile);
    }
  }
  return [...byId.values()].map((parts) => mergeModuleProfiles(parts));
}

export function mergeCommand(files: readonly string[], output: string | undefined, out: (text: string) => void): void {
  if (files.length === 0) throw new WasmArgumentError('merge takes one or more saved profiles (.json)');
  const merged = mergeFiles(files);
  // One module gives one profile; several give a list of them.
  const text = JSON.stringify(merged.length === 1 ? merged[0] : merged, null, 2) + '\n';
  if (output === undefined) {
    out(text.trimEnd());
    return;
  }
  writeFileSync(output, text);
  const calls = merged.reduce((n, m) => n + m.exports.reduce((k, e) => k + e.calls, 0), 0);
  process.stderr.write(`merged ${files.length} file(s): ${merged.length} module(s), ${calls} calls → ${terminalSafe(output)}\n`);
}

/**
 * `wasm-sandbox analyze <profile.json…>` and the `--findings` / `--save` / `--fail-on` options of
 * `profile`: reading saved profiles, printing an analysis, and the exit code CI gates on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WasmArgumentError, WasmSourceError, analyze, formatFindings, parseSavedProfileText, SAVED_PROFILE_SCHEMA, type AnalysisReport, type ProfiledModule, type SavedProfile, type Severity } from '../index.js';
import type { PoolProfile } from '../profiler/model/pool-profile.js';
import { failsAt } from '../profiler/analyze/analyze.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';

/** The exit code when `--fail-on` finds a finding at or above its severity (1 is a failed command). */
export const FINDINGS_EXIT_CODE = 2;

const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];

export function parseFailOn(text: string | undefined): Severity | undefined {
  if (text === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(text)) throw new WasmArgumentError(`--fail-on must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(text)}`);
  return text as Severity;
}

export function readSavedProfiles(files: readonly string[]): SavedProfile[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new WasmSourceError(`cannot read profile ${file}: ${(error as Error).message}`);
    }
    return parseSavedProfileText(text, file);
  });
}

export function analyzeSaved(saved: readonly SavedProfile[]): AnalysisReport {
  const pools = saved.map((s) => s.pool).filter((p): p is PoolProfile => p !== undefined);
  if (pools.length > 1) throw new WasmArgumentError('analyze reads at most one pool profile at a time; pass the pool runs one by one');
  return analyze({ modules: saved.flatMap((s) => s.modules), ...(pools[0] === undefined ? {} : { pool: pools[0] }) });
}

export function saveProfile(file: string, modules: readonly ProfiledModule[], run: SavedProfile['run'], pool?: PoolProfile): void {
  const saved: SavedProfile = { schema: SAVED_PROFILE_SCHEMA, savedAt: new Date().toISOString(), ...(run === undefined ? {} : { run }), modules, ...(pool === undefined ? {} : { pool }) };
  writeFileSync(file, JSON.stringify(saved));
}

/** Prints the report (text or JSON) and returns the exit code for `failOn`. */
export function printAnalysis(report: AnalysisReport, options: { json: boolean; failOn: Severity | undefined }, out: (text: string) => void, err: (text: string) => void): number {
  out(options.json ? JSON.stringify(report, null, 2) : formatFindings(report));
  if (options.failOn !== undefined && failsAt(report, options.failOn)) {
    const n = report.findings.filter((f) => SEVERITIES.indexOf(f.severity) <= SEVERITIES.indexOf(options.failOn!)).length;
    err(`fail-on ${options.failOn}: ${n} finding(s) at or above ${options.failOn} (${[...new Set(report.findings.slice(0, n).map((f) => terminalSafe(f.id)))].join(', ')})`);
    return FINDINGS_EXIT_CODE;
  }
  return 0;
}

/** What `profile` modes share after their run: `--findings`, `--save`, `--fail-on`. */
export interface RunAnalysisOptions {
  readonly findings?: boolean;
  readonly save?: string;
  readonly failOn?: Severity;
}

/**
 * Saves the run's module (with `--save`) and analyses it (with `--findings` or `--fail-on`).
 * The module profile carries the mode's own report (allocations, cache simulation), which is
 * what the allocation and locality rules read: the run is not repeated.
 */
export function analyseRun(measure: () => ProfiledModule, options: RunAnalysisOptions, run: NonNullable<SavedProfile['run']>): AnalysisReport | undefined {
  const wanted = options.findings === true || options.failOn !== undefined;
  if (!wanted && options.save === undefined) return undefined;
  const measured = measure();
  if (options.save !== undefined) saveProfile(options.save, [measured], run);
  return wanted ? analyze({ modules: [measured] }) : undefined;
}

/** Prints the findings after a mode's own output (text), or not at all (JSON: already in the document); the exit code. */
export function printRunAnalysis(report: AnalysisReport | undefined, options: { json: boolean; failOn: Severity | undefined }, out: (text: string) => void, err: (text: string) => void): number {
  if (report === undefined) return 0;
  if (!options.json) out('');
  return printAnalysis(report, { json: false, failOn: options.failOn }, options.json ? () => {} : out, err);
}

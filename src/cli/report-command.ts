/**
 * `wasm-sandbox report <profile.json | bench.json …> -o report.html`: reads saved profiles,
 * pool profiles, analyses and bench results, groups them into runs (one, or before and after),
 * analyses each run that carries no analysis of its own, and writes the self-contained HTML report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ProfileFormatError, WasmArgumentError, WasmSourceError, analyze, groupRuns, readReportRun, renderHtmlReport, type ReportRun } from '../index.js';
import { READABLE_PROFILE_SCHEMAS } from '../profiler/model/saved-profile.js';
import { startProgress } from './progress.js';

function readRun(file: string): ReportRun {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WasmSourceError(`cannot read profile ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfileFormatError(`${file} is not JSON: ${(error as Error).message}`, 'not-json', undefined, READABLE_PROFILE_SCHEMAS);
  }
  return readReportRun(value, file);
}

/** The run with its findings: its own, or the analyzer's over what the run measured. */
function withAnalysis(run: ReportRun): ReportRun {
  if (run.analysis !== undefined || run.modules.length === 0) return run;
  return { ...run, analysis: analyze({ modules: run.modules, ...(run.pool === undefined ? {} : { pool: run.pool }) }) };
}

export function reportCommand(files: readonly string[], output: string, out: (text: string) => void, quiet = false): void {
  if (files.length === 0) throw new WasmArgumentError('report takes one or more saved profiles or bench result files (JSON)');
  // Many inputs take a while to read and analyse: a bar on a terminal, one tick per file.
  const progress = startProgress('report', files.length > 1 ? files.length : 0, { quiet, unit: 'files' });
  let read: ReportRun[];
  try {
    read = files.map((file) => {
      const run = readRun(file);
      progress.tick();
      return run;
    });
  } finally {
    progress.stop();
  }
  const runs = groupRuns(read).map(withAnalysis);
  writeFileSync(output, renderHtmlReport({ runs, generatedAt: new Date().toISOString() }));
  out(`wrote ${output} (${runs.length} run${runs.length === 1 ? '' : 's'}: ${runs.map((r) => r.name).join(' → ')})`);
}

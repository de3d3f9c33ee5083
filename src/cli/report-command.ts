/**
 * `wasm-sandbox report <profile.json | bench.json …> -o report.html`: reads saved profiles,
 * pool profiles, analyses and bench results, groups them into runs (one, or before and after),
 * and writes the self-contained HTML report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WasmArgumentError, groupRuns, readReportRun, renderHtmlReport, type ReportRun } from '../index.js';

function readRun(file: string): ReportRun {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WasmArgumentError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WasmArgumentError(`${file}: not JSON (${(error as Error).message})`);
  }
  return readReportRun(value, file);
}

export function reportCommand(files: readonly string[], output: string, out: (text: string) => void): void {
  if (files.length === 0) throw new WasmArgumentError('report takes one or more saved profiles or bench result files (JSON)');
  const runs = groupRuns(files.map(readRun));
  writeFileSync(output, renderHtmlReport({ runs, generatedAt: new Date().toISOString() }));
  out(`wrote ${output} (${runs.length} run${runs.length === 1 ? '' : 's'}: ${runs.map((r) => r.name).join(' → ')})`);
}

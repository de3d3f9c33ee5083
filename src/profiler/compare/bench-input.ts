/**
 * Bench result files (`wasm-sandbox/bench@1` and `@2`) read into cases `compare` can pair:
 * one case per benchmark · case · metric, with its samples. Files come from disk and may be
 * hand-edited or foreign, so every field is checked and a bad one is named.
 */
import { CompareInputError } from '../../errors.js';
import { BENCH_SCHEMAS, type BenchFile } from '../model/bench-result.js';
import type { Better } from './statistics.js';

export interface BenchCase {
  /** `benchmark · case · metric`: what pairs a case of one file with the other's. */
  readonly key: string;
  readonly benchmark: string;
  readonly case: string;
  readonly metric: string;
  readonly unit: string;
  /** Every round's value; one value (the median) for @1 files and results written without samples. */
  readonly samples: readonly number[];
  readonly deterministic: boolean;
  readonly better: Better;
}

/** Units of counts that do not vary run to run, for files that do not say (@1). */
const DETERMINISTIC_UNITS = new Set(['instr', 'instructions', 'allocations', 'blocks', 'misses']);

export function isBenchFile(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (BENCH_SCHEMAS as readonly unknown[]).includes((value as { schema?: unknown }).schema);
}

export function caseKey(benchmark: string, caseName: string, metric: string): string {
  return `${benchmark} · ${caseName} · ${metric}`;
}

function fail(source: string, what: string): never {
  throw new CompareInputError(`${source}: ${what}`);
}

/** The cases of one bench file; a case that repeats (one row per baseline) is kept once. */
export function benchCases(value: unknown, source: string): BenchCase[] {
  if (!isBenchFile(value)) fail(source, `not a bench result file (schema must be one of ${BENCH_SCHEMAS.join(', ')})`);
  const file = value as BenchFile;
  if (!Array.isArray(file.results)) fail(source, 'results must be an array');
  const seen = new Set<string>();
  const cases: BenchCase[] = [];
  file.results.forEach((r: unknown, i) => {
    const where = `results[${i}]`;
    if (typeof r !== 'object' || r === null) fail(source, `${where} must be an object`);
    const row = r as Record<string, unknown>;
    for (const field of ['benchmark', 'case', 'metric', 'unit'] as const) {
      if (typeof row[field] !== 'string') fail(source, `${where}.${field} must be a string`);
    }
    if (typeof row['value'] !== 'number' || !Number.isFinite(row['value'])) fail(source, `${where}.value must be a finite number`);
    const samples = row['samples'];
    if (samples !== undefined && (!Array.isArray(samples) || samples.length === 0 || samples.some((s) => typeof s !== 'number' || !Number.isFinite(s)))) {
      fail(source, `${where}.samples must be a non-empty array of finite numbers`);
    }
    const better = row['better'];
    if (better !== undefined && better !== 'lower' && better !== 'higher') fail(source, `${where}.better must be "lower" or "higher"`);
    const unit = row['unit'] as string;
    const key = caseKey(row['benchmark'] as string, row['case'] as string, row['metric'] as string);
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({
      key,
      benchmark: row['benchmark'] as string,
      case: row['case'] as string,
      metric: row['metric'] as string,
      unit,
      samples: (samples as number[] | undefined) ?? [row['value'] as number],
      deterministic: row['deterministic'] === undefined ? DETERMINISTIC_UNITS.has(unit) : row['deterministic'] === true,
      better: (better as Better | undefined) ?? (unit.endsWith('/s') ? 'higher' : 'lower'),
    });
  });
  return cases;
}

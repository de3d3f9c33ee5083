/**
 * Writes the one result shape every benchmark writes (src/profiler/model/bench-result.ts,
 * documented in bench/README.md), and prints the table. Each row carries its same-run baseline, so ratios survive a noisy machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderTable } from '../src/profiler/render/terminal-text.js';
import { BENCH_SCHEMA, type BenchFile, type BenchResult } from '../src/profiler/model/bench-result.js';

export { BENCH_SCHEMA, type BenchFile, type BenchResult } from '../src/profiler/model/bench-result.js';

const root = new URL('../..', import.meta.url).pathname;

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function writeBench(benchmark: string, startedAt: Date, results: readonly BenchResult[]): string {
  const file: BenchFile = {
    schema: BENCH_SCHEMA,
    benchmark,
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), platform: platform(), arch: arch() },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      'wasm-sandbox': (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
      assemblyscript: packageVersion('assemblyscript'),
      'hdr-histogram-js': packageVersion('hdr-histogram-js'),
    },
    results,
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${benchmark}.json`);
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  return path;
}

function fmt(value: number, unit: string): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

export function printBench(title: string, results: readonly BenchResult[]): void {
  console.log(`\n${title}`);
  console.log(
    renderTable(
      ['case', 'metric', 'value', 'baseline', 'baseline value', 'ratio', 'target', 'met'],
      results.map((r) => [
        r.case,
        r.metric,
        fmt(r.value, r.unit),
        r.baseline?.name ?? '—',
        r.baseline ? fmt(r.baseline.value, r.unit) : '—',
        r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
        r.target ?? '—',
        r.met === undefined ? '—' : r.met ? 'yes' : 'NO',
      ]),
      ['left', 'left', 'right', 'left', 'right', 'right', 'left', 'left'],
    ),
  );
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const guestPath = (name: string): string => join(root, 'build', 'guests', `${name}.wasm`);

/**
 * `compare` must stay interactive on big inputs: two 10,000-function profiles (instructions mode,
 * a few hundred functions changed, appeared or vanished) and two bench files of 50 cases × 30
 * samples (Mann–Whitney, 2,000 bootstrap resamples a case, Holm). Timed in-process (read, judge,
 * format) and as the CLI end to end; baselines in the same run: JSON.parse of the same files,
 * and the CLI printing its help.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInput } from '../src/cli/compare-command.js';
import { compareBenchmarks } from '../src/profiler/compare/compare-benchmarks.js';
import { compareProfiles } from '../src/profiler/compare/compare-profiles.js';
import { formatBenchComparison, formatProfileComparison } from '../src/profiler/render/comparison-text.js';
import { BENCH_SCHEMA } from '../src/profiler/model/bench-result.js';
import { childFor, emptyTree, finishRoot, recomputeTotals, type CallTree } from '../src/profiler/model/call-tree.js';
import { median, printBench, writeBench, type BenchResult } from './report.js';

const ROUNDS = 10;
const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-bench-compare-'));
const cli = new URL('../src/cli/main.js', import.meta.url).pathname;

/** 100 modules × 100 functions under main; `variant` shifts weights and swaps a few functions. */
function bigTree(variant: number): CallTree {
  const tree = emptyTree('instructions', 'instructions');
  const main = childFor(tree.root, { name: 'main', functionIndex: 0 });
  main.calls = 1;
  for (let m = 0; m < 100; m++) {
    const module = childFor(main, { name: `module${m}/entry`, functionIndex: 1 + m });
    module.calls = 1;
    for (let f = 0; f < 99; f++) {
      const id = 101 + m * 99 + f;
      // Every 50th function is replaced in the variant (vanished before, appeared after).
      const name = variant === 1 && id % 50 === 0 ? `module${m}/new${f}` : `module${m}/f${f}`;
      const node = childFor(module, { name, functionIndex: id });
      node.calls = 1 + (id % 7);
      node.self = 1000 + ((id * 37) % 5000) + (variant === 1 && id % 3 === 0 ? id % 11 : 0);
    }
  }
  recomputeTotals(tree.root);
  finishRoot(tree.root);
  return tree;
}

function benchFile(variant: number): object {
  const results = Array.from({ length: 50 }, (_, c) => {
    // Variant 1: every fifth case 5 % slower (the usual run); variant 2: every case (the worst: 50 bootstraps).
    const shift = (variant === 1 && c % 5 === 0) || variant === 2 ? 1.05 : 1;
    const samples = Array.from({ length: 30 }, (_, i) => (100 + c) * shift * (1 + (((i * 13 + c + variant * 7) % 30) - 15) / 1000));
    return { benchmark: 'synthetic', case: `case ${c}`, metric: 'time per call', value: median(samples), unit: 'ns', samples };
  });
  return { schema: BENCH_SCHEMA, benchmark: 'synthetic', startedAt: new Date(0).toISOString(), machine: { cpus: 2, model: 'synthetic', memoryBytes: 0, platform: 'linux', arch: 'x64' }, versions: {}, results };
}

function ms(action: () => void): number {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const paths = {
    profileA: join(dir, 'before.profile.json'), profileB: join(dir, 'after.profile.json'),
    benchA: join(dir, 'before.bench.json'), benchB: join(dir, 'after.bench.json'), benchAll: join(dir, 'all-changed.bench.json'),
  };
  writeFileSync(paths.benchAll, JSON.stringify(benchFile(2)));
  writeFileSync(paths.profileA, JSON.stringify(bigTree(0)));
  writeFileSync(paths.profileB, JSON.stringify(bigTree(1)));
  writeFileSync(paths.benchA, JSON.stringify(benchFile(0)));
  writeFileSync(paths.benchB, JSON.stringify(benchFile(1)));

  const profiles = (): void => {
    const [a, b] = [readInput(paths.profileA), readInput(paths.profileB)];
    if (a.kind !== 'profile' || b.kind !== 'profile') throw new Error('expected profiles');
    const c = compareProfiles(a.side, b.side);
    if (c.functions.length !== 10_199 || c.appeared.length !== 198) throw new Error(`unexpected comparison: ${c.functions.length} functions, ${c.appeared.length} appeared`);
    formatProfileComparison(c);
  };
  const benches = (after: string, regressions: number) => (): void => {
    const [a, b] = [readInput(paths.benchA), readInput(after)];
    if (a.kind !== 'bench' || b.kind !== 'bench') throw new Error('expected bench files');
    const c = compareBenchmarks(a.cases, b.cases);
    const found = c.cases.filter((x) => x.verdict === 'regressed').length;
    if (found !== regressions) throw new Error(`expected ${regressions} regressions, found ${found}`);
    formatBenchComparison(c);
  };
  const parseOnly = (a: string, b: string) => (): void => {
    JSON.parse(readFileSync(a, 'utf8'));
    JSON.parse(readFileSync(b, 'utf8'));
  };
  const cliRun = (...args: string[]) => (): void => {
    try {
      execFileSync(process.execPath, [cli, ...args], { stdio: 'ignore' });
    } catch (error) {
      // The gate is not asked for: exit 0 expected; anything else is a failure of the bench.
      throw new Error(`compare failed: ${(error as Error).message}`);
    }
  };

  const cases: Record<string, () => void> = {
    profiles, profilesParse: parseOnly(paths.profileA, paths.profileB),
    benches: benches(paths.benchB, 10), benchesAll: benches(paths.benchAll, 50), benchesParse: parseOnly(paths.benchA, paths.benchB),
    cliProfiles: cliRun('compare', paths.profileA, paths.profileB),
    cliBenches: cliRun('compare', paths.benchA, paths.benchB),
    cliHelp: cliRun('--help'),
  };
  const samples: Record<string, number[]> = {};
  // One warm-up round, then interleaved rounds.
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, action] of Object.entries(cases)) {
      const t = ms(action);
      if (round > 0) (samples[name] ??= []).push(t);
    }
  }
  const pick = (name: string): number => median(samples[name]!);
  const result = (caseName: string, name: string, baselineName: string, baseline: string, target?: number): BenchResult => {
    const value = pick(name);
    return {
      benchmark: 'compare', case: caseName, metric: 'wall time', value, unit: 'ms', samples: samples[name]!,
      baseline: { name: baselineName, value: pick(baseline) }, ratio: value / pick(baseline),
      ...(target === undefined ? {} : { target: `<= ${target} ms`, met: value <= target }),
    };
  };
  const results: BenchResult[] = [
    result('two 10,001-function profiles: read, compare, format (in-process)', 'profiles', 'JSON.parse of both files', 'profilesParse', 1000),
    result('two bench files, 50 cases × 30 samples: read, compare, format (in-process)', 'benches', 'JSON.parse of both files', 'benchesParse', 1000),
    result('two bench files, 50 × 30, every case changed (50 bootstraps): in-process', 'benchesAll', 'JSON.parse of both files', 'benchesParse', 1000),
    result('wasm-sandbox compare, two 10,001-function profiles (process)', 'cliProfiles', 'wasm-sandbox --help (process)', 'cliHelp'),
    result('wasm-sandbox compare, two bench files 50 × 30 (process)', 'cliBenches', 'wasm-sandbox --help (process)', 'cliHelp'),
  ];
  printBench(`compare on big inputs (median of ${ROUNDS} interleaved rounds)`, results);
  console.log(`wrote ${writeBench('compare', startedAt, results)}`);
}

await main();

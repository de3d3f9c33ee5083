/**
 * What the flamegraph files cost to write, against the folded-stack export of the same trees in
 * the same run (the cheapest view of the same data): a flat 50,000-function profile (20,000
 * frames kept, the rest merged), a deep one of 14,263 frames (1,500 random stacks up to 24
 * deep), and the differential flamegraph of two trees of ≈48,000 frames (5,000 stacks each).
 * File sizes are reported beside the times.
 */
import { fromFolded, renderDiffFlamegraph, renderFlamegraph, toFolded, type CallTree } from '../src/index.js';
import { median, printBench, writeBench, type BenchResult } from './report.js';

const ROUNDS = 7;

function time(action: () => void): number {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flat(functions: number): CallTree {
  const lines: string[] = [];
  for (let i = 1; i <= functions; i++) lines.push(`main;function_${i}_with_a_long_mangled_name ${i % 100 === 0 ? 5000 : 10}`);
  return fromFolded(lines.join('\n'), 'instrumented', 'nanoseconds');
}

/** `stacks` random stacks 3 to 24 deep over 400 function names. */
function deep(stacks: number, seed: number): CallTree {
  const next = random(seed);
  const lines: string[] = [];
  for (let i = 0; i < stacks; i++) {
    const depth = 2 + Math.floor(next() * 22);
    const stack = Array.from({ length: depth }, (_, d) => `fn_${Math.floor(next() * (d < 3 ? 8 : 400))}`);
    lines.push(`main;${stack.join(';')} ${1 + Math.floor(next() * 1000)}`);
  }
  return fromFolded(lines.join('\n'), 'sampling', 'samples');
}

function measure(name: string, render: () => string, baseline: () => string, results: BenchResult[]): void {
  const ours: number[] = [];
  const folded: number[] = [];
  let size = 0;
  let baseSize = 0;
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(time(() => (size = render().length)));
    folded.push(time(() => (baseSize = baseline().length)));
  }
  const value = median(ours.slice(1));
  const base = median(folded.slice(1));
  results.push({ benchmark: 'flamegraph', case: name, metric: 'write time', value, unit: 'ms', baseline: { name: 'toFolded, same trees', value: base }, ratio: value / base });
  results.push({ benchmark: 'flamegraph', case: name, metric: 'file size', value: size / 1024, unit: 'KiB', baseline: { name: 'folded text', value: baseSize / 1024 }, ratio: size / baseSize });
}

function main(): void {
  const startedAt = new Date();
  const results: BenchResult[] = [];
  const wide = flat(50_000);
  measure('flat, 50,000 functions', () => renderFlamegraph(wide), () => toFolded(wide), results);
  const tall = deep(1_500, 1);
  measure('deep, 14,263 frames (24 levels)', () => renderFlamegraph(tall), () => toFolded(tall), results);
  const before = deep(5_000, 2);
  const after = deep(5_000, 3);
  measure('differential, 48,274 and 47,656 frames', () => renderDiffFlamegraph(before, after), () => toFolded(before) + toFolded(after), results);
  printBench('flamegraph files (medians; folded export of the same trees in the same run)', results);
  console.log(`wrote ${writeBench('flamegraph', startedAt, results)}`);
}

main();

/**
 * Cold start: bytes in memory → first call returned, against plain WebAssembly in the same run.
 * - cached: our module-cache hit → instantiate → first call, vs `new WebAssembly.Instance` of an
 *   already compiled module → first call (target ≤ 1.3×, issue 8);
 * - uncached: hash → validate/compile → instantiate → first call, vs `new WebAssembly.Module` →
 *   `new WebAssembly.Instance` → first call (reported; compile time dominates).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmHost } from '../src/index.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';

// Short rounds, many of them, alternating: both sides see the same phases of a noisy machine.
const ITERATIONS = 500;
const ROUNDS = 40;

const GUESTS: readonly { name: string; export: string; args: readonly number[] }[] = [
  { name: 'noop', export: 'noop', args: [] },
  { name: 'fib', export: 'fib', args: [10] },
  { name: 'strings', export: 'countBytes', args: [0] },
];

/** A full collection between rounds when node runs with --expose-gc (the npm script does). */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  return Number(process.hrtime.bigint() - start) / ITERATIONS / 1000;
}

function timeSync(fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return Number(process.hrtime.bigint() - start) / ITERATIONS / 1000;
}

/**
 * Whole processes: importing the package, and a CLI `run` of a tiny module, against an empty
 * `node -e ''` in the same run (interleaved rounds). Nothing is instrumented, so the rewriter
 * (binaryen, ≈0.5 s to load) must not load.
 */
function processStart(results: BenchResult[]): void {
  const index = new URL('../src/index.js', import.meta.url).href;
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const cases = {
    empty: ['-e', ''],
    import: ['--input-type=module', '-e', `await import(${JSON.stringify(index)})`],
    'cli run': [cli, 'run', guestPath('add'), 'add', '40', '2'],
  } as const;
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < 12; round++) {
    for (const [name, args] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      execFileSync(process.execPath, args, { stdio: 'ignore' });
      (samples[name] ??= []).push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const empty = median(samples['empty']!.slice(2));
  for (const name of ['import', 'cli run']) {
    const value = median(samples[name]!.slice(2));
    results.push({
      benchmark: 'cold-start', case: name === 'import' ? "process: import('wasm-sandbox')" : 'process: wasm-sandbox run add.wasm add 40 2', metric: 'process wall time', value, unit: 'ms',
      samples: samples[name]!.slice(2),
      baseline: { name: "node -e ''", value: empty }, ratio: value / empty,
    });
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const results: BenchResult[] = [];
  processStart(results);
  for (const guest of GUESTS) {
    const bytes = readFileSync(guestPath(guest.name));
    const compiled = new WebAssembly.Module(bytes);
    const abort = (): void => {
      throw new Error('abort');
    };
    const rawImports = { env: { abort } };
    const cachedHost = new WasmHost();
    await cachedHost.load(bytes); // warm the cache
    const rawCachedRun = (): number => timeSync(() => {
      const instance = new WebAssembly.Instance(compiled, rawImports);
      (instance.exports[guest.export] as (...a: number[]) => unknown)(...guest.args);
    });
    const cachedRun = (): Promise<number> => timeAsync(async () => {
      const module = await cachedHost.load(bytes);
      module.instantiate().call(guest.export, ...guest.args);
    });
    const cachedSyncRun = (): number => timeSync(() => {
      cachedHost.loadSync(bytes).instantiate().call(guest.export, ...guest.args);
    });
    // The serving path: the module loaded once, a sandbox per request.
    const loaded = cachedHost.loadSync(bytes);
    const loadedRun = (): number => timeSync(() => {
      loaded.instantiate().call(guest.export, ...guest.args);
    });
    const rawUncachedRun = (): number => timeSync(() => {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), rawImports);
      (instance.exports[guest.export] as (...a: number[]) => unknown)(...guest.args);
    });
    const uncachedRun = (): Promise<number> => timeAsync(async () => {
      const host = new WasmHost({ cache: { maxEntries: 0 } });
      const module = await host.load(bytes);
      module.instantiate().call(guest.export, ...guest.args);
    });
    // Warm-up: let V8 optimise both sides before anything is recorded.
    for (let i = 0; i < 3; i++) {
      rawCachedRun();
      await cachedRun();
      cachedSyncRun();
    }
    const samples = { rawCached: [] as number[], cached: [] as number[], cachedSync: [] as number[], loaded: [] as number[], rawUncached: [] as number[], uncached: [] as number[] };
    // Cached and uncached phases apart (compiling leaves garbage of its own); within a phase
    // the order alternates (ABBA) so collection debt falls on both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      collect();
      if (round % 2 === 0) {
        samples.rawCached.push(rawCachedRun());
        samples.cached.push(await cachedRun());
        samples.cachedSync.push(cachedSyncRun());
        samples.loaded.push(loadedRun());
      } else {
        samples.loaded.push(loadedRun());
        samples.cachedSync.push(cachedSyncRun());
        samples.cached.push(await cachedRun());
        samples.rawCached.push(rawCachedRun());
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      collect();
      if (round % 2 === 0) {
        samples.rawUncached.push(rawUncachedRun());
        samples.uncached.push(await uncachedRun());
      } else {
        samples.uncached.push(await uncachedRun());
        samples.rawUncached.push(rawUncachedRun());
      }
    }
    const pick = (xs: number[]): number => median(xs.slice(2));
    const rawCached = pick(samples.rawCached);
    const cached = pick(samples.cached);
    const cachedSync = pick(samples.cachedSync);
    const rawUncached = pick(samples.rawUncached);
    const uncached = pick(samples.uncached);
    const loadedOnce = pick(samples.loaded);
    results.push({
      benchmark: 'cold-start', case: `${guest.name} (${bytes.length} B) cached, await load`, metric: 'load→first call', value: cached, unit: 'µs',
      samples: samples.cached.slice(2),
      baseline: { name: 'Instance(module)+call', value: rawCached }, ratio: cached / rawCached,
      target: 'ratio <= 1.3', met: cached / rawCached <= 1.3,
    });
    results.push({
      benchmark: 'cold-start', case: `${guest.name} (${bytes.length} B) cached, loadSync`, metric: 'load→first call', value: cachedSync, unit: 'µs',
      samples: samples.cachedSync.slice(2),
      baseline: { name: 'Instance(module)+call', value: rawCached }, ratio: cachedSync / rawCached,
      target: 'ratio <= 1.3', met: cachedSync / rawCached <= 1.3,
    });
    results.push({
      benchmark: 'cold-start', case: `${guest.name} (${bytes.length} B) loaded once, instantiate`, metric: 'instance→first call', value: loadedOnce, unit: 'µs',
      samples: samples.loaded.slice(2),
      baseline: { name: 'Instance(module)+call', value: rawCached }, ratio: loadedOnce / rawCached,
    });
    results.push({
      benchmark: 'cold-start', case: `${guest.name} (${bytes.length} B) uncached`, metric: 'load→first call', value: uncached, unit: 'µs',
      samples: samples.uncached.slice(2),
      baseline: { name: 'Module+Instance+call', value: rawUncached }, ratio: uncached / rawUncached,
    });
  }
  printBench(`cold start (median of ${ROUNDS - 2} rounds × ${ITERATIONS} iterations)`, results);
  console.log(`wrote ${writeBench('cold-start', startedAt, results)}`);
}

await main();

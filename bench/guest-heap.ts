/**
 * Guest memory from the host (GuestHeap): allocate + release of 1, 4, 16 and 64 KiB through the
 * guest's own allocator, against a direct call of the same allocator exports in the same run.
 * Guests: c-heap.wasm (C-style malloc/free: a bump-and-free-list heap of a few instructions),
 * sql.js's emscripten build (dlmalloc, real C; its debug build, whose exports keep their names)
 * and alloc.wasm (AssemblyScript __new/__pin/__unpin; released blocks are swept by the collector
 * as the guest allocates, in both columns alike). Two host paths each: GuestHeap.allocate +
 * GuestBlock.release (one JavaScript object per block) and allocatePointer + releasePointer.
 * Targets (issue 10): < 10 µs each, ≤ 1.5× the direct call. The ratio is the median of
 * per-round ratios (as bench/instrument's), the times the medians of the rounds.
 */
import { createRequire } from 'node:module';
import { GuestHeap, WasmHost, type Sandbox } from '../src/index.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';

const ROUNDS = 15;
const OPS = 20_000;
const SIZES = [1024, 4096, 16384, 65536];

function perOp(action: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) action();
  return Number(process.hrtime.bigint() - start) / OPS; // ns
}

/** sql.js instantiated through its own emscripten glue, the instance made by our host. */
async function sqljsSandbox(host: WasmHost): Promise<Sandbox> {
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('sql.js/dist/sql-wasm-debug.wasm');
  const module = await host.load(wasmPath);
  const initSqlJs = require('sql.js/dist/sql-wasm-debug.js') as (config: object) => Promise<unknown>;
  let sandbox: Sandbox | undefined;
  await initSqlJs({
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      sandbox = module.instantiate({ imports: imports as Record<string, Record<string, unknown>> });
      done(sandbox.compiledInstance);
      return sandbox.compiledInstance.exports;
    },
  });
  if (sandbox === undefined) throw new Error('sql.js did not instantiate its module');
  return sandbox;
}

/** Paired rounds of the direct allocator calls and the heap's path, in alternating order: a slow phase of the machine slows both alike. */
function measure(name: string, direct: () => void, viaHeap: () => void): BenchResult {
  const heapSamples: number[] = [];
  const directSamples: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [d, h] = round % 2 === 0 ? [perOp(direct), perOp(viaHeap)] : ((h2) => [perOp(direct), h2])(perOp(viaHeap));
    directSamples.push(d);
    heapSamples.push(h);
    if (round > 0) ratios.push(h / d);
  }
  const value = median(heapSamples.slice(1));
  const ratio = median(ratios);
  return {
    samples: heapSamples.slice(1),
    benchmark: 'guest-heap', case: name, metric: 'time per op', value, unit: 'ns',
    baseline: { name: 'direct allocator exports', value: median(directSamples.slice(1)) }, ratio,
    target: '< 10 µs and ratio <= 1.5', met: value < 10_000 && ratio <= 1.5,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = new WasmHost({ instrumentCacheDir: false });
  const results: BenchResult[] = [];
  for (const guest of ['c-heap', 'sql.js dlmalloc', 'alloc'] as const) {
    const sandbox =
      guest === 'sql.js dlmalloc' ? await sqljsSandbox(host) : (await host.load(guest === 'alloc' ? guestPath('alloc') : guestPath('c-heap'))).instantiate();
    const heap = new GuestHeap(sandbox);
    const exports = sandbox.compiledInstance.exports as Record<string, (...args: number[]) => number>;
    const direct =
      guest === 'alloc'
        ? (n: number): void => void exports['__unpin']!(exports['__pin']!(exports['__new']!(n, 1)))
        : (n: number): void => void exports['free']!(exports['malloc']!(n));
    const viaBlock = (n: number): void => heap.allocate(n).release();
    const viaPointer = (n: number): void => heap.releasePointer(heap.allocatePointer(n));
    // Warm every path up on every size first, so the first case measured is not the JIT's.
    for (const size of SIZES) for (let i = 0; i < 3; i++) (perOp(() => direct(size)), perOp(() => viaBlock(size)), perOp(() => viaPointer(size)));
    const paths = [
      ['allocate + release', viaBlock],
      ['allocatePointer + releasePointer', viaPointer],
    ] as const;
    for (const [path, viaHeap] of paths) {
      for (const size of SIZES) results.push(measure(`${guest}: ${path} ${size / 1024} KiB`, () => direct(size), () => viaHeap(size)));
    }
  }
  printBench('guest heap: allocate + release through the guest allocator (medians; direct export calls in the same run)', results);
  console.log(`wrote ${writeBench('guest-heap', startedAt, results)}`);
}

await main();

/**
 * Guest memory from the host (GuestHeap): allocate + release of 1, 4, 16 and 64 KiB through the
 * guest's own allocator, against a direct call of the same allocator exports in the same run.
 * Guests: c-heap.wasm (C-style malloc/free) and alloc.wasm (AssemblyScript __new/__pin/__unpin;
 * released blocks are swept by the collector as the guest allocates, in both columns alike).
 * Targets (issue 10): < 10 µs each, ≤ 1.5× the direct call. The ratio is the median of
 * per-round ratios (as bench/instrument's), the times the medians of the rounds.
 */
import { GuestHeap, WasmHost } from '../src/index.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';

const ROUNDS = 15;
const OPS = 20_000;
const SIZES = [1024, 4096, 16384, 65536];

function perOp(action: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) action();
  return Number(process.hrtime.bigint() - start) / OPS; // ns
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = new WasmHost({ instrumentCacheDir: false });
  const results: BenchResult[] = [];
  for (const guest of ['c-heap', 'alloc'] as const) {
    const sandbox = (await host.load(guest === 'alloc' ? guestPath('alloc') : guestPath('c-heap'))).instantiate();
    const heap = new GuestHeap(sandbox);
    const exports = sandbox.compiledInstance.exports as Record<string, (...args: number[]) => number>;
    const direct =
      guest === 'c-heap'
        ? (n: number): void => void exports['free']!(exports['malloc']!(n))
        : (n: number): void => void exports['__unpin']!(exports['__pin']!(exports['__new']!(n, 1)));
    // Warm both paths up on every size first, so the first case measured is not the JIT's.
    for (const size of SIZES) for (let i = 0; i < 3; i++) (perOp(() => direct(size)), perOp(() => heap.allocate(size).release()));
    for (const size of SIZES) {
      const heapSamples: number[] = [];
      const directSamples: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Paired rounds, in alternating order: a slow phase of the machine slows both sides alike.
        const measureDirect = (): number => perOp(() => direct(size));
        const measureHeap = (): number => perOp(() => heap.allocate(size).release());
        const [d, h] = round % 2 === 0 ? [measureDirect(), measureHeap()] : ((h2) => [measureDirect(), h2])(measureHeap());
        directSamples.push(d);
        heapSamples.push(h);
        if (round > 0) ratios.push(h / d);
      }
      const base = median(directSamples.slice(1));
      const value = median(heapSamples.slice(1));
      const ratio = median(ratios);
      results.push({
        samples: heapSamples.slice(1),
        benchmark: 'guest-heap', case: `${guest}: allocate + release ${size / 1024} KiB`, metric: 'time per op', value, unit: 'ns',
        baseline: { name: 'direct allocator exports', value: base }, ratio,
        target: '< 10 µs and ratio <= 1.5', met: value < 10_000 && ratio <= 1.5,
      });
    }
  }
  printBench('guest heap: allocate + release through the guest allocator (medians; direct export calls in the same run)', results);
  console.log(`wrote ${writeBench('guest-heap', startedAt, results)}`);
}

await main();

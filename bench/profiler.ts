/**
 * What profiling costs, against the unprofiled run of the same workload in the same process:
 * sampling (V8's sampler, module untouched), per-function instruction counters (kept in wasm),
 * the instructions mode (hooks + fuel: a deterministic call tree) and the instrumented mode
 * (hooks + clock). Targets (issue 5): sampling ≤ 5 %; instruction counting ≤ 1.5×.
 * Then cache simulation (profiler-cache.ts; issue 10: ≤ 10×). `--cache` runs only that part.
 * Allocation tracking (issue 10) on the allocation-heavy churn guest: ≤ 1.5×, with the
 * allocator hook alone (a no-op JS function) measured beside it to split call cost from bookkeeping.
 */
import { AllocationProfiler, GuestProfiler, WasmHost, profileBySampling, type Sandbox } from '../src/index.js';
import { guestPath, median, printBench, writeBench, type BenchResult } from './report.js';
import { cacheCases } from './profiler-cache.js';

const ROUNDS = 7;

interface Workload {
  readonly name: string;
  readonly guest: string;
  readonly run: (sandbox: Sandbox) => void;
}

const WORKLOADS: readonly Workload[] = [
  { name: 'profile.outer(200000) × 5 (few calls, long loops)', guest: 'profile', run: (s) => { for (let i = 0; i < 5; i++) s.call('outer', 200_000); } },
  { name: 'fib(27) × 5 (≈1.6 M calls)', guest: 'fib', run: (s) => { for (let i = 0; i < 5; i++) s.call('fib', 27); } },
  { name: 'array sum over 1 M doubles × 20', guest: 'sum', run: (s) => { for (let i = 0; i < 20; i++) s.call('sumSeries'); } },
];

function time(action: () => void): number {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = new WasmHost({ instrumentCacheDir: false });
  const results: BenchResult[] = [];
  // `--cache` / `--alloc-only`: just those cases (the others take minutes).
  for (const w of process.argv.includes('--cache') || process.argv.includes('--alloc-only') ? [] : WORKLOADS) {
    const plain = (await host.load(guestPath(w.guest))).instantiate();
    const prepare = (s: Sandbox): Sandbox => (w.guest === 'sum' ? (s.call('fillSeries', 1_000_000), s) : s);
    prepare(plain);
    const counters = prepare((await host.load(guestPath(w.guest), { instrument: { counters: true } })).instantiate());
    const instructions = prepare(new GuestProfiler(await host.load(guestPath(w.guest), { instrument: { hooks: true, fuel: true } }), 'instructions').instantiate());
    const instrumented = prepare(new GuestProfiler(await host.load(guestPath(w.guest), { instrument: { hooks: true } }), 'instrumented').instantiate());
    const samplingModule = await host.load(guestPath(w.guest));
    const sampled = prepare(samplingModule.instantiate());
    const samples: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      (samples['plain'] ??= []).push(time(() => w.run(plain)));
      // The workload's own time while V8 samples it; the session's fixed cost is reported apart.
      const start = process.hrtime.bigint();
      let inside = 0;
      await profileBySampling(samplingModule, () => {
        inside = time(() => w.run(sampled));
      });
      (samples['sampling'] ??= []).push(inside);
      (samples['sampling session setup + teardown'] ??= []).push(Number(process.hrtime.bigint() - start) / 1e6 - inside);
      (samples['counters'] ??= []).push(time(() => w.run(counters)));
      (samples['instructions mode'] ??= []).push(time(() => w.run(instructions)));
      (samples['instrumented mode'] ??= []).push(time(() => w.run(instrumented)));
    }
    const base = median(samples['plain']!.slice(1));
    for (const mode of ['sampling', 'sampling session setup + teardown', 'counters', 'instructions mode', 'instrumented mode']) {
      const value = median(samples[mode]!.slice(1));
      const ratio = value / base;
      results.push({
        benchmark: 'profiler', case: `${w.name}: ${mode}`, metric: 'run time', value, unit: 'ms',
        samples: samples[mode]!.slice(1),
        ...(mode.includes('setup') ? {} : { baseline: { name: 'unprofiled', value: base }, ratio }),
        ...(mode === 'sampling' ? { target: 'ratio <= 1.05', met: ratio <= 1.05 } : {}),
        ...(mode === 'counters' ? { target: 'ratio <= 1.5', met: ratio <= 1.5 } : {}),
      });
    }
  }
  if (!process.argv.includes('--alloc-only')) results.push(...(await cacheCases(host, ROUNDS)));
  if (!process.argv.includes('--cache')) results.push(...(await allocationCases(host)));
  printBench('profiler overhead (medians; unprofiled run in the same process)', results);
  console.log(`wrote ${writeBench('profiler', startedAt, results)}`);
}

/** alloc.wasm churn: 100,000 short-lived 64-byte buffers per call, 5 calls (≈1 M allocator events with the collector's frees). */
async function allocationCases(host: WasmHost): Promise<BenchResult[]> {
  const name = 'alloc.churn(100000, 64) × 5 (≈1 M allocator events)';
  const run = (s: Sandbox): void => {
    for (let i = 0; i < 5; i++) s.call('churn', 100_000, 64);
  };
  const plain = (await host.load(guestPath('alloc'))).instantiate();
  const hooked = await host.load(guestPath('alloc'), { instrument: { allocator: true } });
  const noop = hooked.instantiate({ allocationHook: () => undefined });
  const recorded = new AllocationProfiler(hooked, { engine: 'wasm' }).instantiate();
  const tracked = new AllocationProfiler(hooked, { engine: 'js' }).instantiate();
  const stacked = new AllocationProfiler(await host.load(guestPath('alloc'), { instrument: { allocator: true, hooks: true } })).instantiate();
  const modes: [string, Sandbox][] = [
    ['plain', plain],
    ['allocator hook alone (no-op JS)', noop],
    ['allocation tracking (wasm recorder, default)', recorded],
    ['allocation tracking (JS tracker)', tracked],
    ['allocation tracking with stacks (JS tracker + entry/exit hooks)', stacked],
  ];
  const samples = new Map<string, number[]>(modes.map(([mode]) => [mode, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [mode, sandbox] of modes) samples.get(mode)!.push(time(() => run(sandbox)));
  const base = median(samples.get('plain')!.slice(1));
  return modes.slice(1).map(([mode]) => {
    const value = median(samples.get(mode)!.slice(1));
    const ratio = value / base;
    return {
      benchmark: 'profiler', case: `${name}: ${mode}`, metric: 'run time', value, unit: 'ms',
      baseline: { name: 'unprofiled', value: base }, ratio,
      ...(mode.startsWith('allocation tracking (wasm') ? { target: 'ratio <= 1.5', met: ratio <= 1.5 } : {}),
    };
  });
}

await main();

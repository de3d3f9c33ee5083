/**
 * `wasm-sandbox demo`: runs the bundled guests through the host with realistic workloads,
 * including the failure modes a sandbox exists for, prints each module's profile, then runs
 * guests on a worker pool.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AllocationProfiler, GuestProfiler, WasmHost, analyze, loadInstrumentEngine, callOverheadNs, formatFindings, formatProfile, hookOverhead, renderFlamegraph, type AnalysisReport, type GuestModule, type ProfiledModule, type RunLimits, type WasmSandboxError } from '../index.js';
import { stackLabel } from '../profiler/render/format-allocations.js';
import { terminalSafe } from '../profiler/render/terminal-text.js';
import { MAX_ERROR_MESSAGE } from '../untrusted-text.js';
import { runPoolDemo } from './demo-pool.js';
import { CacheProfiler } from '../host/profiling/cache-profiler.js';
import { describeGeometry } from '../profiler/build/cache-geometry.js';
import { bundledGuest } from './guests.js';

type Out = (line: string) => void;

/** Where the demo writes its flamegraph: build/demo/ under the current directory. */
const DEMO_DIR = join('build', 'demo');

function expectFailure(out: Out, what: string, action: () => unknown): void {
  try {
    action();
    out(`  ${what}: unexpectedly succeeded`);
  } catch (error) {
    const e = error as WasmSandboxError;
    out(`  ${what} → ${e.code ?? e.name}: ${terminalSafe(e.message, MAX_ERROR_MESSAGE)}`);
  }
}

export async function runDemo(out: Out = (line) => process.stdout.write(line + '\n')): Promise<{ modules: GuestModule[]; report: AnalysisReport }> {
  const traced: string[] = [];
  const host = new WasmHost({ trace: (message, values) => traced.push(`${message} ${values.join(', ')}`) });
  const modules: GuestModule[] = [];
  // What the findings read beside each module's profile: the limits its calls ran under.
  const limits = new Map<GuestModule, RunLimits>();
  const load = async (name: string, options: Parameters<WasmHost['load']>[1] = {}): Promise<GuestModule> => {
    const module = await host.load(bundledGuest(name), options);
    modules.push(module);
    return module;
  };

  out('wasm-sandbox demo: bundled guests, host runtime, per-call metrics, worker pool\n');

  const add = (await load('add')).instantiate();
  const addFast = add.fn('add');
  let acc = 0;
  for (let i = 0; i < 1_000_000; i++) acc = addFast(acc, 1) as number;
  out(`add: 1,000,000 hot calls through fn() → ${acc}; addI64(2^53, 1) = ${String(add.call('addI64', 2n ** 53n, 1n))}`);

  const fib = (await load('fib')).instantiate();
  let fibResult = 0;
  for (let i = 0; i < 20; i++) fibResult = fib.call('fib', 25) as number;
  out(`fib: fib(25) = ${fibResult}, 20 calls`);

  const sum = (await load('sum')).instantiate();
  const sumF64 = sum.typed<number>('sumF64', { params: ['Float64Array'], result: 'f64' });
  const values = Float64Array.from({ length: 100_000 }, (_, i) => i * 0.5);
  let total = 0;
  for (let i = 0; i < 50; i++) total = sumF64(values);
  out(`sum: sumF64 over 100,000 doubles = ${total}, 50 calls (800 KB copied in per call)`);

  const strings = (await load('strings')).instantiate();
  const reverse = strings.typed<string>('reverse', { params: ['string'], result: 'string' });
  let reversed = '';
  for (let i = 0; i < 1000; i++) reversed = reverse('wasm-sandbox 🦀 profiles guests');
  out(`strings: reverse → ${JSON.stringify(reversed)}`);

  const alloc = (await load('alloc')).instantiate();
  alloc.call('churn', 10_000, 256);
  for (let i = 0; i < 10; i++) alloc.call('leak', 100, 4096);
  out(`alloc: churn(10,000 × 256 B) reclaimed; leak kept ${String(alloc.call('keptCount'))} buffers of 4 KiB`);

  const matrix = (await load('matrix')).instantiate();
  matrix.call('init', 512);
  for (let i = 0; i < 5; i++) {
    matrix.call('sumRowMajor');
    matrix.call('sumColumnMajor');
  }
  out('matrix: 512×512 f64 summed row-major and column-major, 5 times each (compare their latency below)');

  // Why column-major is slower: every load through the cache simulator (kept in wasm).
  const simulated = await load('matrix', { instrument: { memory: true, hooks: true }, label: 'matrix.wasm (cache simulation)' });
  const cache = new CacheProfiler(simulated);
  const walked = cache.instantiate();
  walked.call('init', 512);
  walked.call('sumRowMajor');
  walked.call('sumColumnMajor');
  const walks = new Map(cache.report().exports.map((e) => [e.name, e]));
  const rate = (name: string): string => {
    const e = walks.get(name);
    return e === undefined ? '—' : `D1 read misses ${e.d1ReadMisses.toLocaleString('en-US')} of ${e.reads.toLocaleString('en-US')} loads (${(100 * (e.d1ReadMisses / Math.max(1, e.reads))).toFixed(1)}%)`;
  };
  out(`cache: ${describeGeometry(cache.geometry)}`);
  out(`  sumRowMajor    ${rate('sumRowMajor')}: one miss per 64 B line of 8 doubles`);
  out(`  sumColumnMajor ${rate('sumColumnMajor')}: a 4 KiB stride, each line evicted before its next double is read`);

  const grow = (await load('grow', { memoryLimitPages: 64 })).instantiate();
  out(`grow: memory limit 64 pages; grow(1000) = ${String(grow.call('grow', 1000))} (refused), growUntilFail gained ${String(grow.call('growUntilFail'))} pages`);

  const trap = (await load('trap')).instantiate();
  out('trap: failures become typed errors, the host keeps serving');
  expectFailure(out, 'unreachableTrap()', () => trap.call('unreachableTrap'));
  expectFailure(out, 'divide(1, 0)', () => trap.call('divide', 1, 0));
  expectFailure(out, 'loadAt(0xfffffff0)', () => trap.call('loadAt', 0xfffffff0));
  expectFailure(out, 'recurse(0)', () => trap.call('recurse', 0));
  out(`  divide(84, 2) afterwards = ${String(trap.call('divide', 84, 2))}`);

  const abort = (await load('abort')).instantiate({ seed: 7 });
  expectFailure(out, 'checkPositive(-1)', () => abort.call('checkPositive', -1));
  abort.call('log', 21);
  out(`abort: trace output went to the configured logger: ${JSON.stringify(traced)}`);

  const spin = await load('spin', { instrument: { deadline: true } });
  expectFailure(out, 'limits: spinForever() with timeoutMs 50', () => spin.instantiate({ timeoutMs: 50 }).call('spinForever'));
  limits.set(spin, { timeoutMs: 50 });
  const counted = await load('fib', { instrument: { fuel: true, counters: true }, label: 'fib.wasm (fuel)' });
  const fuelled = counted.instantiate({ fuel: 10_000_000 });
  limits.set(counted, { fuel: 10_000_000 });
  const fib20 = fuelled.callWithMetrics('fib', 20);
  out(`limits: fib(20) executed ${String(fib20.metrics.instructions)} wasm instructions (deterministic); counters: ${JSON.stringify(fuelled.functionCounters())}`);
  expectFailure(out, 'limits: fib(32) with fuel 10,000,000', () => fuelled.call('fib', 32));

  const profiled = await load('profile', { instrument: { hooks: true }, label: 'profile.wasm (instrumented)' });
  const profiler = new GuestProfiler(profiled, 'instrumented');
  const profiledSandbox = profiler.instantiate();
  for (let i = 0; i < 10; i++) profiledSandbox.call('outer', 100_000);
  mkdirSync(DEMO_DIR, { recursive: true });
  const svg = join(DEMO_DIR, 'profile-flamegraph.svg');
  writeFileSync(svg, renderFlamegraph(profiler.tree(), { title: 'profile.wasm outer(100000) × 10 — instrumented' }));
  out(`profiler: outer() profiled through entry/exit hooks; flamegraph written to ${svg} (top functions in its module profile below)`);

  // Where guest memory goes: the allocation profiler on alloc.wasm's leak (its module profile below prints the full report).
  const tracked = await load('alloc', { instrument: { allocator: true, hooks: true }, label: 'alloc.wasm (allocations)' });
  const allocations = new AllocationProfiler(tracked, { collectAfterEachCall: true });
  const leaking = allocations.instantiate();
  leaking.call('churn', 1000, 64);
  for (let i = 0; i < 5; i++) leaking.call('leak', 10, 256);
  const allocationReport = allocations.report();
  const leakSite = allocationReport.sites.filter((s) => s.liveBytesAtEnd > 0).sort((a, b) => b.liveBytesAtEnd - a.liveBytesAtEnd)[0];
  const perCall = allocationReport.perCall.find((p) => p.export === 'leak');
  out(
    `allocations: churn(1000 × 64 B) left ${allocationReport.sites.filter((s) => s.stack.some((f) => f.name.endsWith('/churn'))).reduce((n, s) => n + s.liveBytesAtEnd, 0)} B live; ` +
      `leak(10 × 256 B) × 5 left ${leakSite?.liveBlocksAtEnd ?? 0} blocks, ${leakSite?.liveBytesAtEnd ?? 0} B at ${leakSite === undefined ? '?' : stackLabel(leakSite.stack)}` +
      (perCall === undefined ? '' : `; per call it gains ${Math.round(perCall.liveBytesGainedPerCall)} B`),
  );

  out('\nper-module profiles\n');
  for (const module of modules) out(formatProfile(module.profile()) + '\n');

  out('worker pool\n');
  const pool = await runPoolDemo(host, out);

  await loadInstrumentEngine(); // the hook calibration rewrites its module synchronously
  // Each module's profile carries what its profilers recorded (alloc.wasm's allocation report, matrix.wasm's
  // cache simulation, shown above): the findings read those, nothing runs again.
  const analysed: ProfiledModule[] = modules.map((module) => {
    const known = limits.get(module);
    return {
      profile: module.profile(),
      ...(module === profiled ? { tree: profiler.tree(), hookOverhead: hookOverhead() } : {}),
      ...(known === undefined ? {} : { limits: known }),
      callOverheadNs: callOverheadNs(),
    };
  });
  const report = analyze({ modules: analysed, pool });
  out('\nfindings (in-process modules and the pool)\n');
  out(formatFindings(report));
  return { modules, report };
}

/**
 * What cache simulation costs (issue 10, part 3), against the unprofiled run of the same
 * workload in the same process: memory hooks into a no-op JavaScript function (the price of
 * one JS call per access, before any simulation), the cache simulation kept in wasm (the
 * bundled recorder linked as the hook imports: D1 + LL + reuse distance + strides + working
 * sets) and the same simulation in the pure TypeScript model fed per event (the reference).
 * And the floor any recorder linked this way stands on: the same hooks into a wasm module whose
 * every hook returns at once (letting the guest coalesce within a line, as the recorder does),
 * so what the guest's instrumentation and one wasm-to-wasm call per reported access cost.
 * Target: the wasm recorder ≤ 10× (cachegrind's own slowdown is 20–100×).
 */
import { CacheProfiler, WasmHost, type Sandbox } from '../src/index.js';
import { CoalescedAccesses } from '../src/host/coalesced-accesses.js';
import { wasmExportsOf } from './noop-wasm.js';
import { guestPath, median, type BenchResult } from './report.js';

interface CacheWorkload {
  readonly name: string;
  readonly guest: string;
  readonly prepare: (sandbox: Sandbox) => void;
  readonly run: (sandbox: Sandbox) => void;
}

const WORKLOADS: readonly CacheWorkload[] = [
  { name: 'array sum over 1 M doubles × 5', guest: 'sum', prepare: (s) => s.call('fillSeries', 1_000_000), run: (s) => { for (let i = 0; i < 5; i++) s.call('sumSeries'); } },
  {
    name: 'matrix walk 512×512 row- and column-major × 2',
    guest: 'matrix',
    prepare: (s) => s.call('init', 512),
    run: (s) => { for (let i = 0; i < 2; i++) (s.call('sumRowMajor'), s.call('sumColumnMajor')); },
  },
];

/** Wall time and this process's CPU time (ms): on a shared, loaded machine the second is the steadier. */
function time(action: () => void): readonly [number, number] {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  action();
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return [wall, (used.user + used.system) / 1000];
}

/** A recorder that records nothing: each memory hook lets the guest coalesce within the line it reported. */
function noopRecorder(): WebAssembly.Exports {
  return wasmExportsOf(`(module
    (func (export "enter") (param i32 i32))
    (func (export "exit") (param i32 i32 i32 i32))
    (func (export "load") (param i32 i32 i32) (result i32) (i32.const 1))
    (func (export "store") (param i32 i32 i32) (result i32) (i32.const 1))
    (func (export "run") (param i32 f64 f64)))`);
}

export async function cacheCases(host: WasmHost, rounds: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const w of WORKLOADS) {
    const prepared = (s: Sandbox): Sandbox => (w.prepare(s), s);
    const plain = prepared((await host.load(guestPath(w.guest))).instantiate());
    const hooked = await host.load(guestPath(w.guest), { instrument: { memory: true } });
    const noop = prepared(hooked.instantiate({ memoryHooks: { load: () => undefined, store: () => undefined } }));
    const simulated = await host.load(guestPath(w.guest), { instrument: { memory: true, hooks: true } });
    const recorder = new CacheProfiler(simulated, { recorder: 'wasm' });
    const wasm = prepared(recorder.instantiate());
    const js = prepared(new CacheProfiler(simulated, { recorder: 'js' }).instantiate());
    const floor = noopRecorder();
    const lineBytes = recorder.geometry.d1.lineBytes;
    const noopWasm = prepared(simulated.instantiate({
      linkedHooks: { enter: floor['enter'], exit: floor['exit'], load: floor['load'], store: floor['store'], run: floor['run'], attached: (exports) => void new CoalescedAccesses(exports, lineBytes) },
    }));
    const samples: Record<string, (readonly [number, number])[]> = {};
    const modes: readonly [string, Sandbox][] = [
      ['plain', plain],
      ['memory hooks, no-op JS function', noop],
      ['memory hooks, no-op wasm recorder (floor of linking one)', noopWasm],
      ['cache simulation, wasm recorder', wasm],
      ['cache simulation, TS model (reference)', js],
    ];
    for (let round = 0; round < rounds; round++) {
      for (const [mode, sandbox] of modes) {
        // The reference model is slow: three rounds of it say enough.
        if (mode.includes('TS model') && round > 2) continue;
        (samples[mode] ??= []).push(time(() => w.run(sandbox)));
      }
    }
    for (const [metric, pick] of [['run time', 0], ['CPU time', 1]] as const) {
      const of = (mode: string): number => median(samples[mode]!.slice(1).map((sample) => sample[pick]));
      const base = of('plain');
      for (const [mode] of modes.slice(1)) {
        const value = of(mode);
        const ratio = value / base;
        results.push({
          benchmark: 'profiler', case: `${w.name}: ${mode}`, metric, value, unit: 'ms',
          baseline: { name: 'unprofiled', value: base }, ratio,
          ...(mode === 'cache simulation, wasm recorder' ? { target: 'ratio <= 10', met: ratio <= 10 } : {}),
        });
      }
    }
  }
  return results;
}

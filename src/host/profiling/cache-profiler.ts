/**
 * Attaches the cache simulator to a module's sandboxes: the thin adapter between the
 * instrumented guest (memory hooks, and entry/exit hooks when loaded with them) and the pure
 * model in profiler/build/. By default each sandbox is linked to its own instance of the wasm
 * recorder (assembly/recorders/cache.ts): the guest calls wasm to wasm on every access and no
 * JavaScript runs until the report is asked for. `recorder: 'js'` feeds the pure model from
 * JavaScript hooks instead — the reference, identical and much slower.
 */
import { InvalidOptionError } from '../../errors.js';
import { geometryProblem } from '../../profiler/build/cache-geometry.js';
import { mergeCacheRecordings, recorderLimits, type CacheRecorderLimits, type CacheRecording } from '../../profiler/build/cache-recording.js';
import { buildCacheReport } from '../../profiler/build/cache-report-builder.js';
import { CacheSimulator } from '../../profiler/build/cache-simulator.js';
import type { CacheGeometry, CacheLevelGeometry, CacheReport } from '../../profiler/model/cache-report.js';
import type { FrameIdentity } from '../../profiler/model/call-tree.js';
import type { GuestModule, SandboxOptions } from '../guest-module.js';
import type { Sandbox } from '../sandbox.js';
import { machineCacheGeometry } from './machine-cache-geometry.js';
import { WasmCacheRecorder } from './wasm-cache-recorder.js';

export interface CacheProfilerOptions {
  /** D1 and/or LL to simulate (cachegrind's `--D1` / `--LL`); unset levels come from `this machine`. @default machineCacheGeometry() */
  readonly d1?: CacheLevelGeometry;
  readonly ll?: CacheLevelGeometry;
  /** `wasm`: the bundled recorder keeps the model in wasm; `js`: the pure model, per event from JavaScript. @default 'wasm' */
  readonly recorder?: 'wasm' | 'js';
}

interface Recorder {
  recording(): CacheRecording;
}

export class CacheProfiler {
  readonly geometry: CacheGeometry;
  readonly recorder: 'wasm' | 'js';
  private readonly recorders: Recorder[] = [];
  private readonly hooks: boolean;
  private readonly limits: CacheRecorderLimits;

  constructor(
    readonly module: GuestModule,
    options: CacheProfilerOptions = {},
  ) {
    const instrumentation = module.instrumentation?.options;
    if (instrumentation?.memory !== true) {
      throw new InvalidOptionError(`${module.label}: cache simulation needs the module loaded with { instrument: { memory: true } } (add hooks: true for per-function figures)`);
    }
    this.recorder = options.recorder ?? 'wasm';
    if (this.recorder !== 'wasm' && this.recorder !== 'js') throw new InvalidOptionError(`options.recorder must be 'wasm' or 'js', got ${JSON.stringify(this.recorder)}`);
    const machine = options.d1 !== undefined && options.ll !== undefined ? undefined : machineCacheGeometry();
    for (const [key, level] of [['d1', options.d1], ['ll', options.ll]] as const) {
      const problem = level === undefined ? undefined : geometryProblem(level);
      if (problem !== undefined) throw new InvalidOptionError(`options.${key}: ${problem}`);
    }
    const given = [options.d1 === undefined ? undefined : '--D1', options.ll === undefined ? undefined : '--LL'].filter(Boolean).join(' and ');
    this.geometry = {
      d1: options.d1 ?? machine!.d1,
      ll: options.ll ?? machine!.ll,
      source: machine === undefined ? 'the caller (--D1, --LL)' : given === '' ? machine.source : `the caller (${given}), the rest ${machine.source}`,
    };
    this.hooks = instrumentation.hooks;
    const functions = this.hooks ? module.instrumentation!.profiledFunctions.length : 0;
    this.limits = recorderLimits(module.memoryLimitPages * 65536, this.geometry.d1.lineBytes, functions);
    module.setCacheReportSource(() => this.report());
  }

  /** A sandbox whose memory accesses (and calls, with hooks) feed a fresh simulated cache. */
  instantiate(options: Omit<SandboxOptions, 'hooks' | 'memoryHooks' | 'linkedHooks'> = {}): Sandbox {
    if (this.recorder === 'js') {
      const sim = new CacheSimulator(this.geometry, this.limits);
      this.recorders.push(sim);
      return this.module.instantiate({
        ...options,
        memoryHooks: { load: (a, n) => sim.load(a, n), store: (a, n) => sim.store(a, n) },
        hooks: { enter: (id) => sim.enter(id), exit: (id) => sim.exit(id), unwound: () => sim.unwind() },
      });
    }
    const recorder = new WasmCacheRecorder(this.geometry, this.limits);
    this.recorders.push(recorder);
    return this.module.instantiate({
      ...options,
      linkedHooks: recorder.hooks,
      hooks: { enter: () => undefined, exit: () => undefined, unwound: () => recorder.unwind() },
    });
  }

  /** What every sandbox recorded so far, merged by call path. */
  recording(): CacheRecording {
    if (this.recorders.length === 0) return new CacheSimulator(this.geometry, this.limits).recording();
    return mergeCacheRecordings(this.recorders.map((r) => r.recording()));
  }

  report(): CacheReport {
    const names = this.module.instrumentation!.profiledFunctions;
    const indices = this.functionIndices();
    // Export indices count the host's hook imports the rewrite added; function indices do not.
    const parsed = this.module.samplingTarget().parsed;
    const added = parsed.importedFunctionCount - this.module.inspect().imports.filter((i) => i.kind === 'function').length;
    const exported = new Map<number, string>();
    for (const entry of parsed.exports) if (entry.kind === 'function' && !exported.has(entry.index - added)) exported.set(entry.index - added, entry.name);
    const frames: FrameIdentity[] = [];
    return buildCacheReport(this.recording(), {
      geometry: this.geometry,
      hooks: this.hooks,
      frame: (id) => (frames[id] ??= indices[id] === undefined ? { name: names[id] ?? `#${id}` } : { name: names[id] ?? `#${id}`, functionIndex: indices[id]! }),
      exportName: (id) => (indices[id] === undefined ? undefined : exported.get(indices[id]!)),
      notes: ['accesses made by host code (imports, the host writing arguments into guest memory) are not seen'],
    });
  }

  /** Module function index of each profile id (as GuestProfiler numbers them; the last id is the host boundary). */
  private functionIndices(): (number | undefined)[] {
    const instrumentation = this.module.instrumentation!;
    const defined = instrumentation.profiledFunctions.length - (instrumentation.options.hooks ? 1 : 0);
    const imports = this.module.inspect().imports.filter((i) => i.kind === 'function').length;
    return Array.from({ length: instrumentation.profiledFunctions.length }, (_, id) => (id < defined ? imports + id : undefined));
  }
}

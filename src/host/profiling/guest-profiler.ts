/**
 * Records call trees from a module's entry/exit hooks: the thin adapter between the
 * instrumented guest and `profiler/` (which knows nothing of sandboxes).
 *
 * - `instrumented`: wall-clock time between entry and exit (needs `instrument: { hooks: true }`).
 * - `instructions`: the instruction counter between entry and exit (needs `{ hooks: true,
 *   fuel: true }`): deterministic, the same on every run and machine.
 *
 * By default each sandbox's events go to a wasm recorder linked as its hook imports
 * (call-tree-recorder.ts: no JavaScript per event in the instructions mode, one clock read in
 * the instrumented mode); `recorder: 'javascript'` feeds CallTreeBuilder from JS hooks
 * instead — the reference the wasm recorder is tested against, event for event.
 */
import { InvalidOptionError } from '../../errors.js';
import { CallTreeBuilder } from '../../profiler/build/call-tree-builder.js';
import { compensateOverhead, functionStats, mergeCallTrees, type CallTree, type FunctionStats } from '../../profiler/model/call-tree.js';
import { CallTreeRecorder, type RecorderLimits } from './call-tree-recorder.js';
import { hookOverhead } from './hook-calibration.js';
import type { GuestModule, SandboxOptions } from '../guest-module.js';
import type { Sandbox } from '../sandbox.js';

export type InstrumentedMode = 'instrumented' | 'instructions';

export interface GuestProfilerOptions {
  /**
   * Where the per-event bookkeeping happens: `wasm`, a recorder instance per sandbox linked as
   * the hook imports; `javascript`, CallTreeBuilder behind JS hooks (the reference). Both give
   * the same tree for the same events. @default 'wasm'
   */
  readonly recorder?: 'wasm' | 'javascript';
  /** Bounds on each wasm recorder's memory (calls beyond them are folded, and noted). */
  readonly recorderLimits?: RecorderLimits;
}

/** One sandbox's source of events: the tree so far, and forgetting it. */
interface TreeSource {
  build(): CallTree;
  reset(): void;
}

export class GuestProfiler {
  private readonly sources: TreeSource[] = [];
  readonly recorder: 'wasm' | 'javascript';

  constructor(
    readonly module: GuestModule,
    readonly mode: InstrumentedMode,
    private readonly options: GuestProfilerOptions = {},
  ) {
    const instrument = module.instrumentation?.options;
    if (instrument?.hooks !== true || (mode === 'instructions' && instrument.fuel !== true)) {
      const needed = mode === 'instructions' ? '{ hooks: true, fuel: true }' : '{ hooks: true }';
      throw new InvalidOptionError(`${module.label}: the ${mode} profiling mode needs the module loaded with { instrument: ${needed} }`);
    }
    const recorder = options.recorder ?? 'wasm';
    if (recorder !== 'wasm' && recorder !== 'javascript') {
      throw new InvalidOptionError(`options.recorder must be 'wasm' or 'javascript', got ${JSON.stringify(recorder)}`);
    }
    this.recorder = recorder;
    module.addCallTreeSource(() => this.tree());
  }

  /** Forgets what was recorded so far (after a warm-up, say); sandboxes keep being watched. */
  reset(): void {
    for (const source of this.sources) source.reset();
  }

  /** A sandbox whose calls are profiled (other options pass through; `hooks` is the profiler's). */
  instantiate(options: Omit<SandboxOptions, 'hooks' | 'linkedHooks'> = {}): Sandbox {
    return this.recorder === 'wasm' ? this.instantiateRecorded(options) : this.instantiateWithBuilder(options);
  }

  private instantiateRecorded(options: Omit<SandboxOptions, 'hooks' | 'linkedHooks'>): Sandbox {
    const recorder = new CallTreeRecorder(this.mode === 'instructions' ? 'instructions' : 'wall', this.options.recorderLimits);
    const names = this.module.instrumentation!.profiledFunctions;
    const indices = this.functionIndices();
    const notes = this.notes();
    // Watched from before instantiation (its start function), as the builder is, even if it fails.
    this.sources.push({
      build: () => recorder.build(names, indices, this.mode, this.unit(), notes),
      reset: () => recorder.reset(),
    });
    let sandbox: Sandbox | undefined;
    const clock = this.clock(() => sandbox);
    sandbox = this.module.instantiate({ ...options, linkedHooks: recorder.linkedHooks(clock) });
    recorder.start();
    return sandbox;
  }

  private instantiateWithBuilder(options: Omit<SandboxOptions, 'hooks' | 'linkedHooks'>): Sandbox {
    const names = this.module.instrumentation!.profiledFunctions;
    const builder = new CallTreeBuilder(names, this.mode, this.unit(), this.notes(), this.functionIndices());
    this.sources.push(builder);
    let sandbox: Sandbox | undefined;
    const clock = this.clock(() => sandbox);
    sandbox = this.module.instantiate({
      ...options,
      hooks: {
        enter: (id) => builder.enter(id, clock()),
        exit: (id) => builder.exit(id, clock()),
        unwound: () => builder.unwind(clock()),
      },
    });
    return sandbox;
  }

  /** The weight clock; before the instance exists (its start function) the instruction clock reads 0. */
  private clock(sandbox: () => Sandbox | undefined): () => number {
    if (this.mode === 'instrumented') return () => performance.now() * 1e6;
    return () => {
      const s = sandbox();
      return s === undefined ? 0 : s.instructionsExecuted();
    };
  }

  private unit(): 'instructions' | 'nanoseconds' {
    return this.mode === 'instructions' ? 'instructions' : 'nanoseconds';
  }

  /**
   * The call tree of every sandbox this profiler made, merged, as measured. With `compensate`
   * (instrumented mode) the hooks' own cost, calibrated once per process for the recorder in
   * use, is subtracted (docs/profiler.md).
   */
  tree(options: { compensate?: boolean } = {}): CallTree {
    const tree = mergeCallTrees(this.sources.map((s) => s.build()));
    return this.mode === 'instrumented' && options.compensate === true ? compensateOverhead(tree, hookOverhead(this.recorder)) : tree;
  }

  functions(): FunctionStats[] {
    return functionStats(this.tree());
  }

  /**
   * Module function index of each profile id: ids count the defined functions in order, so id
   * N is function (imports + N) of the module as given; the id after them is the host boundary.
   */
  private functionIndices(): (number | undefined)[] {
    const instrumentation = this.module.instrumentation!;
    const defined = instrumentation.profiledFunctions.length - (instrumentation.options.hooks ? 1 : 0);
    const imports = this.module.inspect().imports.filter((i) => i.kind === 'function').length;
    return Array.from({ length: instrumentation.profiledFunctions.length }, (_, id) => (id < defined ? imports + id : undefined));
  }

  private notes(): string[] {
    // The same notes whichever recorder: the trees must be identical.
    return this.mode === 'instructions'
      ? ['weights are wasm instructions (binaryen expressions) counted by the fuel pass: deterministic']
      : ['weights are wall-clock ns between entry and exit hooks; each hook reads the clock through a JS call, which inflates short functions'];
  }
}

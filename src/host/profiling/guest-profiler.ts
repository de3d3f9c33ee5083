/**
 * Feeds the profiler's call-tree builder from a module's entry/exit hooks: the thin adapter
 * between the instrumented guest and `profiler/` (which knows nothing of sandboxes).
 *
 * - `instrumented`: wall-clock time between entry and exit (needs `instrument: { hooks: true }`).
 * - `instructions`: the instruction counter between entry and exit (needs `{ hooks: true,
 *   fuel: true }`): deterministic, the same on every run and machine.
 */
import { InvalidOptionError } from '../../errors.js';
import { CallTreeBuilder } from '../../profiler/build/call-tree-builder.js';
import { compensateOverhead, functionStats, mergeCallTrees, type CallTree, type FunctionStats } from '../../profiler/model/call-tree.js';
import { hookOverhead } from './hook-calibration.js';
import type { GuestModule, SandboxOptions } from '../guest-module.js';
import type { Sandbox } from '../sandbox.js';

export type InstrumentedMode = 'instrumented' | 'instructions';

export class GuestProfiler {
  private readonly builders: CallTreeBuilder[] = [];

  constructor(
    readonly module: GuestModule,
    readonly mode: InstrumentedMode,
  ) {
    const options = module.instrumentation?.options;
    if (options?.hooks !== true || (mode === 'instructions' && options.fuel !== true)) {
      const needed = mode === 'instructions' ? '{ hooks: true, fuel: true }' : '{ hooks: true }';
      throw new InvalidOptionError(`${module.label}: the ${mode} profiling mode needs the module loaded with { instrument: ${needed} }`);
    }
    module.addCallTreeSource(() => this.tree());
  }

  /** Forgets what was recorded so far (after a warm-up, say); sandboxes keep being watched. */
  reset(): void {
    for (const builder of this.builders) builder.reset();
  }

  /** A sandbox whose calls are profiled (other options pass through; `hooks` is the profiler's). */
  instantiate(options: Omit<SandboxOptions, 'hooks'> = {}): Sandbox {
    const names = this.module.instrumentation!.profiledFunctions;
    const builder = new CallTreeBuilder(names, this.mode, this.mode === 'instructions' ? 'instructions' : 'nanoseconds', this.notes(), this.functionIndices());
    this.builders.push(builder);
    let sandbox: Sandbox | undefined;
    // Before the instance exists (its start function) the instruction clock reads 0.
    const clock =
      this.mode === 'instructions' ? () => (sandbox === undefined ? 0 : sandbox.instructionsExecuted()) : () => performance.now() * 1e6;
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

  /**
   * The call tree of every sandbox this profiler made, merged, as measured. With `compensate`
   * (instrumented mode) the hooks' own cost, calibrated once per process, is subtracted: better
   * for functions called a few times, unreliable when millions of calls each lose an estimate
   * that is itself noisy (docs/profiler.md).
   */
  tree(options: { compensate?: boolean } = {}): CallTree {
    const tree = mergeCallTrees(this.builders.map((b) => b.build()));
    return this.mode === 'instrumented' && options.compensate === true ? compensateOverhead(tree, hookOverhead()) : tree;
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
    return this.mode === 'instructions'
      ? ['weights are wasm instructions (binaryen expressions) counted by the fuel pass: deterministic']
      : ['weights are wall-clock ns between entry and exit hooks; each hook is a JS call, which inflates short functions'];
  }
}

/**
 * Attaches the allocation tracker (profiler/build/allocation-tracker.ts) to sandboxes of a module
 * loaded with `instrument: { allocator: … }`: allocator events, call boundaries, memory growth
 * and — when the module also has call-tree hooks — the guest call stack of each allocation.
 *
 * Two engines (docs/profiler.md has what each costs): the wasm recorder (allocation-recorder.ts,
 * the default) keeps the table in its own memory and JavaScript runs once per call; the JS
 * tracker takes one call into JavaScript per event, for stacks and instruction lifetimes.
 */
import { InvalidOptionError } from '../../errors.js';
import { AllocationTracker } from '../../profiler/build/allocation-tracker.js';
import type { AllocationReport, AllocatorInfo } from '../../profiler/model/allocation-report.js';
import { AllocationRecorder } from './allocation-recorder.js';
import type { FrameIdentity } from '../../profiler/model/call-tree.js';
import type { GuestModule, SandboxOptions } from '../guest-module.js';
import type { Sandbox } from '../sandbox.js';
import { allocatorInfo } from './allocator-family.js';
import { WASM_PAGE_BYTES } from '../../wasm/wasm-binary.js';

export interface AllocationProfilerOptions {
  /**
   * Sites are full guest call stacks (needs `instrument: { hooks: true }` as well); false: the
   * calling function only. @default true when the module has call-tree hooks
   */
  readonly stacks?: boolean;
  /**
   * Run the collector (`__collect`, AssemblyScript) after every call, so what a call leaves live
   * is what it still references, not garbage not yet swept. @default false
   */
  readonly collectAfterEachCall?: boolean;
  /**
   * Where per-event bookkeeping runs. `wasm`: the allocation recorder linked as the hook import
   * (events never reach JavaScript; sites are calling functions, no instruction lifetimes). `js`:
   * the JS tracker, one call into JavaScript per event (stacks, instruction lifetimes with fuel).
   * Both see memory growth at the next allocator event or the call's end.
   * @default 'wasm' unless stacks are on or the module counts fuel
   */
  readonly engine?: 'wasm' | 'js';
}

interface Reporter {
  report(): AllocationReport;
}

interface Watched {
  readonly sandbox: Sandbox;
  readonly tracker: Reporter;
}

export class AllocationProfiler {
  private readonly watched: Watched[] = [];
  private stacks: boolean;
  /** Where this profiler's bookkeeping runs (see AllocationProfilerOptions.engine). */
  readonly engine: 'wasm' | 'js';
  private readonly frames: FrameIdentity[];

  constructor(
    readonly module: GuestModule,
    private readonly options: AllocationProfilerOptions = {},
  ) {
    const instrumentation = module.instrumentation;
    if (instrumentation === undefined || instrumentation.options.allocator === false) {
      throw new InvalidOptionError(`${module.label}: allocation profiling needs the module loaded with { instrument: { allocator: true } }`);
    }
    const hooks = instrumentation.options.hooks;
    if (options.stacks === true && !hooks) {
      throw new InvalidOptionError(`${module.label}: allocation stacks need the module loaded with { instrument: { allocator: true, hooks: true } }`);
    }
    this.stacks = options.stacks ?? hooks;
    if (options.engine === 'wasm' && options.stacks === true) {
      throw new InvalidOptionError(`${module.label}: the wasm allocation recorder keeps calling functions, not stacks; use engine: 'js' for stacks`);
    }
    this.engine = options.engine ?? (this.stacks || instrumentation.options.fuel ? 'js' : 'wasm');
    if (this.engine === 'wasm') this.stacks = false;
    // Profile id N is defined function (imports + N); with hooks, the id after them is the host boundary.
    const names = instrumentation.profiledFunctions;
    const defined = names.length - (hooks ? 1 : 0);
    const imports = module.inspect().imports.filter((i) => i.kind === 'function').length;
    this.frames = names.map((name, id) => (id < defined ? { name, functionIndex: imports + id } : { name }));
    module.addAllocationSource(() => (this.watched.length === 0 ? undefined : this.report()));
  }

  /**
   * A sandbox whose allocations are tracked. Its `hooks` are the profiler's when stacks are on
   * (pass your own `hooks` to be called as well); `allocationHook` and `callHooks` are the profiler's.
   */
  instantiate(options: Omit<SandboxOptions, 'allocationHook' | 'callHooks' | 'allocationImport'> = {}): Sandbox {
    return this.engine === 'wasm' ? this.instantiateRecorded(options) : this.instantiateTracked(options);
  }

  private allocatorInfo(): AllocatorInfo {
    const instrumentation = this.module.instrumentation!;
    return allocatorInfo(instrumentation.allocators, instrumentation.options.allocator as Exclude<typeof instrumentation.options.allocator, false>, this.module.inspect().assemblyScriptRuntime);
  }

  /** Bookkeeping in the wasm recorder: JavaScript runs per call, never per event. */
  private instantiateRecorded(options: Omit<SandboxOptions, 'allocationHook' | 'callHooks' | 'allocationImport'>): Sandbox {
    const recorder = new AllocationRecorder(this.frames.length, this.allocatorInfo(), (id) => this.frames[id] ?? { name: `#${id}` });
    const collectAfterEachCall = this.options.collectAfterEachCall === true;
    let sandbox: Sandbox | undefined;
    sandbox = this.module.instantiate({
      ...options,
      allocationImport: recorder.hookImport,
      callHooks: {
        begin: (name) => recorder.beginCall(name),
        end: () => {
          if (collectAfterEachCall) this.collect(sandbox);
          recorder.endCall(sandbox!.memoryBytes);
        },
      },
    });
    recorder.instantiated(sandbox.memoryBytes);
    this.checkCollect(sandbox);
    this.watched.push({ sandbox, tracker: recorder });
    return sandbox;
  }

  private checkCollect(sandbox: Sandbox): void {
    if (this.options.collectAfterEachCall === true && typeof sandbox.compiledInstance.exports['__collect'] !== 'function') {
      throw new InvalidOptionError(`${this.module.label}: collectAfterEachCall needs a guest exporting __collect (AssemblyScript with --exportRuntime)`);
    }
  }

  /** Bookkeeping in the JS tracker: one call into JavaScript per allocator event. */
  private instantiateTracked(options: Omit<SandboxOptions, 'allocationHook' | 'callHooks' | 'allocationImport'>): Sandbox {
    const instrumentation = this.module.instrumentation!;
    const wantsClock = instrumentation.options.fuel;
    const collectAfterEachCall = this.options.collectAfterEachCall === true;
    let sandbox: Sandbox | undefined;
    const clock = wantsClock ? (): number => (sandbox === undefined ? 0 : sandbox.instructionsExecuted()) : undefined;
    const tracker = new AllocationTracker({
      allocator: this.allocatorInfo(),
      frame: (id) => this.frames[id] ?? { name: `#${id}` },
      ...(clock === undefined ? {} : { clock }),
    });
    const trie = tracker.sites;
    // The shadow stack: site ids of the open frames (stacks on), the innermost last.
    const open: number[] = [0];
    const frameOf: number[] = [-1];
    let site = 0;
    const user = options.hooks;
    const hooks =
      this.stacks
        ? {
            enter: (id: number, counter: number): void => {
              site = trie.child(site, id);
              open.push(site);
              frameOf.push(id);
              user?.enter(id, counter);
            },
            exit: (id: number, counter: number): void => {
              if (open.length > 1) {
                open.pop();
                frameOf.pop();
                site = open[open.length - 1]!;
              }
              user?.exit(id, counter);
            },
            unwound: (): void => {
              open.length = 1;
              frameOf.length = 1;
              site = 0;
              user?.unwound?.();
            },
          }
        : user;
    const siteOf = (caller: number): number => (frameOf[frameOf.length - 1] === caller ? site : trie.child(site, caller));
    // Growth is seen where the wasm recorder sees it: at the next allocator event (which carries
    // the memory's size) or the call's end; none before the instance exists (its start function).
    let pages = -1;
    const growth = (now: number): void => {
      if (pages >= 0 && now !== pages) tracker.memoryGrew(now * WASM_PAGE_BYTES);
      pages = now;
    };
    sandbox = this.module.instantiate({
      ...options,
      ...(hooks === undefined ? {} : { hooks }),
      callHooks: {
        begin: (name) => tracker.beginCall(name),
        end: () => {
          if (collectAfterEachCall) this.collect(sandbox);
          growth(sandbox!.memoryBytes / WASM_PAGE_BYTES);
          tracker.endCall(sandbox!.memoryBytes);
        },
      },
      // Pointers and sizes arrive unsigned (guest-module.ts); kinds are the six of ALLOCATION_KINDS.
      allocationHook: (kind, caller, first, second, result, memoryPages): void => {
        if (sandbox !== undefined) growth(memoryPages);
        if (kind === 'free') tracker.free(first);
        else if (kind === 'new' || kind === 'malloc') tracker.allocate(siteOf(caller), result, first);
        else if (kind === 'calloc') tracker.allocate(siteOf(caller), result, first * second);
        else if (kind === 'realloc') tracker.reallocate(siteOf(caller), first, result, second, true);
        else tracker.reallocate(siteOf(caller), first, result, second, false); // renew
      },
    });
    pages = sandbox.memoryBytes / WASM_PAGE_BYTES;
    this.checkCollect(sandbox);
    this.watched.push({ sandbox, tracker });
    return sandbox;
  }

  /**
   * Runs AssemblyScript's full collection (`__collect`) in `sandbox` (the last one made by
   * default), so what remains live is what the guest still references. Not counted as a call.
   */
  collect(sandbox: Sandbox | undefined = this.watched[this.watched.length - 1]?.sandbox): void {
    const collect = sandbox?.compiledInstance.exports['__collect'];
    if (typeof collect === 'function') (collect as () => void)();
  }

  /** The allocation report of `sandbox` (the last one made by default). */
  report(sandbox?: Sandbox): AllocationReport {
    const watched = sandbox === undefined ? this.watched[this.watched.length - 1] : this.watched.find((w) => w.sandbox === sandbox);
    if (watched === undefined) throw new InvalidOptionError(`${this.module.label}: no sandbox of this allocation profiler to report on`);
    return watched.tracker.report();
  }

}

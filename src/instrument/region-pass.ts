/**
 * One walk over each function body serves every pass that works per region (function body,
 * loop body, `if` arm):
 *
 * - **budget** (fuel and deadlines, as wasmtime's fuel and epochs share check points): a
 *   mutable i32 global holds what the guest may still execute before it must ask the host.
 *   Regions subtract their cost on entry; function entries and loop headers check the
 *   counter and, when it went negative, call the host import, which accounts the fuel spent,
 *   checks the deadline and interrupt flag (throwing to stop the guest) and returns the next
 *   allowance. With fuel the cost is the region's instruction count; for deadlines alone it
 *   is 1 per check point.
 * - **counters**: per function, an i64 global counting calls and one counting instructions,
 *   kept in wasm (≈1 ns an update) and read by the host when it wants them.
 * - **hooks**: calls to host imports on function entry and on every exit (fallthrough,
 *   branches to the body's end, `return`, and before tail calls), for timing.
 *
 * Cost model: a region's cost is the number of binaryen expressions it evaluates, counting
 * nested blocks but not nested loop bodies or if arms, which charge for themselves. A branch
 * that leaves a block early has still paid for the whole block: counts are an upper bound on
 * the instructions executed, and exactly reproducible.
 */
import binaryen from 'binaryen';
import { api, expressionId, expressionType, forEachChild, ID } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';
import { BUDGET_GLOBAL, BUDGET_IMPORT, CALLS_PREFIX, HOOK_IMPORTS, INSTRUCTIONS_PREFIX } from './abi.js';

/** binaryen.js's name accessors (present at run time, missing from its type declarations). */
const named = binaryen as unknown as {
  Loop: { getName(expr: number): string | null };
  Block: { getName(expr: number): string | null };
  Break: { getName(expr: number): string };
  Switch: { getNames(expr: number): string[]; getDefaultName(expr: number): string };
};

const getLoopBody = api['_BinaryenLoopGetBody']!;
const setLoopBody = api['_BinaryenLoopSetBody']!;
const getIfCondition = api['_BinaryenIfGetCondition']!;
const getIfTrue = api['_BinaryenIfGetIfTrue']!;
const setIfTrue = api['_BinaryenIfSetIfTrue']!;
const getIfFalse = api['_BinaryenIfGetIfFalse']!;
const setIfFalse = api['_BinaryenIfSetIfFalse']!;
const getBody = api['_BinaryenFunctionGetBody']!;
const setBody = api['_BinaryenFunctionSetBody']!;
const addVar = api['_BinaryenFunctionAddVar']!;
const getResults = api['_BinaryenFunctionGetResults']!;
const getReturnValue = api['_BinaryenReturnGetValue']!;
const callIsReturn = api['_BinaryenCallIsReturn']!;
const callIndirectIsReturn = api['_BinaryenCallIndirectIsReturn']!;
const callTarget = binaryen as unknown as { Call: { getTarget(expr: number): string } };
const callGetNumOperands = api['_BinaryenCallGetNumOperands']!;
const callGetOperandAt = api['_BinaryenCallGetOperandAt']!;
const callSetOperandAt = api['_BinaryenCallSetOperandAt']!;
const callIndirectGetNumOperands = api['_BinaryenCallIndirectGetNumOperands']!;
const callIndirectGetOperandAt = api['_BinaryenCallIndirectGetOperandAt']!;
const callIndirectSetOperandAt = api['_BinaryenCallIndirectSetOperandAt']!;
const callIndirectGetTarget = api['_BinaryenCallIndirectGetTarget']!;
const callIndirectSetTarget = api['_BinaryenCallIndirectSetTarget']!;

export interface RegionPassOptions {
  /** `instructions`: fuel; `check-points`: deadlines only; `none`: no budget counter. */
  readonly budget: 'none' | 'check-points' | 'instructions';
  /** Per-function call and instruction counters. */
  readonly counters: boolean;
  /** Entry/exit calls to host imports. */
  readonly hooks: boolean;
  /**
   * With hooks: binaryen names of the guest's imported functions, whose calls are wrapped in
   * entry/exit events for `hostProfileId`, so time spent in the host is not the caller's own.
   */
  readonly importedFunctions?: ReadonlySet<string>;
  readonly hostProfileId?: number;
}

export function addDeclarations(module: binaryen.Module, options: RegionPassOptions): void {
  if (options.budget !== 'none') {
    module.addGlobal(BUDGET_GLOBAL, binaryen.i32, true, module.i32.const(0));
    module.addGlobalExport(BUDGET_GLOBAL, BUDGET_GLOBAL);
    module.addFunctionImport(BUDGET_IMPORT.internal, BUDGET_IMPORT.module, BUDGET_IMPORT.name, binaryen.i32, binaryen.i32);
  }
  if (options.hooks) {
    for (const hook of [HOOK_IMPORTS.enter, HOOK_IMPORTS.exit]) {
      module.addFunctionImport(hook.internal, HOOK_IMPORTS.module, hook.name, binaryen.i32, binaryen.none);
    }
  }
}

export class RegionPass {
  private readonly loopId = ID['Loop']!;
  private readonly ifId = ID['If']!;
  private readonly returnId = ID['Return']!;
  private readonly callId = ID['Call']!;
  private readonly callIndirectId = ID['CallIndirect']!;
  private readonly countsCost: boolean;
  /** State of the function being rewritten. */
  private scratch = -1;
  /** Local holding the budget counter inside a leaf loop (-1 until a function needs one). */
  private leafCounter = -1;
  /** While rewriting a leaf loop's body: labels defined inside it (branches elsewhere leave it). */
  private leafLabels: Set<string> | undefined;
  private currentFunction = 0;
  /** Loops replaced by their leaf form, for the parent to swap in. */
  private readonly replacements = new Map<number, number>();
  private resultLocal = -1;
  private resultType = 0;
  private profileId = -1;

  constructor(
    private readonly module: binaryen.Module,
    private readonly ir: IrBuilder,
    private readonly options: RegionPassOptions,
  ) {
    this.countsCost = options.budget === 'instructions' || options.counters;
  }

  /** Rewrites the body of `fn`, the function with profile id `profileId`, in place. */
  function(fn: number, profileId: number): void {
    const { ir, options } = this;
    this.profileId = profileId;
    this.currentFunction = fn;
    this.leafCounter = -1;
    this.replacements.clear();
    this.scratch = options.budget === 'none' ? -1 : addVar(fn, binaryen.i32);
    this.resultType = getResults(fn);
    this.resultLocal = options.hooks && this.resultType !== binaryen.none ? addVar(fn, this.resultType) : -1;
    if (options.counters) {
      for (const prefix of [CALLS_PREFIX, INSTRUCTIONS_PREFIX]) {
        this.module.addGlobal(`${prefix}${profileId}`, binaryen.i64, true, (this.module.i64 as unknown as { const(value: bigint): number }).const(0n));
        this.module.addGlobalExport(`${prefix}${profileId}`, `${prefix}${profileId}`);
      }
    }
    let body = this.region(getBody(fn), true);
    if (options.counters) body = ir.block([this.add(CALLS_PREFIX, 1), body]);
    if (options.hooks) body = this.withHooks(body);
    setBody(fn, body);
  }

  private region(expr: number, checkPoint: boolean): number {
    const { ir, options } = this;
    const cost = this.countsCost ? this.cost(expr) : (this.walk(expr), 1);
    expr = this.replaced(expr); // a region may itself be a `return` (an if arm, a body) or a leaf loop
    const children: number[] = [];
    if (options.counters) children.push(this.add(INSTRUCTIONS_PREFIX, cost));
    if (this.leafLabels !== undefined && (options.budget === 'instructions' || (options.budget === 'check-points' && checkPoint))) {
      children.push(...this.leafCharge(cost, checkPoint));
    } else if (options.budget === 'instructions' || (options.budget === 'check-points' && checkPoint)) {
      const spent = ir.binary(binaryen.SubInt32, ir.globalGet(BUDGET_GLOBAL, binaryen.i32), ir.i32(cost));
      if (!checkPoint) {
        children.push(ir.globalSet(BUDGET_GLOBAL, spent));
      } else {
        // counter = scratch = counter - cost; if (scratch < 0) counter = budget(scratch)
        // (the local saves re-reading the global, which V8 keeps in memory, on every iteration)
        children.push(
          ir.globalSet(BUDGET_GLOBAL, ir.localTee(this.scratch, spent, binaryen.i32)),
          ir.if(
            ir.binary(binaryen.LtSInt32, ir.localGet(this.scratch, binaryen.i32), ir.i32(0)),
            ir.globalSet(BUDGET_GLOBAL, ir.call(BUDGET_IMPORT.internal, [ir.localGet(this.scratch, binaryen.i32)], binaryen.i32)),
          ),
        );
      }
    }
    if (children.length === 0) return expr;
    children.push(expr);
    return ir.block(children);
  }

  /** counter_{profileId} += amount (i64). */
  private add(prefix: string, amount: number): number {
    const ir = this.ir;
    const name = `${prefix}${this.profileId}`;
    return ir.globalSet(name, ir.binary(binaryen.AddInt64, ir.globalGet(name, binaryen.i64), ir.i64(amount)));
  }

  /** Counts the expressions `expr` evaluates in its own region, instrumenting nested regions. */
  private cost(expr: number): number {
    const id = expressionId(expr);
    if (id === this.loopId) {
      this.loop(expr);
      return 1;
    }
    if (id === this.ifId) {
      const cost = 1 + this.cost(getIfCondition(expr));
      setIfTrue(expr, this.region(getIfTrue(expr), false));
      const ifFalse = getIfFalse(expr);
      if (ifFalse !== 0) setIfFalse(expr, this.region(ifFalse, false));
      return cost;
    }
    let cost = 1;
    forEachChild(expr, (child) => {
      cost += this.cost(child);
      return this.replaced(child);
    });
    return cost;
  }

  /** Without costs: instrument loop headers (and exits), count nothing. */
  private walk(expr: number): void {
    if (expressionId(expr) === this.loopId) {
      this.loop(expr);
      return;
    }
    forEachChild(expr, (child) => {
      this.walk(child);
      return this.replaced(child);
    });
  }

  /**
   * A loop header is a check point. A leaf loop (no calls, no nested loops, no result) keeps
   * the budget counter in a local while it runs — V8 keeps wasm globals in memory, and a store
   * plus a load per iteration is most of the cost on tight loops — and writes it back wherever
   * control leaves the loop: fallthrough, branches to outer labels, returns. After a refill the
   * global is written at once, so the host never sees an allowance it did not hand out.
   */
  private loop(loop: number): void {
    const leaf = this.options.budget !== 'none' && this.leafLabels === undefined ? this.leafLabelsOf(loop) : undefined;
    if (leaf === undefined) {
      setLoopBody(loop, this.region(getLoopBody(loop), true));
      return;
    }
    if (this.leafCounter < 0) this.leafCounter = addVar(this.currentFunction, binaryen.i32);
    this.leafLabels = leaf;
    try {
      setLoopBody(loop, this.region(getLoopBody(loop), true));
    } finally {
      this.leafLabels = undefined;
    }
    const ir = this.ir;
    this.replacements.set(
      loop,
      ir.block([
        ir.localSet(this.leafCounter, ir.globalGet(BUDGET_GLOBAL, binaryen.i32)),
        loop,
        ir.globalSet(BUDGET_GLOBAL, ir.localGet(this.leafCounter, binaryen.i32)),
      ]),
    );
  }

  /** Labels defined inside `loop` if it is a leaf loop, else undefined. */
  private leafLabelsOf(loop: number): Set<string> | undefined {
    const type = expressionType(loop);
    if (type !== binaryen.none && type !== binaryen.unreachable) return undefined;
    const labels = new Set<string>();
    const loopName = named.Loop.getName(loop);
    if (loopName) labels.add(loopName);
    const scan = (expr: number): boolean => {
      const id = expressionId(expr);
      if (this.notLeaf.has(id)) return false;
      if (id === this.blockId) {
        const name = named.Block.getName(expr);
        if (name) labels.add(name);
      }
      let ok = true;
      forEachChild(expr, (child) => {
        if (ok && !scan(child)) ok = false;
        return child;
      });
      return ok;
    };
    return scan(getLoopBody(loop)) ? labels : undefined;
  }

  private readonly blockId = ID['Block']!;
  private readonly breakId = ID['Break']!;
  private readonly switchId = ID['Switch']!;
  /** Expressions that keep a loop from holding its counter in a local: nested loops, exceptions. */
  private readonly notLeaf = new Set([ID['Loop']!, ID['Try']!, ID['Throw']!, ID['Rethrow']!]);

  /** Leaf-loop charge: counter in a local; refills written to the global at once. */
  private leafCharge(cost: number, checkPoint: boolean): number[] {
    const ir = this.ir;
    const local = this.leafCounter;
    const charge = ir.localSet(local, ir.binary(binaryen.SubInt32, ir.localGet(local, binaryen.i32), ir.i32(cost)));
    if (!checkPoint) return [charge];
    return [
      charge,
      ir.if(
        ir.binary(binaryen.LtSInt32, ir.localGet(local, binaryen.i32), ir.i32(0)),
        ir.block([
          ir.localSet(local, ir.call(BUDGET_IMPORT.internal, [ir.localGet(local, binaryen.i32)], binaryen.i32)),
          ir.globalSet(BUDGET_GLOBAL, ir.localGet(local, binaryen.i32)),
        ]),
      ),
    ];
  }

  /** What replaces `expr` in its parent: a leaf loop's wrapper, an exit with write-back or hooks, or itself. */
  private replaced(expr: number): number {
    const leafLoop = this.replacements.get(expr);
    if (leafLoop !== undefined) {
      this.replacements.delete(expr);
      return leafLoop;
    }
    if (this.leafLabels !== undefined && this.leavesLeafLoop(expr)) {
      return this.ir.block([this.ir.globalSet(BUDGET_GLOBAL, this.ir.localGet(this.leafCounter, binaryen.i32)), this.exitHook(expr)]);
    }
    const hostCall = this.options.hooks && this.isImportCall(expr);
    let result = this.leafLabels !== undefined && this.isPlainCall(expr) ? this.syncAround(expr) : this.exitHook(expr);
    if (hostCall) result = this.hostBoundary(result);
    return result;
  }

  private isImportCall(expr: number): boolean {
    const imports = this.options.importedFunctions;
    return imports !== undefined && expressionId(expr) === this.callId && !callIsReturn(expr) && imports.has(callTarget.Call.getTarget(expr));
  }

  /** enter(host); result = call; exit(host); result — time in host imports is the host's. */
  private hostBoundary(call: number): number {
    const ir = this.ir;
    const id = this.options.hostProfileId!;
    const enter = ir.call(HOOK_IMPORTS.enter.internal, [ir.i32(id)], binaryen.none);
    const exit = ir.call(HOOK_IMPORTS.exit.internal, [ir.i32(id)], binaryen.none);
    const type = expressionType(call);
    if (type === binaryen.none || type === binaryen.unreachable) return ir.block([enter, call, exit]);
    const result = addVar(this.currentFunction, type);
    return ir.block([enter, ir.localSet(result, call), exit, ir.localGet(result, type)]);
  }

  private isPlainCall(expr: number): boolean {
    const id = expressionId(expr);
    return (id === this.callId && !callIsReturn(expr)) || (id === this.callIndirectId && !callIndirectIsReturn(expr));
  }

  /**
   * A call inside a local-counter loop: its callee reads and charges the global, so the global
   * is written before the call and the local reloaded after it. Arguments are evaluated into
   * locals first, so that charges made while evaluating them are in the global the callee sees.
   * Calls are usually cold in hot loops (a bounds check's abort), so the tight path stays local.
   */
  private syncAround(call: number): number {
    const ir = this.ir;
    const isCall = expressionId(call) === this.callId;
    const slots: [() => number, (i: number, child: number) => void, number][] = [];
    const count = isCall ? callGetNumOperands(call) : callIndirectGetNumOperands(call);
    for (let i = 0; i < count; i++) {
      slots.push([
        () => (isCall ? callGetOperandAt(call, i) : callIndirectGetOperandAt(call, i)),
        (_i, child) => (isCall ? callSetOperandAt(call, i, child) : callIndirectSetOperandAt(call, i, child)),
        i,
      ]);
    }
    if (!isCall) slots.push([() => callIndirectGetTarget(call), (_i, child) => callIndirectSetTarget(call, child), -1]);
    const before: number[] = [];
    for (const [get, set, i] of slots) {
      const operand = get();
      const type = expressionType(operand);
      if (type === binaryen.unreachable) return call; // never reached: nothing to keep in sync
      const local = addVar(this.currentFunction, type);
      before.push(ir.localSet(local, operand));
      set(i, ir.localGet(local, type));
    }
    before.push(ir.globalSet(BUDGET_GLOBAL, ir.localGet(this.leafCounter, binaryen.i32)));
    const reload = ir.localSet(this.leafCounter, ir.globalGet(BUDGET_GLOBAL, binaryen.i32));
    const type = expressionType(call);
    if (type === binaryen.none || type === binaryen.unreachable) return ir.block([...before, call, reload]);
    const result = addVar(this.currentFunction, type);
    return ir.block([...before, ir.localSet(result, call), reload, ir.localGet(result, type)]);
  }

  private leavesLeafLoop(expr: number): boolean {
    const id = expressionId(expr);
    const labels = this.leafLabels!;
    if (id === this.returnId) return true;
    if ((id === this.callId && callIsReturn(expr)) || (id === this.callIndirectId && callIndirectIsReturn(expr))) return true;
    if (id === this.breakId) return !labels.has(named.Break.getName(expr));
    if (id === this.switchId) {
      return !labels.has(named.Switch.getDefaultName(expr)) || named.Switch.getNames(expr).some((name) => !labels.has(name));
    }
    return false;
  }

  /** With hooks, a `return` or tail call becomes: exit hook, then the original exit. */
  private exitHook(expr: number): number {
    if (!this.options.hooks) return expr;
    const id = expressionId(expr);
    const ir = this.ir;
    if (id === this.returnId) {
      const value = getReturnValue(expr);
      if (value === 0 || this.resultLocal < 0) return ir.block([this.hook(HOOK_IMPORTS.exit.internal), expr]);
      return ir.block([
        ir.localSet(this.resultLocal, value),
        this.hook(HOOK_IMPORTS.exit.internal),
        ir.return(ir.localGet(this.resultLocal, this.resultType)),
      ]);
    }
    if ((id === this.callId && callIsReturn(expr)) || (id === this.callIndirectId && callIndirectIsReturn(expr))) {
      // The callee's arguments are evaluated after the exit event: a few instructions
      // attributed to no one, in exchange for not copying them to locals.
      return ir.block([this.hook(HOOK_IMPORTS.exit.internal), expr]);
    }
    return expr;
  }

  private hook(internal: string): number {
    return this.ir.call(internal, [this.ir.i32(this.profileId)], binaryen.none);
  }

  /** enter; result = body; exit; result — fallthrough and branches to the body's end pass the exit. */
  private withHooks(body: number): number {
    const ir = this.ir;
    const root = this.exitHook(body);
    const enter = this.hook(HOOK_IMPORTS.enter.internal);
    const exit = this.hook(HOOK_IMPORTS.exit.internal);
    if (this.resultLocal < 0 || expressionType(root) === binaryen.unreachable) return ir.block([enter, root, exit]);
    return ir.block([enter, ir.localSet(this.resultLocal, root), exit, ir.localGet(this.resultLocal, this.resultType)]);
  }
}

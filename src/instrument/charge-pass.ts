/**
 * Fuel, deadlines and per-function instruction counters, charged per basic block.
 *
 * Cost model: one unit per binaryen expression executed — counted when it performs (a block,
 * loop or `try` when entered, an `if` after its condition, a call before its callee runs, any
 * other expression after its operands). Instructions are charged up front, one charge per
 * straight-line run: a run starts at function entry, at a loop header, at an `if` arm or a
 * `catch`, after a call returns, after a `br_if`, and after a block that a conditional branch
 * or `br_table` targets; it ends at any branch, call, return or throw. Every instruction of a
 * run then executes unless the guest traps part-way, so the count is exact (a slow oracle
 * pass, `oracle-pass.ts`, checks it) — on a trap, the rest of the trapping run is charged too.
 * A run may continue across a join whose every way in is straight-line (the end of an `if`,
 * a block left by plain `br`s): each path then passes exactly one of the runs' charges.
 *
 * - **budget**: a mutable i32 global holds what the guest may still execute before it must ask
 *   the host. Function entries and loop headers are check points: when the counter went
 *   negative they call the budget import, which accounts the fuel, checks the deadline and the
 *   interrupt flag (throwing to stop the guest) and returns the next allowance. With deadlines
 *   alone only check points charge, 1 each.
 * - **leaf loops** (no nested loop, no exception handling, calls only with plain operands) keep
 *   the counter in a local while they run — V8 keeps wasm globals in memory — and write it back
 *   on every way out, before each call (reloading it after), and at once after a refill.
 * - **counters**: per function, i64 globals counting calls and instructions, charged by the same
 *   runs.
 *
 * The pass adds a handful of locals per function (one scratch local per value type, one
 * counter local): huge functions must still compile (see docs/decisions.md).
 */
import binaryen from 'binaryen';
import { BUDGET_GLOBAL, BUDGET_IMPORT, CALLS_PREFIX, ENTRY_INSTRUCTIONS_PREFIX, INSTRUCTIONS_PREFIX } from './abi.js';
import { api, childAt, childCount, expressionId, expressionType, ID, setChildAt, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';

export interface ChargePassOptions {
  /** `instructions`: fuel; `check-points`: deadlines only; `none`: no budget counter. */
  readonly budget: 'none' | 'check-points' | 'instructions';
  /** Per-function call and instruction counters. */
  readonly counters: boolean;
}

/** A straight-line run: its charge statements carry a constant patched once the run is counted. */
interface Run {
  count: number;
  readonly checkPoint: boolean;
  /** i32.const of the budget charge, i64.const of the counter charge (0 when absent). */
  readonly budgetConst: number;
  readonly counterConst: number;
  /** Where its statements sit: a block and the index of the first statement, and how many. */
  readonly sites: [block: number, index: number, length: number][];
  readonly statements: readonly number[];
  /** What this run must give back: what `run` counted after `at` (a guard arm's share of the path around it). */
  readonly debits: { readonly run: Run; readonly at: number }[];
}

/** An `if` or `try` being walked. */
interface Split {
  /** The runs flowing out of each arm or catch. */
  readonly outputs: Run[][];
  /** `if`: the runs open when its condition was evaluated, and the first run of its `then` arm. */
  before?: Run[];
  arm?: Run;
  /** What the `then` arm did, once walked (see ArmFacts). */
  facts?: ArmFacts;
  /** A hot arm (it ends by continuing a loop): the run before the `if` goes on into it, from this count. */
  hot?: { readonly run: Run; readonly at: number };
}

/** What an `if` arm does, gathered while walking it: whether every path through it reaches its end. */
interface ArmFacts {
  /** Labels defined inside the arm, and labels its branches target. */
  readonly defined: Set<number>;
  readonly targets: Set<number>;
  calls: boolean;
  /** A return, tail call or throw. */
  leaves: boolean;
}

interface Label {
  readonly loop: boolean;
  /** Runs that arrive by plain `br`. */
  readonly incoming: Run[][];
  /** A conditional branch or br_table arrives: a fresh run must start after the block. */
  fresh: boolean;
}

/** Runs merged at a join beyond this start a fresh run instead (every instruction would update each). */
const MAX_MERGED_RUNS = 4;

const get = (name: string): ((expr: number) => number) => api[`_Binaryen${name}`]!;
const getBody = get('FunctionGetBody');
const setBody = api['_BinaryenFunctionSetBody']!;
const addVar = api['_BinaryenFunctionAddVar']!;
const blockName = get('BlockGetName');
const loopName = get('LoopGetName');
const breakName = get('BreakGetName');
const breakCondition = get('BreakGetCondition');
const switchNumNames = get('SwitchGetNumNames');
const switchNameAt = api['_BinaryenSwitchGetNameAt']!;
const switchDefault = get('SwitchGetDefaultName');
const callIsReturn = get('CallIsReturn');
const callIndirectIsReturn = get('CallIndirectIsReturn');
const ifFalse = get('IfGetIfFalse');
const getIfTrue = get('IfGetIfTrue');
const setIfFalse = api['_BinaryenIfSetIfFalse']!;
const tryNumCatchTags = get('TryGetNumCatchTags');
const tryCatchTagAt = api['_BinaryenTryGetCatchTagAt']!;
const getTag = api['_BinaryenGetTag']!;
const tagParams = get('TagGetParams');
const blockNumChildren = get('BlockGetNumChildren');
const blockSetChildAt = api['_BinaryenBlockSetChildAt']!;
const blockInsertChildAt = api['_BinaryenBlockInsertChildAt']!;
const blockChildAt = api['_BinaryenBlockGetChildAt']!;
const constSetI32 = api['_BinaryenConstSetValueI32']!;
const constSetI64 = (binaryen as unknown as { _BinaryenConstSetValueI64(expr: number, value: bigint): void })._BinaryenConstSetValueI64;
const nop = api['_BinaryenNop']!;

const K = {
  block: ID['Block']!, loop: ID['Loop']!, if: ID['If']!, try: ID['Try']!, break: ID['Break']!, switch: ID['Switch']!,
  call: ID['Call']!, callIndirect: ID['CallIndirect']!, return: ID['Return']!, unreachable: ID['Unreachable']!,
  throw: ID['Throw']!, rethrow: ID['Rethrow']!,
};

/** Kinds that end a run or start one (a call's operands must have none for a leaf loop to sync around it). */
const CONTROL = new Set([K.block, K.loop, K.if, K.try, K.break, K.switch, K.call, K.callIndirect, K.throw, K.rethrow, K.return]);

export function addChargeDeclarations(module: binaryen.Module, options: ChargePassOptions): void {
  if (options.budget === 'none') return;
  module.addGlobal(BUDGET_GLOBAL, binaryen.i32, true, module.i32.const(0));
  module.addGlobalExport(BUDGET_GLOBAL, BUDGET_GLOBAL);
  module.addFunctionImport(BUDGET_IMPORT.internal, BUDGET_IMPORT.module, BUDGET_IMPORT.name, binaryen.i32, binaryen.i32);
}

export class ChargePass {
  private readonly counts: boolean;
  // State of the function being rewritten.
  private fn = 0;
  private profileId = -1;
  private open: Run[] = [];
  private runs: Run[] = [];
  private readonly labels = new Map<number, Label>();
  /** Per `if`/`try` being walked. */
  private readonly splits: Split[] = [];
  /** Per `if` arm being walked, innermost last. */
  private readonly arms: ArmFacts[] = [];
  /** Runs that must be charged at the start of the region (arm, loop body, catch) `expr`. */
  private readonly starts = new Map<number, Run>();
  private scratch = new Map<number, number>();
  private checkLocal = -1;
  /** The leaf loop being walked: its expression, counter local and the labels inside it. */
  private leaf: { loop: number; local: number; labels: Set<number> } | undefined;
  private leafLocal = -1;

  constructor(
    private readonly module: binaryen.Module,
    private readonly ir: IrBuilder,
    private readonly options: ChargePassOptions,
  ) {
    this.counts = options.budget === 'instructions' || options.counters;
  }

  private get active(): boolean {
    return this.options.budget !== 'none' || this.options.counters;
  }

  /** Rewrites the body of `fn`, the function with profile id `profileId`, in place. */
  function(fn: number, profileId: number): void {
    if (!this.active) return;
    const { options, ir } = this;
    this.fn = fn;
    this.profileId = profileId;
    this.runs = [];
    this.labels.clear();
    this.splits.length = 0;
    this.arms.length = 0;
    this.starts.clear();
    this.scratch = new Map();
    this.checkLocal = -1;
    this.leafLocal = -1;
    this.leaf = undefined;
    if (options.counters) {
      for (const prefix of [CALLS_PREFIX, INSTRUCTIONS_PREFIX]) {
        this.module.addGlobal(`${prefix}${profileId}`, binaryen.i64, true, (this.module.i64 as unknown as { const(value: bigint): number }).const(0n));
        this.module.addGlobalExport(`${prefix}${profileId}`, `${prefix}${profileId}`);
      }
    }
    const entry = this.newRun(true, true);
    if (options.counters) {
      // Charged once per call, as the call is counted: its count is a constant the host
      // multiplies by the calls (one read-modify-write less per call; recursion feels each).
      const name = `${ENTRY_INSTRUCTIONS_PREFIX}${profileId}`;
      this.module.addGlobal(name, binaryen.i64, false, entry.counterConst);
      this.module.addGlobalExport(name, name);
    }
    this.open = [entry];
    const body = walk(getBody(fn), { enter: (e, p, s) => this.enter(e, p, s), exit: (e, p, s) => this.exit(e, p, s) });
    const prologue = [...entry.statements];
    if (options.counters) prologue.unshift(this.counterAdd(CALLS_PREFIX, ir.i64(1)));
    const rewritten = ir.block([...prologue, body]);
    this.settle(entry, rewritten, options.counters ? 1 : 0);
    setBody(fn, rewritten);
    this.finish();
  }

  /** Counts one performed expression in every run flowing here. */
  private count(): void {
    if (!this.counts) return;
    for (const run of this.open) run.count++;
  }

  private enter(expr: number, parent: number, slot: number): boolean {
    if (parent !== 0) this.enterChild(expr, parent, slot);
    const id = expressionId(expr);
    if (id === K.block) {
      this.count();
      const name = blockName(expr);
      if (name !== 0) this.defineLabel(name, false);
    } else if (id === K.loop) {
      this.count();
      const name = loopName(expr);
      if (name !== 0) this.defineLabel(name, true);
      if (this.leaf === undefined && this.options.budget !== 'none' && this.isLeaf(expr)) {
        if (this.leafLocal < 0) this.leafLocal = addVar(this.fn, binaryen.i32);
        this.leaf = { loop: expr, local: this.leafLocal, labels: this.labelsInside(expr) };
      }
    } else if (id === K.if) {
      this.splits.push({ outputs: [] });
    } else if (id === K.try) {
      this.count();
      this.splits.push({ outputs: [] });
    }
    return true;
  }

  private defineLabel(name: number, loop: boolean): void {
    this.labels.set(name, { loop, incoming: [], fresh: false });
    this.arms[this.arms.length - 1]?.defined.add(name);
  }

  /** The innermost `if` arm being walked (facts about what it does). */
  private get arm(): ArmFacts | undefined {
    return this.arms[this.arms.length - 1];
  }

  /** Region starts: a loop body, an `if` arm, a catch body each begin a run of their own. */
  private enterChild(expr: number, parent: number, slot: number): void {
    const pid = expressionId(parent);
    if (pid === K.loop) {
      this.startRegion(expr, true);
    } else if (pid === K.if && slot >= 1) {
      const split = this.splits[this.splits.length - 1]!;
      if (slot === 1) {
        this.count(); // the `if` itself, after its condition
        split.before = this.open;
      }
      if (slot === 1 && this.isHotArm(parent, expr)) {
        split.hot = { run: this.open[0]!, at: this.open[0]!.count };
      } else {
        this.startRegion(expr, false);
        if (slot === 1) split.arm = this.starts.get(expr);
      }
      this.arms.push({ defined: new Set(), targets: new Set(), calls: false, leaves: false });
    } else if (pid === K.try && slot >= 1) {
      this.startRegion(expr, false);
    }
  }

  private startRegion(expr: number, checkPoint: boolean): void {
    const run = this.newRun(checkPoint);
    this.starts.set(expr, run);
    this.open = [run];
  }

  private exit(expr: number, parent: number, slot: number): number {
    let result = this.exitExpression(expr);
    if (parent === 0) return result;
    const pid = expressionId(parent);
    if (pid === K.if && slot >= 1) {
      const split = this.splits[this.splits.length - 1]!;
      split.outputs.push(this.open);
      const facts = this.arms.pop()!;
      if (slot === 1) split.facts = facts;
      // What the arm does, the arm around it does too (branches to its own labels excepted).
      const outer = this.arm;
      if (outer !== undefined) {
        for (const label of facts.targets) if (!facts.defined.has(label)) outer.targets.add(label);
        outer.calls ||= facts.calls;
        outer.leaves ||= facts.leaves;
      }
      const start = this.starts.get(expr);
      if (start !== undefined) result = this.prepend(start, result);
      this.starts.delete(expr);
    } else if (pid === K.loop) {
      result = this.prepend(this.starts.get(expr)!, result);
      this.starts.delete(expr);
    } else if (pid === K.try) {
      this.splits[this.splits.length - 1]!.outputs.push(this.open);
      if (slot >= 1) {
        result = this.chargeCatch(this.starts.get(expr)!, result, parent, slot - 1);
        this.starts.delete(expr);
      }
    }
    return result;
  }

  private exitExpression(expr: number): number {
    const id = expressionId(expr);
    const ir = this.ir;
    switch (id) {
      case K.block: {
        const name = blockName(expr);
        if (name === 0) return expr;
        const label = this.labels.get(name)!;
        this.labels.delete(name);
        const flows = label.incoming.filter((runs) => runs.length > 0);
        if (this.open.length > 0) flows.push(this.open);
        return this.join(expr, flows, label.fresh);
      }
      case K.loop: {
        const name = loopName(expr);
        if (name !== 0) this.labels.delete(name);
        if (this.leaf?.loop !== expr) return expr;
        const local = this.leaf.local;
        this.leaf = undefined;
        return ir.block([
          ir.localSet(local, ir.globalGet(BUDGET_GLOBAL, binaryen.i32)),
          expr,
          ir.globalSet(BUDGET_GLOBAL, ir.localGet(local, binaryen.i32)),
        ]);
      }
      case K.if: {
        const split = this.splits.pop()!;
        const outputs = split.outputs;
        if (split.hot !== undefined) return this.aroundHotArm(expr, split.hot);
        if (ifFalse(expr) === 0 && this.guardContinues(expr, split)) return expr;
        if (ifFalse(expr) === 0 && expressionType(expr) !== binaryen.unreachable) {
          // The path around the arm gets a run (and an `else`) of its own.
          const run = this.newRun(false);
          const statements = run.statements;
          if (statements.length > 0) {
            const arm = ir.block([...statements]);
            this.settle(run, arm, 0);
            setIfFalse(expr, arm);
          }
          outputs.push([run]);
        }
        return this.join(expr, outputs.filter((runs) => runs.length > 0), false);
      }
      case K.try: {
        const outputs = this.splits.pop()!.outputs;
        return this.join(expr, outputs.filter((runs) => runs.length > 0), false);
      }
      case K.break: {
        this.count();
        this.arm?.targets.add(breakName(expr));
        const target = this.labels.get(breakName(expr));
        const leaving = this.leaf !== undefined && !this.leaf.labels.has(breakName(expr));
        const branch = leaving ? this.writeBack(expr) : expr;
        if (breakCondition(expr) === 0) {
          if (target !== undefined && !target.loop) target.incoming.push(this.open);
          this.open = [];
          return branch;
        }
        if (target !== undefined && !target.loop) target.fresh = true;
        return this.after(branch, this.newRun(false));
      }
      case K.switch: {
        this.count();
        let leaving = false;
        for (const name of this.switchTargets(expr)) {
          this.arm?.targets.add(name);
          const target = this.labels.get(name);
          if (target !== undefined && !target.loop) target.fresh = true;
          if (this.leaf !== undefined && !this.leaf.labels.has(name)) leaving = true;
        }
        this.open = [];
        return leaving ? this.writeBack(expr) : expr;
      }
      case K.call:
      case K.callIndirect: {
        this.count();
        const arm = this.arm;
        if (arm !== undefined) arm.calls = true;
        if ((id === K.call ? callIsReturn : callIndirectIsReturn)(expr)) {
          if (arm !== undefined) arm.leaves = true;
          this.open = [];
          return this.leaf !== undefined ? this.writeBack(expr) : expr;
        }
        if (expressionType(expr) === binaryen.unreachable) {
          this.open = [];
          return expr;
        }
        return this.afterCall(expr, this.newRun(false));
      }
      case K.return: {
        this.count();
        if (this.arm !== undefined) this.arm.leaves = true;
        this.open = [];
        return this.leaf !== undefined ? this.writeBack(expr) : expr;
      }
      case K.throw:
      case K.rethrow:
        if (this.arm !== undefined) this.arm.leaves = true;
        this.count();
        this.open = [];
        return expr;
      case K.unreachable:
        this.count();
        this.open = [];
        return expr;
      default:
        this.count();
        return expr;
    }
  }

  /**
   * An `if` without `else` whose arm either always reaches its end (no branch out, no call, no
   * return or throw: a trap in it ends the call anyway) or never does (a guard: `if (c) return`,
   * a bounds check's `unreachable`): the run before it simply goes on around it, charged once on
   * the path that skips the arm (the hot one, usually) instead of a charge in an `else`. The arm's
   * own run charges the arm; a guard's gives back what the run around it counts after the `if`,
   * which its path never runs. Only with a single run before the `if`.
   */
  private guardContinues(expr: number, split: Split): boolean {
    const before = split.before;
    const facts = split.facts;
    if (!this.counts || before === undefined || before.length !== 1 || facts === undefined || split.arm === undefined) return false;
    const guard = expressionType(getIfTrue(expr)) === binaryen.unreachable;
    const through = !facts.calls && !facts.leaves && [...facts.targets].every((label) => facts.defined.has(label));
    if (!guard && !through) return false;
    const run = before[0]!;
    if (guard) split.arm.debits.push({ run, at: run.count });
    this.open = before;
    return true;
  }

  /**
   * A loop's `if (cond) { …; br $loop }` (the shape of every compiled `while`): the arm is where
   * the loop goes round, so the run before the `if` goes on into it — one charge per iteration —
   * and the path around it, which leaves the loop once, gets a run in an `else` that gives back
   * what the arm's share was and charges what follows the `if`.
   */
  private isHotArm(ifExpr: number, arm: number): boolean {
    if (!this.counts || ifFalse(ifExpr) !== 0 || this.open.length !== 1) return false;
    let last = arm;
    while (expressionId(last) === K.block && blockNumChildren(last) > 0) last = blockChildAt(last, blockNumChildren(last) - 1);
    return expressionId(last) === K.break && breakCondition(last) === 0 && this.labels.get(breakName(last))?.loop === true;
  }

  private aroundHotArm(expr: number, hot: { readonly run: Run; readonly at: number }): number {
    if (expressionType(expr) === binaryen.unreachable) {
      this.open = [];
      return expr;
    }
    const run = this.newRun(false);
    run.debits.push(hot);
    const arm = this.ir.block([...run.statements]);
    this.settle(run, arm, 0);
    setIfFalse(expr, arm);
    this.open = [run];
    return expr;
  }

  /** After a construct several flows reach: continue their runs, or start a fresh one after it. */
  private join(expr: number, flows: Run[][], fresh: boolean): number {
    const merged = [...new Set(flows.flat())];
    if (!fresh && merged.length <= MAX_MERGED_RUNS) {
      this.open = merged;
      return expr;
    }
    if (expressionType(expr) === binaryen.unreachable) {
      this.open = [];
      return expr;
    }
    return this.after(expr, this.newRun(false));
  }

  /** `expr`, then the charge of `run`, which flows on; `expr`'s value passes through. */
  private after(expr: number, run: Run): number {
    const ir = this.ir;
    const type = expressionType(expr);
    if (type === binaryen.unreachable) {
      this.open = []; // control never comes out of it
      return expr;
    }
    this.open = [run];
    const statements = run.statements;
    if (statements.length === 0) return expr;
    if (type === binaryen.none) {
      const block = ir.block([expr, ...statements]);
      this.settle(run, block, 1);
      return block;
    }
    const local = this.scratchLocal(type);
    const block = ir.block([ir.localSet(local, expr), ...statements, ir.localGet(local, type)]);
    this.settle(run, block, 1);
    return block;
  }

  /** A call: in a leaf loop the counter local goes to the global before it and comes back after. */
  private afterCall(call: number, run: Run): number {
    if (this.leaf === undefined) return this.after(call, run);
    this.open = [run];
    const ir = this.ir;
    const local = this.leaf.local;
    const statements = run.statements;
    const store = ir.globalSet(BUDGET_GLOBAL, ir.localGet(local, binaryen.i32));
    const reload = ir.localSet(local, ir.globalGet(BUDGET_GLOBAL, binaryen.i32));
    const type = expressionType(call);
    if (type === binaryen.none) {
      const block = ir.block([store, call, reload, ...statements]);
      this.settle(run, block, 3);
      return block;
    }
    const result = this.scratchLocal(type);
    const block = ir.block([store, ir.localSet(result, call), reload, ...statements, ir.localGet(result, type)]);
    this.settle(run, block, 3);
    return block;
  }

  /** The charge of `run`, then the region `expr`. */
  private prepend(run: Run, expr: number): number {
    const statements = run.statements;
    if (statements.length === 0) return expr;
    const block = this.ir.block([...statements, expr]);
    this.settle(run, block, 0);
    return block;
  }

  /** A catch body: its charge goes after the statement holding the caught values' `pop`, which must stay first. */
  private chargeCatch(run: Run, body: number, tryExpr: number, index: number): number {
    const hasPop = index < tryNumCatchTags(tryExpr) && tagParams(getTag((this.module as unknown as { ptr: number }).ptr, tryCatchTagAt(tryExpr, index))) !== binaryen.none;
    if (!hasPop) return this.prepend(run, body);
    const statements = run.statements;
    if (statements.length === 0) return body;
    if (expressionId(body) === K.block && (expressionType(body) === binaryen.none || blockNumChildren(body) > 1)) {
      statements.forEach((statement, i) => blockInsertChildAt(body, 1 + i, statement));
      this.settle(run, body, 1);
      return body;
    }
    const open = this.open;
    const wrapped = this.after(body, run);
    this.open = open;
    return wrapped;
  }

  /**
   * Leaving a leaf loop: the counter local back to the global once the exit's operands are
   * evaluated (they may call, and charge after the call), right before it branches.
   */
  private writeBack(exit: number): number {
    const ir = this.ir;
    const store = ir.globalSet(BUDGET_GLOBAL, ir.localGet(this.leaf!.local, binaryen.i32));
    for (let i = childCount(exit) - 1; i >= 0; i--) {
      const operand = childAt(exit, i);
      if (operand === 0) continue;
      const type = expressionType(operand);
      if (type === binaryen.unreachable) return exit; // it never gets as far as leaving
      if (type === binaryen.none) {
        setChildAt(exit, i, ir.block([operand, store]));
        return exit;
      }
      const local = this.scratchLocal(type);
      setChildAt(exit, i, ir.block([ir.localSet(local, operand), store, ir.localGet(local, type)]));
      return exit;
    }
    return ir.block([store, exit]);
  }

  private switchTargets(expr: number): Set<number> {
    const names = new Set<number>([switchDefault(expr)]);
    for (let i = 0, n = switchNumNames(expr); i < n; i++) names.add(switchNameAt(expr, i));
    return names;
  }

  private scratchLocal(type: number): number {
    let local = this.scratch.get(type);
    if (local === undefined) {
      local = addVar(this.fn, type);
      this.scratch.set(type, local);
    }
    return local;
  }

  /** A run's charge statements; the entry run's counter constant is its function's entry global instead. */
  private newRun(checkPoint: boolean, entry = false): Run {
    const ir = this.ir;
    const { budget, counters } = this.options;
    const charged = budget === 'instructions' || (budget === 'check-points' && checkPoint);
    const budgetConst = charged ? ir.i32(0) : 0;
    const counterConst = counters ? ir.i64(0) : 0;
    const statements: number[] = [];
    if (counters && !entry) statements.push(this.counterAdd(INSTRUCTIONS_PREFIX, counterConst));
    if (charged) statements.push(...this.budgetCharge(budgetConst, checkPoint));
    const run: Run = { count: budget === 'check-points' && checkPoint ? 1 : 0, checkPoint, budgetConst, counterConst, sites: [], statements, debits: [] };
    this.runs.push(run);
    return run;
  }

  /** Records that `run`'s statements sit in `block` from `index` on (to be emptied if the run charges nothing). */
  private settle(run: Run, block: number, index: number): void {
    run.sites.push([block, index, run.statements.length]);
  }

  private counterAdd(prefix: string, amount: number): number {
    const ir = this.ir;
    const name = `${prefix}${this.profileId}`;
    return ir.globalSet(name, ir.binary(binaryen.AddInt64, ir.globalGet(name, binaryen.i64), amount));
  }

  /**
   * budget -= cost; at a check point, when it went negative: budget = host(budget). In a leaf
   * loop the counter is the local and a refill goes to the global at once.
   */
  private budgetCharge(cost: number, checkPoint: boolean): number[] {
    const ir = this.ir;
    const leaf = this.leaf;
    if (leaf !== undefined) {
      const local = leaf.local;
      const charge = ir.localSet(local, ir.binary(binaryen.SubInt32, ir.localGet(local, binaryen.i32), cost));
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
    const spent = ir.binary(binaryen.SubInt32, ir.globalGet(BUDGET_GLOBAL, binaryen.i32), cost);
    if (!checkPoint) return [ir.globalSet(BUDGET_GLOBAL, spent)];
    // (the local saves re-reading the global, which V8 keeps in memory)
    if (this.checkLocal < 0) this.checkLocal = addVar(this.fn, binaryen.i32);
    const scratch = this.checkLocal;
    return [
      ir.globalSet(BUDGET_GLOBAL, ir.localTee(scratch, spent, binaryen.i32)),
      ir.if(
        ir.binary(binaryen.LtSInt32, ir.localGet(scratch, binaryen.i32), ir.i32(0)),
        ir.globalSet(BUDGET_GLOBAL, ir.call(BUDGET_IMPORT.internal, [ir.localGet(scratch, binaryen.i32)], binaryen.i32)),
      ),
    ];
  }

  /** Patches every run's cost; runs that charge nothing lose their statements. */
  private finish(): void {
    // Debits first: a guard arm's run gives back what the run around it counted after the `if`.
    const counted = new Map(this.runs.map((run) => [run, run.count]));
    for (const run of this.runs) for (const debit of run.debits) run.count -= counted.get(debit.run)! - debit.at;
    for (const run of this.runs) {
      if (run.count === 0 && !run.checkPoint) {
        for (const [block, index, length] of run.sites) for (let i = 0; i < length; i++) blockSetChildAt(block, index + i, nop((this.module as unknown as { ptr: number }).ptr));
        continue;
      }
      if (run.budgetConst !== 0) constSetI32(run.budgetConst, run.count);
      if (run.counterConst !== 0) constSetI64(run.counterConst, BigInt(run.count));
    }
  }

  /**
   * A loop that can keep the counter in a local: no result, no nested loop or exception
   * handling, and calls only with operands free of control flow and calls (so nothing charges
   * between writing the counter back and the call).
   */
  private isLeaf(loop: number): boolean {
    const type = expressionType(loop);
    if (type !== binaryen.none && type !== binaryen.unreachable) return false;
    let leaf = true;
    let callDepth = 0;
    const calls: number[] = [];
    walk(childAt(loop, 0), {
      enter: (expr) => {
        if (!leaf) return false;
        const id = expressionId(expr);
        if (id === K.loop || id === K.try || id === K.throw || id === K.rethrow) leaf = false;
        else if (callDepth > 0 && CONTROL.has(id)) leaf = false;
        if ((id === K.call || id === K.callIndirect) && !this.isTailCall(expr, id)) {
          callDepth++;
          calls.push(expr);
        }
        return leaf;
      },
      exit: (expr) => {
        if (calls[calls.length - 1] === expr) {
          calls.pop();
          callDepth--;
        }
        return expr;
      },
    });
    return leaf;
  }

  private isTailCall(expr: number, id: number): boolean {
    return (id === K.call ? callIsReturn : callIndirectIsReturn)(expr) !== 0;
  }

  /** Labels defined inside `loop` (branches to any other label leave it). */
  private labelsInside(loop: number): Set<number> {
    const labels = new Set<number>();
    const name = loopName(loop);
    if (name !== 0) labels.add(name);
    walk(childAt(loop, 0), {
      enter: (expr) => {
        if (expressionId(expr) === K.block) {
          const inner = blockName(expr);
          if (inner !== 0) labels.add(inner);
        }
      },
    });
    return labels;
  }
}

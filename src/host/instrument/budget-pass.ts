/**
 * Fuel and deadline checks, one mechanism (as wasmtime's fuel and epochs share check points):
 * a mutable i32 global holds the instructions the guest may still execute before it must ask
 * the host. Every region (function body, loop body, and with fuel each `if` arm) subtracts its
 * static instruction count on entry; function entries and loop headers check the counter and,
 * when it went negative, call the host import, which accounts the fuel spent, checks the
 * deadline and interrupt flag (throwing to stop the guest) and returns the next allowance.
 *
 * Cost model: a region's cost is the number of binaryen expressions it evaluates, counting
 * nested blocks but not nested loop bodies or if arms, which charge for themselves. A branch
 * that leaves a block early has still paid for the whole block: fuel is an upper bound on the
 * instructions executed, and exactly reproducible.
 */
import binaryen from 'binaryen';
import { api, expressionId, forEachChild, ID } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';

export const BUDGET_GLOBAL = '__wasm_sandbox_budget';
export const BUDGET_IMPORT = { module: '__wasm_sandbox', name: 'budget', internal: '__wasm_sandbox_budget_exhausted' } as const;

const getLoopBody = api['_BinaryenLoopGetBody']!;
const getBody = api['_BinaryenFunctionGetBody']!;
const setBody = api['_BinaryenFunctionSetBody']!;
const addVar = api['_BinaryenFunctionAddVar']!;
const setLoopBody = api['_BinaryenLoopSetBody']!;
const getIfCondition = api['_BinaryenIfGetCondition']!;
const getIfTrue = api['_BinaryenIfGetIfTrue']!;
const setIfTrue = api['_BinaryenIfSetIfTrue']!;
const getIfFalse = api['_BinaryenIfGetIfFalse']!;
const setIfFalse = api['_BinaryenIfSetIfFalse']!;

export interface BudgetPassOptions {
  /** Charge instruction counts per region (fuel); otherwise charge 1 per check point (deadline only). */
  readonly countInstructions: boolean;
}

export function addBudgetDeclarations(module: binaryen.Module): void {
  module.addGlobal(BUDGET_GLOBAL, binaryen.i32, true, module.i32.const(0));
  module.addGlobalExport(BUDGET_GLOBAL, BUDGET_GLOBAL);
  module.addFunctionImport(BUDGET_IMPORT.internal, BUDGET_IMPORT.module, BUDGET_IMPORT.name, binaryen.i32, binaryen.i32);
}

export class BudgetPass {
  private readonly loopId = ID['Loop']!;
  private readonly ifId = ID['If']!;

  constructor(
    private readonly ir: IrBuilder,
    private readonly options: BudgetPassOptions,
  ) {}

  /** The function being rewritten: its scratch local holds the counter between charge and check. */
  private scratch = -1;

  /** Rewrites the body of `fn` in place. */
  function(fn: number): void {
    this.scratch = addVar(fn, binaryen.i32);
    setBody(fn, this.region(getBody(fn), true));
  }

  private region(expr: number, check: boolean): number {
    const cost = this.options.countInstructions ? this.cost(expr) : (this.findLoops(expr), 1);
    const ir = this.ir;
    const spent = ir.binary(binaryen.SubInt32, ir.globalGet(BUDGET_GLOBAL, binaryen.i32), ir.i32(cost));
    if (!check) return ir.block([ir.globalSet(BUDGET_GLOBAL, spent), expr]);
    // counter = scratch = counter - cost; if (scratch < 0) counter = budget(scratch)
    // (the local saves re-reading the global, which V8 keeps in memory, on every loop iteration)
    return ir.block([
      ir.globalSet(BUDGET_GLOBAL, ir.localTee(this.scratch, spent, binaryen.i32)),
      ir.if(
        ir.binary(binaryen.LtSInt32, ir.localGet(this.scratch, binaryen.i32), ir.i32(0)),
        ir.globalSet(BUDGET_GLOBAL, ir.call(BUDGET_IMPORT.internal, [ir.localGet(this.scratch, binaryen.i32)], binaryen.i32)),
      ),
      expr,
    ]);
  }

  /** Counts the expressions `expr` evaluates in its own region, instrumenting nested regions. */
  private cost(expr: number): number {
    const id = expressionId(expr);
    if (id === this.loopId) {
      setLoopBody(expr, this.region(getLoopBody(expr), true));
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
      return child;
    });
    return cost;
  }

  /** Deadline only: instrument loop headers, count nothing. */
  private findLoops(expr: number): void {
    if (expressionId(expr) === this.loopId) {
      setLoopBody(expr, this.region(getLoopBody(expr), true));
      return;
    }
    forEachChild(expr, (child) => {
      this.findLoops(child);
      return child;
    });
  }
}

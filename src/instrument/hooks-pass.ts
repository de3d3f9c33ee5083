/**
 * Entry/exit hooks: a call to the host on function entry and on every exit — fallthrough and
 * branches to the body's end (the body is wrapped: `enter; result = body; exit; result`), each
 * `return` (`result = value; exit; return result`), before tail calls (the callee's arguments
 * are evaluated after the exit event: a few instructions attributed to no one, in exchange for
 * not copying them to locals). Calls into the guest's own imports are wrapped in the host
 * boundary's events, so time spent in the host is not the caller's own. A trap unwinds without
 * exit events: consumers resynchronise at the call boundary.
 *
 * Each event also carries the guest's fuel counter (the budget global, 0 without fuel): the
 * counter the host reads at that instant, so a recorder in wasm can weigh calls in
 * instructions without asking JavaScript (the leaf-loop local is always written back before a
 * call and a return, where the events sit).
 *
 * An instance may defer entries (abi.ts HOOK_GLOBALS): the entry then only writes two globals,
 * and the consumer hears of it at the next event — a leaf's entry and exit become one call.
 * Only a consumer whose clock is the counter can: a clock read cannot wait.
 *
 * Runs after the charge pass, so instruction counts are the same with or without hooks.
 */
import binaryen from 'binaryen';
import { BUDGET_GLOBAL, HOOK_GLOBALS, HOOK_IMPORTS } from './abi.js';
import { api, expressionId, expressionType, ID, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';

const getBody = api['_BinaryenFunctionGetBody']!;
const setBody = api['_BinaryenFunctionSetBody']!;
const addVar = api['_BinaryenFunctionAddVar']!;
const getResults = api['_BinaryenFunctionGetResults']!;
const getReturnValue = api['_BinaryenReturnGetValue']!;
const callIsReturn = api['_BinaryenCallIsReturn']!;
const callIndirectIsReturn = api['_BinaryenCallIndirectIsReturn']!;
const callTarget = (binaryen as unknown as { Call: { getTarget(expr: number): string } }).Call;

export function addHookDeclarations(module: binaryen.Module): void {
  const i32 = binaryen.i32;
  module.addFunctionImport(HOOK_IMPORTS.enter.internal, HOOK_IMPORTS.module, HOOK_IMPORTS.enter.name, binaryen.createType([i32, i32]), binaryen.none);
  module.addFunctionImport(HOOK_IMPORTS.exit.internal, HOOK_IMPORTS.module, HOOK_IMPORTS.exit.name, binaryen.createType([i32, i32, i32, i32]), binaryen.none);
  // Deferred entries' state (abi.ts HOOK_GLOBALS), exported for the host to settle and reset.
  for (const [global, initial] of [[HOOK_GLOBALS.defer, 0], [HOOK_GLOBALS.pendingId, -1], [HOOK_GLOBALS.pendingCounter, 0]] as const) {
    module.addGlobal(global.name, i32, true, module.i32.const(initial));
    module.addGlobalExport(global.name, global.name);
  }
}

export class HooksPass {
  private readonly returnId = ID['Return']!;
  private readonly callId = ID['Call']!;
  private readonly callIndirectId = ID['CallIndirect']!;
  private fn = 0;
  private profileId = -1;
  private resultLocal = -1;
  private resultType = 0;
  /** One local per value type for results passing the host boundary (each use is set, hook, get). */
  private scratch = new Map<number, number>();

  constructor(
    private readonly ir: IrBuilder,
    /** binaryen names of the guest's imported functions. */
    private readonly importedFunctions: ReadonlySet<string>,
    /** The profile id the host boundary reports. */
    private readonly hostProfileId: number,
    /** Whether the budget global exists (fuel or deadlines): its value goes with each event. */
    private readonly counted: boolean,
  ) {}

  function(fn: number, profileId: number): void {
    this.fn = fn;
    this.profileId = profileId;
    this.scratch = new Map();
    this.resultType = getResults(fn);
    this.resultLocal = this.resultType !== binaryen.none ? addVar(fn, this.resultType) : -1;
    const body = walk(getBody(fn), { exit: (expr) => this.rewrite(expr) });
    setBody(fn, this.wrapBody(body));
  }

  private rewrite(expr: number): number {
    const id = expressionId(expr);
    if (id === this.returnId) return this.beforeReturn(expr);
    if (id === this.callId) {
      if (callIsReturn(expr)) return this.ir.block([this.exit(this.profileId), expr]);
      if (this.importedFunctions.has(callTarget.getTarget(expr))) return this.hostBoundary(expr);
      return expr;
    }
    if (id === this.callIndirectId && callIndirectIsReturn(expr)) return this.ir.block([this.exit(this.profileId), expr]);
    return expr;
  }

  private beforeReturn(expr: number): number {
    const ir = this.ir;
    const value = getReturnValue(expr);
    if (value === 0 || this.resultLocal < 0) return ir.block([this.exit(this.profileId), expr]);
    return ir.block([
      ir.localSet(this.resultLocal, value),
      this.exit(this.profileId),
      ir.return(ir.localGet(this.resultLocal, this.resultType)),
    ]);
  }

  /** settle; enter(host); result = call; exit(host); result. */
  private hostBoundary(call: number): number {
    const ir = this.ir;
    const enter = ir.block([this.settle(), this.enter(this.hostProfileId)]);
    const exit = this.exit(this.hostProfileId);
    const type = expressionType(call);
    if (type === binaryen.none || type === binaryen.unreachable) return ir.block([enter, call, exit]);
    let result = this.scratch.get(type);
    if (result === undefined) {
      result = addVar(this.fn, type);
      this.scratch.set(type, result);
    }
    return ir.block([enter, ir.localSet(result, call), exit, ir.localGet(result, type)]);
  }

  private wrapBody(body: number): number {
    const ir = this.ir;
    const enter = this.entry();
    const exit = this.exit(this.profileId);
    if (this.resultLocal < 0 || expressionType(body) === binaryen.unreachable) return ir.block([enter, body, exit]);
    return ir.block([enter, ir.localSet(this.resultLocal, body), exit, ir.localGet(this.resultLocal, this.resultType)]);
  }

  /**
   * The entry event, eager or deferred as the instance chose (abi.ts HOOK_GLOBALS):
   * `if (defer) { settle; pending_id = id; pending_counter = counter } else enter(id, counter)`.
   */
  private entry(): number {
    const ir = this.ir;
    const deferred = ir.block([
      this.settle(),
      ir.globalSet(HOOK_GLOBALS.pendingId.name, ir.i32(this.profileId)),
      ir.globalSet(HOOK_GLOBALS.pendingCounter.name, this.counter()),
    ]);
    return ir.if(ir.globalGet(HOOK_GLOBALS.defer.name, binaryen.i32), deferred, this.enter(this.profileId));
  }

  /** `if (pending_id >= 0) { enter(pending_id, pending_counter); pending_id = -1 }`: before any other event. */
  private settle(): number {
    const ir = this.ir;
    const pending = (): number => ir.globalGet(HOOK_GLOBALS.pendingId.name, binaryen.i32);
    return ir.if(
      ir.binary(binaryen.GeSInt32, pending(), ir.i32(0)),
      ir.block([
        ir.call(HOOK_IMPORTS.enter.internal, [pending(), ir.globalGet(HOOK_GLOBALS.pendingCounter.name, binaryen.i32)], binaryen.none),
        ir.globalSet(HOOK_GLOBALS.pendingId.name, ir.i32(-1)),
      ]),
    );
  }

  private enter(id: number): number {
    return this.ir.call(HOOK_IMPORTS.enter.internal, [this.ir.i32(id), this.counter()], binaryen.none);
  }

  /** `exit(id, counter, pending_id, pending_counter); pending_id = -1`: a pending entry is this exit's leaf (or, after a throw, its callee's). */
  private exit(id: number): number {
    const ir = this.ir;
    return ir.block([
      ir.call(HOOK_IMPORTS.exit.internal, [ir.i32(id), this.counter(), ir.globalGet(HOOK_GLOBALS.pendingId.name, binaryen.i32), ir.globalGet(HOOK_GLOBALS.pendingCounter.name, binaryen.i32)], binaryen.none),
      ir.globalSet(HOOK_GLOBALS.pendingId.name, ir.i32(-1)),
    ]);
  }

  private counter(): number {
    return this.counted ? this.ir.globalGet(BUDGET_GLOBAL, binaryen.i32) : this.ir.i32(0);
  }
}

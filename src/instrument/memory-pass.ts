/**
 * Memory-access hooks: every load and store may tell the host its address, and only its
 * address — values never cross into JavaScript, where an f32 would lose a NaN payload and a
 * v128 cannot go at all. Each access's pointer operand P becomes a block that keeps P in a
 * local, computes the address A = P + offset (i64: it is 33 bits wide), and either counts the
 * access in guest globals (abi.ts MEMORY_GLOBALS: it lands within one of the two lines touched
 * last and continues its stream class's delta, with no call event since that class's last
 * report) or calls `$slow_<class>(P, offset, A)`, which calls the host's hook with the counts
 * so far. The block returns P, so evaluation order and values are untouched.
 *
 * Covered: plain, atomic and SIMD loads and stores (v128, splat, zero-extending, extending and
 * lane forms), atomic read-modify-write and compare-exchange (reported as stores), and the bulk
 * operations (`memory.copy` reports a load of its source and a store of its destination,
 * `memory.fill` and `memory.init` a store, with their run-time sizes; they never coalesce and
 * hand every pending count over first). `memory.grow` reports before and after.
 * `memory.atomic.wait` and `notify` are not reported.
 *
 * Every entry/exit hook call (and a deferred entry) first resets each class's expected address:
 * no stride carries across a call event, where the consumer's node and stream may change.
 */
import binaryen from 'binaryen';
import { COALESCED_WIDTHS, HOOK_GLOBALS, HOOK_IMPORTS, HOST_MODULE, MEMORY_GLOBALS, MEMORY_HOOKS, streamClassOf } from './abi.js';
import { api, expressionId, ID, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';

const get = (name: string): ((expr: number) => number) => api[`_Binaryen${name}`]!;
const set = (name: string): ((expr: number, child: number) => void) => api[`_Binaryen${name}`]!;

/** Bytes read or written by each SIMD load op (binaryen.Load8SplatVec128 … Load64ZeroVec128). */
const SIMD_LOAD_BYTES = [1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 4, 8];
/** …and by each lane op (Load8Lane … Store64Lane). */
const LANE_BYTES = [1, 2, 4, 8, 1, 2, 4, 8];

/** Accesses with a static size: [kind, bytes getter, offset getter, ptr getter, ptr setter, is a store]. */
const STATIC: readonly (readonly [number, (e: number) => number, (e: number) => number, (e: number) => number, (e: number, c: number) => void, (e: number) => boolean])[] = [
  [ID['Load']!, get('LoadGetBytes'), get('LoadGetOffset'), get('LoadGetPtr'), set('LoadSetPtr'), () => false],
  [ID['Store']!, get('StoreGetBytes'), get('StoreGetOffset'), get('StoreGetPtr'), set('StoreSetPtr'), () => true],
  [ID['AtomicRMW']!, get('AtomicRMWGetBytes'), get('AtomicRMWGetOffset'), get('AtomicRMWGetPtr'), set('AtomicRMWSetPtr'), () => true],
  [ID['AtomicCmpxchg']!, get('AtomicCmpxchgGetBytes'), get('AtomicCmpxchgGetOffset'), get('AtomicCmpxchgGetPtr'), set('AtomicCmpxchgSetPtr'), () => true],
  [ID['SIMDLoad']!, (e) => SIMD_LOAD_BYTES[get('SIMDLoadGetOp')(e)]!, get('SIMDLoadGetOffset'), get('SIMDLoadGetPtr'), set('SIMDLoadSetPtr'), () => false],
  [
    ID['SIMDLoadStoreLane']!, (e) => LANE_BYTES[get('SIMDLoadStoreLaneGetOp')(e)]!, get('SIMDLoadStoreLaneGetOffset'),
    get('SIMDLoadStoreLaneGetPtr'), set('SIMDLoadStoreLaneSetPtr'), (e) => get('SIMDLoadStoreLaneIsStore')(e) !== 0,
  ],
];

const memoryGrowDelta = get('MemoryGrowGetDelta');
const setMemoryGrowDelta = set('MemoryGrowSetDelta');
const addVar = api['_BinaryenFunctionAddVar']!;
const callTarget = (binaryen as unknown as { Call: { getTarget(expr: number): string } }).Call.getTarget;
const globalGetName = (binaryen as unknown as { GlobalGet: { getName(expr: number): string } }).GlobalGet.getName;

/** An address no access reaches from: A − NO_LINE is at least 2^63, beyond any fit. */
const NO_LINE = -(2n ** 63n);
/** An expected address no access has (addresses are below 2^33). */
const NO_EXPECT = -(2n ** 63n);
/** A delta no two addresses have (they are under 2^33 apart): "the class's first access since the last call event". */
const NO_DELTA = -(2n ** 62n);
/** The delta after a call event: "no access of the class since". */
const RESET = -(2n ** 61n);
/** Internal state of the coalescing path, not exported. */
const STATE = {
  line0: '__wasm_sandbox_memory_line0',
  line1: '__wasm_sandbox_memory_line1',
  expect: '__wasm_sandbox_memory_expect_',
  delta: '__wasm_sandbox_memory_delta_',
  slow: '__wasm_sandbox_memory_slow_',
  flush: '__wasm_sandbox_memory_flush',
  reset: '__wasm_sandbox_memory_reset',
} as const;

export function addMemoryHookDeclarations(module: binaryen.Module, ir: IrBuilder): void {
  const { i32, i64 } = binaryen;
  const report = binaryen.createType([i32, i32, i32]);
  module.addFunctionImport(MEMORY_HOOKS.load, HOST_MODULE, MEMORY_HOOKS.load, report, i32);
  module.addFunctionImport(MEMORY_HOOKS.store, HOST_MODULE, MEMORY_HOOKS.store, report, i32);
  module.addFunctionImport(MEMORY_HOOKS.run, HOST_MODULE, MEMORY_HOOKS.run, binaryen.createType([i32, binaryen.f64, binaryen.f64]), binaryen.none);
  module.addFunctionImport(MEMORY_HOOKS.growBefore, HOST_MODULE, MEMORY_HOOKS.growBefore, i32, i32);
  module.addFunctionImport(MEMORY_HOOKS.growAfter, HOST_MODULE, MEMORY_HOOKS.growAfter, i32, i32);
  const exported: [string, bigint][] = [
    [MEMORY_GLOBALS.second, 0n], [MEMORY_GLOBALS.lineMask, 0n],
    ...COALESCED_WIDTHS.map((bytes): [string, bigint] => [`${MEMORY_GLOBALS.fitPrefix}${bytes}`, 0n]),
  ];
  for (const [name, initial] of exported) {
    module.addGlobal(name, i64, true, ir.i64(initial));
    module.addGlobalExport(name, name);
  }
  for (const name of [STATE.line0, STATE.line1]) module.addGlobal(name, i64, true, ir.i64(NO_LINE));
}

export class MemoryPass {
  private readonly statics = new Map(STATIC.map((entry) => [entry[0], entry] as const));
  private readonly growId = ID['MemoryGrow']!;
  private readonly copyId = ID['MemoryCopy']!;
  private readonly fillId = ID['MemoryFill']!;
  private readonly initId = ID['MemoryInit']!;
  private readonly callId = ID['Call']!;
  private readonly ifId = ID['If']!;
  private readonly globalGetId = ID['GlobalGet']!;
  /** Stream classes with a site, each with its state globals and slow path. */
  private readonly classes = new Set<number>();
  private fn = 0;
  /** This function's scratch locals: the pointer, the address, a line being swapped (-1: not yet added). */
  private locals = [-1, -1, -1];

  constructor(private readonly ir: IrBuilder) {}

  function(fn: number): void {
    this.fn = fn;
    this.locals = [-1, -1, -1];
    const body = api['_BinaryenFunctionGetBody']!(fn);
    const replaced = walk(body, { exit: (expr) => this.rewrite(expr) });
    if (replaced !== body) api['_BinaryenFunctionSetBody']!(fn, replaced);
  }

  /** After every function: the per-class slow paths, the reset call events make, the flush bulk operations make. */
  finish(): void {
    const ir = this.ir;
    const module = ir.module;
    const { i32, i64 } = binaryen;
    const g = (name: string): number => ir.globalGet(name, i64);
    const count = (name: string): number => ir.unary(binaryen.ConvertUInt64ToFloat64, g(name));
    for (const c of this.classes) {
      const bytes = COALESCED_WIDTHS[c % 6]!;
      const [p, offset, a, bits, line] = [0, 1, 2, 3, 4];
      const hook = c >= 6 ? MEMORY_HOOKS.store : MEMORY_HOOKS.load;
      const [expect, delta, run] = [`${STATE.expect}${c}`, `${STATE.delta}${c}`, `${MEMORY_GLOBALS.runPrefix}${c}`];
      const body = ir.block([
        // What this class and the line pair coalesced goes first (a consumer that never opens sees no such call).
        ir.if(
          ir.binary(binaryen.NeInt64, ir.binary(binaryen.OrInt64, g(run), g(MEMORY_GLOBALS.second)), ir.i64(0)),
          ir.block([
            ir.call(MEMORY_HOOKS.run, [ir.i32(c), count(run), count(MEMORY_GLOBALS.second)], binaryen.none),
            ir.globalSet(run, ir.i64(0)),
            ir.globalSet(MEMORY_GLOBALS.second, ir.i64(0)),
          ]),
        ),
        ir.localSet(bits, ir.call(hook, [ir.i32(bytes), ir.localGet(offset, i32), ir.localGet(p, i32)], i32)),
        // The delta from this class's previous access (expect − delta), if there was one since the last call event.
        ir.globalSet(delta, ir.select(
          ir.binary(binaryen.EqInt64, g(delta), ir.i64(RESET)),
          ir.i64(NO_DELTA),
          ir.binary(binaryen.SubInt64, ir.localGet(a, i64), ir.binary(binaryen.SubInt64, g(expect), g(delta))),
        )),
        ir.localSet(line, ir.binary(binaryen.AndInt64, ir.binary(binaryen.AddInt64, ir.localGet(a, i64), ir.i64(bytes - 1)), g(MEMORY_GLOBALS.lineMask))),
        // The line touched last becomes the one before it unless it is this one.
        ir.if(ir.binary(binaryen.NeInt64, ir.localGet(line, i64), g(STATE.line0)), ir.globalSet(STATE.line1, g(STATE.line0))),
        ir.globalSet(STATE.line0, ir.localGet(line, i64)),
        ir.if(ir.unary(binaryen.EqZInt32, ir.binary(binaryen.AndInt32, ir.localGet(bits, i32), ir.i32(1))), ir.globalSet(STATE.line0, this.noLine())),
        ir.if(ir.unary(binaryen.EqZInt32, ir.binary(binaryen.AndInt32, ir.localGet(bits, i32), ir.i32(2))), ir.globalSet(STATE.line1, this.noLine())),
      ]);
      module.addFunction(`${STATE.slow}${c}`, binaryen.createType([i32, i32, i64]), binaryen.none, [i32, i64], body);
    }
    const classes = [...this.classes];
    const resets = classes.flatMap((c) => [ir.globalSet(`${STATE.expect}${c}`, ir.i64(NO_EXPECT)), ir.globalSet(`${STATE.delta}${c}`, ir.i64(RESET))]);
    module.addFunction(STATE.reset, binaryen.none, binaryen.none, [], resets.length === 0 ? module.nop() : ir.block(resets));
    const flushes = classes.map((c) => {
      const run = `${MEMORY_GLOBALS.runPrefix}${c}`;
      return ir.if(
        ir.binary(binaryen.NeInt64, g(run), ir.i64(0)),
        ir.block([ir.call(MEMORY_HOOKS.run, [ir.i32(c), count(run), ir.f64(0)], binaryen.none), ir.globalSet(run, ir.i64(0))]),
      );
    });
    const second = MEMORY_GLOBALS.second;
    flushes.push(ir.if(
      ir.binary(binaryen.NeInt64, g(second), ir.i64(0)),
      ir.block([ir.call(MEMORY_HOOKS.run, [ir.i32(0), ir.f64(0), count(second)], binaryen.none), ir.globalSet(second, ir.i64(0))]),
    ));
    module.addFunction(STATE.flush, binaryen.none, binaryen.none, [], flushes.length === 0 ? module.nop() : ir.block(flushes));
  }

  private noLine(): number {
    return this.ir.i64(NO_LINE);
  }

  private local(slot: 0 | 1 | 2): number {
    if (this.locals[slot]! < 0) this.locals[slot] = addVar(this.fn, slot === 0 ? binaryen.i32 : binaryen.i64);
    return this.locals[slot]!;
  }

  private rewrite(expr: number): number {
    const ir = this.ir;
    const id = expressionId(expr);
    const access = this.statics.get(id);
    if (access !== undefined) {
      const [, bytes, offset, ptr, setPtr, isStore] = access;
      setPtr(expr, this.site(ptr(expr), bytes(expr), offset(expr) >>> 0, isStore(expr)));
      return expr;
    }
    if (id === this.callId) {
      const target = callTarget(expr);
      if (target === HOOK_IMPORTS.enter.internal || target === HOOK_IMPORTS.exit.internal) return ir.block([this.nextGeneration(), expr]);
      return expr;
    }
    if (id === this.ifId) {
      // A deferred entry (hooks-pass.ts) is a call event too, though it calls nothing yet.
      const condition = get('IfGetCondition')(expr);
      if (expressionId(condition) === this.globalGetId && globalGetName(condition) === HOOK_GLOBALS.defer.name) {
        set('IfSetIfTrue')(expr, ir.block([this.nextGeneration(), get('IfGetIfTrue')(expr)]));
      }
      return expr;
    }
    if (id === this.growId) {
      setMemoryGrowDelta(expr, ir.call(MEMORY_HOOKS.growBefore, [memoryGrowDelta(expr)], binaryen.i32));
      return ir.call(MEMORY_HOOKS.growAfter, [expr], binaryen.i32);
    }
    if (id === this.copyId) return this.bulk(expr, ['MemoryCopy', 'Dest', 'Source', 'Size'], [[MEMORY_HOOKS.store, 0], [MEMORY_HOOKS.load, 1]]);
    if (id === this.fillId) return this.bulk(expr, ['MemoryFill', 'Dest', 'Value', 'Size'], [[MEMORY_HOOKS.store, 0]]);
    if (id === this.initId) return this.bulk(expr, ['MemoryInit', 'Dest', 'Offset', 'Size'], [[MEMORY_HOOKS.store, 0]]);
    return expr;
  }

  /** A call event: no class's stride carries across it (the recorder's node and stream may change). */
  private nextGeneration(): number {
    return this.ir.call(STATE.reset, [], binaryen.none);
  }

  /** The class's state globals, added with its first site. */
  private classState(c: number): void {
    if (this.classes.has(c)) return;
    this.classes.add(c);
    const module = this.ir.module;
    const i64 = binaryen.i64;
    module.addGlobal(`${STATE.expect}${c}`, i64, true, this.ir.i64(NO_EXPECT));
    module.addGlobal(`${STATE.delta}${c}`, i64, true, this.ir.i64(RESET));
    const run = `${MEMORY_GLOBALS.runPrefix}${c}`;
    module.addGlobal(run, i64, true, this.ir.i64(0n));
    module.addGlobalExport(run, run);
  }

  /**
   * `{ p = P; a = p + offset; if (a == expect) { within line0: run++; within line1: run++,
   * second++, swap the lines; else slow } else slow; expect = a + delta; p }`
   */
  private site(pointer: number, bytes: number, offset: number, isStore: boolean): number {
    const ir = this.ir;
    const { i32, i64 } = binaryen;
    const c = streamClassOf(bytes, isStore);
    if (c % 6 === 5) throw new Error(`the memory pass met a static access of ${bytes} bytes`);
    this.classState(c);
    const [p, a, t] = [this.local(0), this.local(1), this.local(2)];
    const g = (name: string): number => ir.globalGet(name, i64);
    const fit = (): number => g(`${MEMORY_GLOBALS.fitPrefix}${bytes}`);
    const within = (line: string): number => ir.binary(binaryen.LtUInt64, ir.binary(binaryen.SubInt64, ir.localGet(a, i64), g(line)), fit());
    const bump = (name: string): number => ir.globalSet(name, ir.binary(binaryen.AddInt64, g(name), ir.i64(1)));
    const [expect, run] = [`${STATE.expect}${c}`, `${MEMORY_GLOBALS.runPrefix}${c}`];
    const slow = (): number => ir.call(`${STATE.slow}${c}`, [ir.localGet(p, i32), ir.i32(offset | 0), ir.localGet(a, i64)], binaryen.none);
    const address = ir.unary(binaryen.ExtendUInt32, ir.localGet(p, i32));
    return ir.block([
      ir.localSet(p, pointer),
      ir.localSet(a, offset === 0 ? address : ir.binary(binaryen.AddInt64, address, ir.i64(offset))),
      ir.if(
        ir.binary(binaryen.EqInt64, ir.localGet(a, i64), g(expect)),
        ir.if(
          within(STATE.line0),
          bump(run),
          ir.if(
            within(STATE.line1),
            ir.block([bump(run), bump(MEMORY_GLOBALS.second), ir.localSet(t, g(STATE.line0)), ir.globalSet(STATE.line0, g(STATE.line1)), ir.globalSet(STATE.line1, ir.localGet(t, i64))]),
            slow(),
          ),
        ),
        slow(),
      ),
      ir.globalSet(expect, ir.binary(binaryen.AddInt64, ir.localGet(a, i64), g(`${STATE.delta}${c}`))),
      ir.localGet(p, i32),
    ]);
  }

  /**
   * A bulk operation: its three operands into fresh locals (in their order), every pending
   * count handed over, the hooks with the run-time size, then the operation on the locals. It
   * may move any stream class's last address and the recent lines: the next access of each
   * class reports.
   */
  private bulk(expr: number, [kind, a, b, c]: readonly [string, string, string, string], reports: readonly (readonly [string, number])[]): number {
    const ir = this.ir;
    const i64 = binaryen.i64;
    const fields = [a, b, c];
    const locals = fields.map(() => addVar(this.fn, binaryen.i32));
    const statements = fields.map((field, i) => ir.localSet(locals[i]!, get(`${kind}Get${field}`)(expr)));
    fields.forEach((field, i) => set(`${kind}Set${field}`)(expr, ir.localGet(locals[i]!, binaryen.i32)));
    const size = (): number => ir.localGet(locals[2]!, binaryen.i32);
    statements.push(ir.call(STATE.flush, [], binaryen.none));
    for (const [hook, operand] of reports) {
      const report = ir.call(hook, [size(), ir.i32(0), ir.localGet(locals[operand]!, binaryen.i32)], binaryen.i32);
      statements.push(api['_BinaryenDrop']!((ir.module as unknown as { ptr: number }).ptr, report));
    }
    statements.push(this.nextGeneration(), ir.globalSet(STATE.line0, this.noLine()), ir.globalSet(STATE.line1, this.noLine()));
    return ir.block([...statements, expr]);
  }
}

/**
 * Memory-access hooks: every load and store asks the host to see its address, and only its
 * address — values never cross into JavaScript, where an f32 would lose a NaN payload and a
 * v128 cannot go at all. Each access's pointer operand P becomes
 *
 *   (call $load_ptr (i32.const bytes) (i32.const offset) P)     ;; returns P
 *
 * so evaluation order and values are untouched. Covered: plain, atomic and SIMD loads and
 * stores (v128, splat, zero-extending, extending and lane forms), atomic read-modify-write
 * and compare-exchange (reported as stores), and the bulk operations (`memory.copy` reports a
 * load of its source and a store of its destination, `memory.fill` and `memory.init` a store,
 * with their run-time sizes). `memory.grow` reports before and after. `memory.atomic.wait` and
 * `notify` are not reported.
 */
import binaryen from 'binaryen';
import { HOST_MODULE, MEMORY_HOOKS } from './abi.js';
import { api, expressionId, ID, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';

const i32x3 = (): number => binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]);

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

export function addMemoryHookDeclarations(module: binaryen.Module): void {
  module.addFunctionImport(MEMORY_HOOKS.load, HOST_MODULE, MEMORY_HOOKS.load, i32x3(), binaryen.i32);
  module.addFunctionImport(MEMORY_HOOKS.store, HOST_MODULE, MEMORY_HOOKS.store, i32x3(), binaryen.i32);
  module.addFunctionImport(MEMORY_HOOKS.growBefore, HOST_MODULE, MEMORY_HOOKS.growBefore, binaryen.i32, binaryen.i32);
  module.addFunctionImport(MEMORY_HOOKS.growAfter, HOST_MODULE, MEMORY_HOOKS.growAfter, binaryen.i32, binaryen.i32);
}

export class MemoryPass {
  private readonly statics = new Map(STATIC.map((entry) => [entry[0], entry] as const));
  private readonly growId = ID['MemoryGrow']!;
  private readonly copyId = ID['MemoryCopy']!;
  private readonly fillId = ID['MemoryFill']!;
  private readonly initId = ID['MemoryInit']!;
  private fn = 0;

  constructor(private readonly ir: IrBuilder) {}

  function(fn: number): void {
    this.fn = fn;
    const body = api['_BinaryenFunctionGetBody']!(fn);
    const replaced = walk(body, { exit: (expr) => this.rewrite(expr) });
    if (replaced !== body) api['_BinaryenFunctionSetBody']!(fn, replaced);
  }

  private rewrite(expr: number): number {
    const ir = this.ir;
    const id = expressionId(expr);
    const access = this.statics.get(id);
    if (access !== undefined) {
      const [, bytes, offset, ptr, setPtr, isStore] = access;
      const hook = isStore(expr) ? MEMORY_HOOKS.store : MEMORY_HOOKS.load;
      setPtr(expr, ir.call(hook, [ir.i32(bytes(expr)), ir.i32(offset(expr)), ptr(expr)], binaryen.i32));
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

  /**
   * A bulk operation: its three operands into fresh locals (in their order), the hooks with the
   * run-time size, then the operation on the locals. `reports` names which operands are addresses.
   */
  private bulk(expr: number, [kind, a, b, c]: readonly [string, string, string, string], reports: readonly (readonly [string, number])[]): number {
    const ir = this.ir;
    const fields = [a, b, c];
    const locals = fields.map(() => addVar(this.fn, binaryen.i32));
    const statements = fields.map((field, i) => ir.localSet(locals[i]!, get(`${kind}Get${field}`)(expr)));
    fields.forEach((field, i) => set(`${kind}Set${field}`)(expr, ir.localGet(locals[i]!, binaryen.i32)));
    const size = (): number => ir.localGet(locals[2]!, binaryen.i32);
    for (const [hook, operand] of reports) {
      statements.push(api['_BinaryenDrop']!((this.ir.module as unknown as { ptr: number }).ptr, ir.call(hook, [size(), ir.i32(0), ir.localGet(locals[operand]!, binaryen.i32)], binaryen.i32)));
    }
    return ir.block([...statements, expr]);
  }
}

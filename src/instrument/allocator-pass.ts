/**
 * Allocator hooks: every direct call to a function recognised as an allocator (by name:
 * AssemblyScript's runtime, C's malloc family; configurable) reports to the host what was
 * asked, what came back and which function asked:
 *
 *   (call $malloc size)  →  (block  a0 = size;  r = (call $malloc a0);
 *                                   (call $hook kind caller a0 0 r);  r)
 *
 * Frees report before the call. Calls through a table (call_indirect) are not seen.
 */
import binaryen from 'binaryen';
import { api, expressionId, ID, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';
import { ALLOCATION_KINDS, ALLOCATOR_IMPORT, type AllocationKind } from './abi.js';

const getTarget = (binaryen as unknown as { Call: { getTarget(expr: number): string } }).Call;
const callIsReturn = api['_BinaryenCallIsReturn']!;
const getNumOperands = api['_BinaryenCallGetNumOperands']!;
const getOperandAt = api['_BinaryenCallGetOperandAt']!;
const addVar = api['_BinaryenFunctionAddVar']!;

interface Allocator {
  readonly kind: AllocationKind;
  readonly params: readonly number[];
  readonly result: number;
}

export class AllocatorPass {
  private readonly callId = ID['Call']!;
  private readonly allocators = new Map<string, Allocator>();
  private fn = 0;
  private caller = 0;

  constructor(
    private readonly module: binaryen.Module,
    private readonly ir: IrBuilder,
    /** binaryen internal name → display name of every function. */
    displayNames: ReadonlyMap<string, string>,
    names: Readonly<Record<string, AllocationKind>>,
  ) {
    for (const [internal, display] of displayNames) {
      const kind = names[display.slice(display.lastIndexOf('/') + 1)] ?? names[display];
      if (kind === undefined) continue;
      const info = binaryen.getFunctionInfo(module.getFunction(internal));
      const params = binaryen.expandType(info.params);
      // Only 32-bit allocators with the shapes of their kind are wrapped; others are left alone.
      if (params.some((t) => t !== binaryen.i32) || (info.results !== binaryen.i32 && info.results !== binaryen.none)) continue;
      this.allocators.set(internal, { kind, params, result: info.results });
    }
    if (this.allocators.size > 0) {
      module.addFunctionImport(
        ALLOCATOR_IMPORT.internal, ALLOCATOR_IMPORT.module, ALLOCATOR_IMPORT.name,
        binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none,
      );
    }
  }

  /** Names of the functions wrapped, for the result manifest. */
  get wrapped(): string[] {
    return [...this.allocators.keys()];
  }

  function(fn: number, callerProfileId: number): void {
    if (this.allocators.size === 0) return;
    this.fn = fn;
    this.caller = callerProfileId;
    const body = api['_BinaryenFunctionGetBody']!(fn);
    const replaced = walk(body, { exit: (expr) => this.rewrite(expr) });
    if (replaced !== body) api['_BinaryenFunctionSetBody']!(fn, replaced);
  }

  private rewrite(expr: number): number {
    if (expressionId(expr) !== this.callId || callIsReturn(expr)) return expr;
    const allocator = this.allocators.get(getTarget.getTarget(expr));
    return allocator === undefined ? expr : this.wrap(expr, allocator);
  }

  /** A fresh local per use: nested allocator calls must not clobber each other's arguments. */
  private local(): number {
    return addVar(this.fn, binaryen.i32);
  }

  private wrap(call: number, allocator: Allocator): number {
    const ir = this.ir;
    const n = getNumOperands(call);
    const children: number[] = [];
    const args: number[] = [];
    for (let i = 0; i < n; i++) {
      const local = this.local();
      children.push(ir.localSet(local, getOperandAt(call, i)));
      args.push(local);
    }
    const target = getTarget.getTarget(call);
    const rebuilt = ir.call(target, args.map((l) => ir.localGet(l, binaryen.i32)), allocator.result);
    const kind = ALLOCATION_KINDS.indexOf(allocator.kind);
    const arg = (i: number): number => (i < args.length ? ir.localGet(args[i]!, binaryen.i32) : ir.i32(0));
    if (allocator.result === binaryen.none) {
      // a free: report the pointer first, then free it
      children.push(ir.call(ALLOCATOR_IMPORT.internal, [ir.i32(kind), ir.i32(this.caller), arg(0), ir.i32(0), ir.i32(0)], binaryen.none), rebuilt);
      return ir.block(children);
    }
    const result = this.local();
    children.push(
      ir.localSet(result, rebuilt),
      ir.call(ALLOCATOR_IMPORT.internal, [ir.i32(kind), ir.i32(this.caller), arg(0), arg(1), ir.localGet(result, binaryen.i32)], binaryen.none),
      ir.localGet(result, binaryen.i32),
    );
    return ir.block(children);
  }
}

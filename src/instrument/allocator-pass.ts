/**
 * Allocator hooks: every direct call to a function recognised as an allocator (by name:
 * AssemblyScript's runtime and collector, C's malloc family, Rust's shims; configurable)
 * reports to the host what was asked, what came back and which function asked:
 *
 *   (call $malloc size)  →  (block  a0 = size;  d = depth;  depth = d + 1;
 *                                   r = (call $malloc a0);  depth = d;
 *                                   (if (d == 0) (call $hook kind caller a0 0 r));  r)
 *
 * Frees report before the call. An allocator called from inside another reports nothing (the
 * depth globals, abi.ts); frees nested in an allocation do (a collector sweeping inside `__new`),
 * except inside a C realloc, whose frees are its own. Calls through a table (call_indirect) are
 * not seen.
 */
import binaryen from 'binaryen';
import { api, expressionId, ID, walk } from './expression-walker.js';
import type { IrBuilder } from './ir-builder.js';
import { ALLOCATION_KINDS, ALLOCATOR_DEPTH_GLOBALS, ALLOCATOR_IMPORT, ALLOCATOR_ROLES, type AllocatorRole, type AllocatorShape } from './abi.js';

const getTarget = (binaryen as unknown as { Call: { getTarget(expr: number): string } }).Call;
const callIsReturn = api['_BinaryenCallIsReturn']!;
const getNumOperands = api['_BinaryenCallGetNumOperands']!;
const getOperandAt = api['_BinaryenCallGetOperandAt']!;
const addVar = api['_BinaryenFunctionAddVar']!;

interface Allocator {
  /** The name it was recognised by (its display name, or an export name when the name section has none). */
  readonly name: string;
  readonly shape: AllocatorShape;
  readonly result: number;
}

const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

export class AllocatorPass {
  private readonly callId = ID['Call']!;
  private readonly allocators = new Map<string, Allocator>();
  private readonly used = new Set<string>();
  private fn = 0;
  private caller = 0;
  private callerName = '';

  constructor(
    private readonly module: binaryen.Module,
    private readonly ir: IrBuilder,
    /** binaryen internal name → display name of every function. */
    private readonly displayNames: ReadonlyMap<string, string>,
    names: Readonly<Record<string, AllocatorRole>>,
    /** binaryen internal name → the names a function is exported under. */
    exportNames: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    for (const [internal, display] of displayNames) {
      const candidates = [display, lastSegment(display), ...(/^func\[\d+\]$/.test(display) ? (exportNames.get(internal) ?? []) : [])];
      const name = candidates.find((candidate) => names[candidate] !== undefined);
      const role = name === undefined ? undefined : names[name];
      const shape: AllocatorShape | undefined = role === undefined ? undefined : ALLOCATOR_ROLES[role];
      if (shape === undefined || name === undefined) continue;
      const info = binaryen.getFunctionInfo(module.getFunction(internal));
      const params = binaryen.expandType(info.params);
      // Only 32-bit allocators with the parameters their role reads are wrapped; others are left alone.
      const needed = Math.max(shape.first, shape.second, shape.resultThrough ?? -1) + 1;
      if (params.length < needed || params.some((t) => t !== binaryen.i32) || (info.results !== binaryen.i32 && info.results !== binaryen.none)) continue;
      if (shape.kind !== 'free' && info.results !== binaryen.i32) continue;
      this.allocators.set(internal, { name: name === lastSegment(display) || name === display ? display : name, shape, result: info.results });
    }
    if (this.allocators.size > 0) {
      module.addFunctionImport(
        ALLOCATOR_IMPORT.internal, ALLOCATOR_IMPORT.module, ALLOCATOR_IMPORT.name,
        binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none,
      );
      for (const name of Object.values(ALLOCATOR_DEPTH_GLOBALS)) {
        module.addGlobal(name, binaryen.i32, true, module.i32.const(0));
        module.addGlobalExport(name, name);
      }
    }
  }

  /** Names of the functions wrapped (caller-restricted ones: where a call site matched), for the result manifest. */
  get wrapped(): string[] {
    return [...this.allocators.entries()].filter(([internal, a]) => this.used.has(internal) || a.shape.callers === undefined).map(([, a]) => a.name);
  }

  function(fn: number, callerProfileId: number): void {
    if (this.allocators.size === 0) return;
    this.fn = fn;
    this.caller = callerProfileId;
    this.callerName = lastSegment(this.displayNames.get(binaryen.getFunctionInfo(fn).name) ?? '');
    const body = api['_BinaryenFunctionGetBody']!(fn);
    const replaced = walk(body, { exit: (expr) => this.rewrite(expr) });
    if (replaced !== body) api['_BinaryenFunctionSetBody']!(fn, replaced);
  }

  private rewrite(expr: number): number {
    if (expressionId(expr) !== this.callId || callIsReturn(expr)) return expr;
    const target = getTarget.getTarget(expr);
    const allocator = this.allocators.get(target);
    if (allocator === undefined) return expr;
    const callers = allocator.shape.callers;
    if (callers !== undefined && !callers.includes(this.callerName)) return expr;
    this.used.add(target);
    return this.wrap(expr, target, allocator);
  }

  /** The memory's size in pages (memory 0: multi-memory is refused; memory64 too), or 0 without one. */
  private pages(): number {
    return this.module.hasMemory() ? this.module.memory.size() : this.ir.i32(0);
  }

  /** A fresh local per use: nested allocator calls must not clobber each other's arguments. */
  private local(): number {
    return addVar(this.fn, binaryen.i32);
  }

  private wrap(call: number, target: string, { shape, result: resultType }: Allocator): number {
    const ir = this.ir;
    const i32 = binaryen.i32;
    const n = getNumOperands(call);
    const children: number[] = [];
    const args: number[] = [];
    for (let i = 0; i < n; i++) {
      const local = this.local();
      children.push(ir.localSet(local, getOperandAt(call, i)));
      args.push(local);
    }
    const rebuilt = ir.call(target, args.map((l) => ir.localGet(l, i32)), resultType);
    const kind = ALLOCATION_KINDS.indexOf(shape.kind);
    const arg = (i: number): number => (i >= 0 && i < args.length ? ir.localGet(args[i]!, i32) : ir.i32(0));
    const first = shape.firstOffset === undefined ? arg(shape.first) : ir.binary(binaryen.AddInt32, arg(shape.first), ir.i32(shape.firstOffset));
    const { alloc: ALLOC, free: FREE } = ALLOCATOR_DEPTH_GLOBALS;
    const allocDepth = this.local();
    const freeDepth = this.local();
    const enter = (owns: boolean): number[] => [
      ir.localSet(allocDepth, ir.globalGet(ALLOC, i32)),
      ir.globalSet(ALLOC, ir.binary(binaryen.AddInt32, ir.localGet(allocDepth, i32), ir.i32(1))),
      ...(owns ? [ir.localSet(freeDepth, ir.globalGet(FREE, i32)), ir.globalSet(FREE, ir.binary(binaryen.AddInt32, ir.localGet(freeDepth, i32), ir.i32(1)))] : []),
    ];
    const leave = (owns: boolean): number[] => [ir.globalSet(ALLOC, ir.localGet(allocDepth, i32)), ...(owns ? [ir.globalSet(FREE, ir.localGet(freeDepth, i32))] : [])];
    const outermost = (local: number): number => this.module.i32.eqz(ir.localGet(local, i32));
    if (shape.kind === 'free') {
      // Report first (the pointer is still the guest's), then free; nested frees are this one's.
      children.push(
        ...enter(true),
        ir.if(outermost(freeDepth), ir.call(ALLOCATOR_IMPORT.internal, [ir.i32(kind), ir.i32(this.caller), first, ir.i32(0), ir.i32(0), this.pages()], binaryen.none)),
        rebuilt,
      );
      if (resultType !== binaryen.none) children[children.length - 1] = ir.localSet(this.local(), rebuilt); // a free returning a status
      children.push(...leave(true));
      return ir.block(children);
    }
    const owns = shape.ownsFrees === true;
    const result = this.local();
    let pointer = ir.localGet(result, i32);
    if (shape.resultThrough !== undefined) {
      // posix_memalign: 0 means success and the pointer was written through the first argument.
      pointer = this.module.select(
        this.module.i32.eqz(ir.localGet(result, i32)),
        this.module.i32.load(0, 4, arg(shape.resultThrough)),
        ir.i32(0),
      );
    }
    children.push(
      ...enter(owns),
      ir.localSet(result, rebuilt),
      ...leave(owns),
      ir.if(outermost(allocDepth), ir.call(ALLOCATOR_IMPORT.internal, [ir.i32(kind), ir.i32(this.caller), first, arg(shape.second), pointer, this.pages()], binaryen.none)),
      ir.localGet(result, i32),
    );
    return ir.block(children);
  }
}

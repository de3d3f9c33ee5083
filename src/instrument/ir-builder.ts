/**
 * Builds the few IR shapes the passes insert, through binaryen's C API with names allocated
 * once (binaryen.js's friendly helpers copy every name string onto the stack on every call,
 * which dominates the cost of instrumenting hundreds of thousands of sites).
 */
import binaryen from 'binaryen';
import { api } from './expression-walker.js';

const b = binaryen as unknown as Record<string, number> & { stringToAscii(text: string, pointer: number): void };

export class IrBuilder {
  private readonly names = new Map<string, number>();
  private readonly allocated: number[] = [];
  /** Scratch space for literals passed by pointer. */
  private readonly literal: number;

  constructor(readonly module: binaryen.Module) {
    this.literal = this.malloc(32);
  }

  private get ptr(): number {
    return (this.module as unknown as { ptr: number }).ptr;
  }

  private malloc(size: number): number {
    const pointer = api['_malloc']!(size);
    this.allocated.push(pointer);
    return pointer;
  }

  /** A C string for `name`, allocated once and kept until `dispose`. */
  name(name: string): number {
    let pointer = this.names.get(name);
    if (pointer === undefined) {
      if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`internal names must be printable ASCII: ${JSON.stringify(name)}`);
      pointer = this.malloc(name.length + 1);
      b.stringToAscii(name, pointer);
      this.names.set(name, pointer);
    }
    return pointer;
  }

  i32(value: number): number {
    api['_BinaryenLiteralInt32']!(this.literal, value | 0);
    return api['_BinaryenConst']!(this.ptr, this.literal);
  }

  /** Numbers must be exact integers; BigInts reach the full i64 range. */
  i64(value: number | bigint): number {
    // binaryen.js is built with BigInt integration: i64 crosses as one BigInt.
    (api['_BinaryenLiteralInt64'] as unknown as (out: number, v: bigint) => void)(this.literal, BigInt.asIntN(64, BigInt(value)));
    return api['_BinaryenConst']!(this.ptr, this.literal);
  }

  f64(value: number): number {
    api['_BinaryenLiteralFloat64']!(this.literal, value);
    return api['_BinaryenConst']!(this.ptr, this.literal);
  }

  globalGet(name: string, type: number): number {
    return api['_BinaryenGlobalGet']!(this.ptr, this.name(name), type);
  }

  globalSet(name: string, value: number): number {
    return api['_BinaryenGlobalSet']!(this.ptr, this.name(name), value);
  }

  localGet(index: number, type: number): number {
    return api['_BinaryenLocalGet']!(this.ptr, index, type);
  }

  localTee(index: number, value: number, type: number): number {
    return api['_BinaryenLocalTee']!(this.ptr, index, value, type);
  }

  localSet(index: number, value: number): number {
    return api['_BinaryenLocalSet']!(this.ptr, index, value);
  }

  binary(op: number, left: number, right: number): number {
    return api['_BinaryenBinary']!(this.ptr, op, left, right);
  }

  unary(op: number, value: number): number {
    return api['_BinaryenUnary']!(this.ptr, op, value);
  }

  select(condition: number, ifTrue: number, ifFalse: number): number {
    return api['_BinaryenSelect']!(this.ptr, condition, ifTrue, ifFalse);
  }

  if(condition: number, ifTrue: number, ifFalse = 0): number {
    return api['_BinaryenIf']!(this.ptr, condition, ifTrue, ifFalse);
  }

  call(target: string, operands: readonly number[], resultType: number, isReturn = false): number {
    const call = isReturn
      ? api['_BinaryenReturnCall']!(this.ptr, this.name(target), 0, 0, resultType)
      : api['_BinaryenCall']!(this.ptr, this.name(target), 0, 0, resultType);
    for (const operand of operands) api['_BinaryenCallAppendOperand']!(call, operand);
    return call;
  }

  /** An unnamed block; its type is computed from its children. */
  block(children: readonly number[]): number {
    const block = api['_BinaryenBlock']!(this.ptr, 0, 0, 0, api['_BinaryenTypeAuto']!());
    for (const child of children) api['_BinaryenBlockAppendChild']!(block, child);
    api['_BinaryenExpressionFinalize']!(block);
    return block;
  }

  return(value: number): number {
    return api['_BinaryenReturn']!(this.ptr, value);
  }

  dispose(): void {
    for (const pointer of this.allocated) api['_free']!(pointer);
    this.allocated.length = 0;
    this.names.clear();
  }
}

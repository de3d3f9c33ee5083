/**
 * Fast traversal of binaryen IR through binaryen's C API (the `_Binaryen…` exports of
 * binaryen.js): one table of child getters and setters per expression kind, built once.
 * `binaryen.getExpressionInfo` calls every getter of a node through `Object.keys`, which
 * makes a full walk of a large module take seconds; direct calls keep it in tens of ms.
 */
import binaryen from 'binaryen';

/** binaryen.js's raw C API, by name. */
export const api = binaryen as unknown as Record<string, (...args: number[]) => number>;

type Get = (expr: number) => number;
type Set = (expr: number, child: number) => void;

export interface ChildSlots {
  /** Single children, each possibly 0 (absent). */
  readonly single: readonly (readonly [Get, Set])[];
  /** A list of children (block items, call operands, …). */
  readonly list?: readonly [(expr: number) => number, (expr: number, i: number) => number, (expr: number, i: number, child: number) => void];
}

function fn(name: string): (...args: number[]) => number {
  const f = api[`_Binaryen${name}`];
  if (typeof f !== 'function') throw new Error(`binaryen.js lacks _Binaryen${name}: the instrumentation engine needs binaryen 132`);
  return f;
}

const singles = (kind: string, fields: readonly string[]): (readonly [Get, Set])[] =>
  fields.map((field) => [fn(`${kind}Get${field}`), fn(`${kind}Set${field}`)] as const);

const list = (kind: string, item: string, plural: string): ChildSlots['list'] => [
  fn(`${kind}GetNum${plural}`),
  fn(`${kind}Get${item}At`),
  fn(`${kind}Set${item}At`) as (expr: number, i: number, child: number) => void,
];

/** Expression kinds the engine understands, by binaryen expression id. */
const KINDS: readonly (readonly [string, ChildSlots])[] = [
  ['Block', { single: [], list: list('Block', 'Child', 'Children') }],
  ['If', { single: singles('If', ['Condition', 'IfTrue', 'IfFalse']) }],
  ['Loop', { single: singles('Loop', ['Body']) }],
  ['Break', { single: singles('Break', ['Condition', 'Value']) }],
  ['Switch', { single: singles('Switch', ['Condition', 'Value']) }],
  ['Call', { single: [], list: list('Call', 'Operand', 'Operands') }],
  ['CallIndirect', { single: singles('CallIndirect', ['Target']), list: list('CallIndirect', 'Operand', 'Operands') }],
  ['LocalGet', { single: [] }],
  ['LocalSet', { single: singles('LocalSet', ['Value']) }],
  ['GlobalGet', { single: [] }],
  ['GlobalSet', { single: singles('GlobalSet', ['Value']) }],
  ['Load', { single: singles('Load', ['Ptr']) }],
  ['Store', { single: singles('Store', ['Ptr', 'Value']) }],
  ['Const', { single: [] }],
  ['Unary', { single: singles('Unary', ['Value']) }],
  ['Binary', { single: singles('Binary', ['Left', 'Right']) }],
  ['Select', { single: singles('Select', ['IfTrue', 'IfFalse', 'Condition']) }],
  ['Drop', { single: singles('Drop', ['Value']) }],
  ['Return', { single: singles('Return', ['Value']) }],
  ['MemorySize', { single: [] }],
  ['MemoryGrow', { single: singles('MemoryGrow', ['Delta']) }],
  ['Nop', { single: [] }],
  ['Unreachable', { single: [] }],
  ['AtomicRMW', { single: singles('AtomicRMW', ['Ptr', 'Value']) }],
  ['AtomicCmpxchg', { single: singles('AtomicCmpxchg', ['Ptr', 'Expected', 'Replacement']) }],
  ['AtomicWait', { single: singles('AtomicWait', ['Ptr', 'Expected', 'Timeout']) }],
  ['AtomicNotify', { single: singles('AtomicNotify', ['Ptr', 'NotifyCount']) }],
  ['AtomicFence', { single: [] }],
  ['SIMDExtract', { single: singles('SIMDExtract', ['Vec']) }],
  ['SIMDReplace', { single: singles('SIMDReplace', ['Vec', 'Value']) }],
  ['SIMDShuffle', { single: singles('SIMDShuffle', ['Left', 'Right']) }],
  ['SIMDTernary', { single: singles('SIMDTernary', ['A', 'B', 'C']) }],
  ['SIMDShift', { single: singles('SIMDShift', ['Vec', 'Shift']) }],
  ['SIMDLoad', { single: singles('SIMDLoad', ['Ptr']) }],
  ['SIMDLoadStoreLane', { single: singles('SIMDLoadStoreLane', ['Ptr', 'Vec']) }],
  ['MemoryInit', { single: singles('MemoryInit', ['Dest', 'Offset', 'Size']) }],
  ['DataDrop', { single: [] }],
  ['MemoryCopy', { single: singles('MemoryCopy', ['Dest', 'Source', 'Size']) }],
  ['MemoryFill', { single: singles('MemoryFill', ['Dest', 'Value', 'Size']) }],
  ['Pop', { single: [] }],
  ['RefNull', { single: [] }],
  ['RefIsNull', { single: singles('RefIsNull', ['Value']) }],
  ['RefFunc', { single: [] }],
  ['RefEq', { single: singles('RefEq', ['Left', 'Right']) }],
  ['TableGet', { single: singles('TableGet', ['Index']) }],
  ['TableSet', { single: singles('TableSet', ['Index', 'Value']) }],
  ['TableSize', { single: [] }],
  ['TableGrow', { single: singles('TableGrow', ['Value', 'Delta']) }],
  ['Try', { single: singles('Try', ['Body']), list: list('Try', 'CatchBody', 'CatchBodies') }],
  ['Throw', { single: [], list: list('Throw', 'Operand', 'Operands') }],
  ['Rethrow', { single: [] }],
  ['TupleMake', { single: [], list: list('TupleMake', 'Operand', 'Operands') }],
  ['TupleExtract', { single: singles('TupleExtract', ['Tuple']) }],
];

export const ID: Readonly<Record<string, number>> = Object.fromEntries(
  KINDS.map(([kind]) => [kind, (binaryen as unknown as Record<string, number>)[`${kind}Id`]!]),
);

const SLOTS: (ChildSlots | undefined)[] = [];
for (const [kind, slots] of KINDS) SLOTS[ID[kind]!] = slots;

/** Names of expression ids the engine does not know, for error messages. */
const ID_NAMES = new Map<number, string>(
  Object.entries(binaryen as unknown as Record<string, unknown>)
    .filter(([key, value]) => key.endsWith('Id') && typeof value === 'number')
    .map(([key, value]) => [value as number, key.slice(0, -2)]),
);

/** Raised for IR the engine cannot instrument (GC, strings, typed function references, …). */
export class UnsupportedFeatureError extends Error {
  constructor(readonly feature: string) {
    super(`the instrumentation engine cannot rewrite ${feature} instructions`);
  }
}

export const expressionId: (expr: number) => number = fn('ExpressionGetId');
export const expressionType: (expr: number) => number = fn('ExpressionGetType');

export function slotsOf(id: number): ChildSlots {
  const slots = SLOTS[id];
  if (slots === undefined) throw new UnsupportedFeatureError(ID_NAMES.get(id) ?? `expression id ${id}`);
  return slots;
}

/**
 * Calls `visit` for every child of `expr` (absent children skipped). If `visit` returns a
 * different expression, it replaces the child in place.
 */
export function forEachChild(expr: number, visit: (child: number) => number): void {
  const slots = slotsOf(expressionId(expr));
  for (const [get, set] of slots.single) {
    const child = get(expr);
    if (child === 0) continue;
    const replaced = visit(child);
    if (replaced !== child) set(expr, replaced);
  }
  if (slots.list !== undefined) {
    const [count, getAt, setAt] = slots.list;
    const n = count(expr);
    for (let i = 0; i < n; i++) {
      const child = getAt(expr, i);
      const replaced = visit(child);
      if (replaced !== child) setAt(expr, i, replaced);
    }
  }
}

/**
 * Fast, non-recursive traversal of binaryen IR through binaryen's C API (the `_Binaryen…`
 * exports of binaryen.js): one table of child accessors per expression kind, in the order wasm
 * evaluates the children, built once.
 *
 * - Direct C calls: `binaryen.getExpressionInfo` calls every getter of a node through
 *   `Object.keys`, which makes a full walk of a large module take seconds.
 * - No recursion: a module may nest 100,000 blocks; the walk keeps its own stack.
 * - binaryen.js exports no accessors for `table.fill`, `table.copy` and `table.init`; their
 *   children are read from the expression objects themselves, at offsets found once by parsing
 *   a probe module (`calibrateRawLayouts`) — if the probe fails, those kinds stay unsupported
 *   and say so by name.
 */
import binaryen from 'binaryen';

/** binaryen.js's raw C API, by name. */
export const api = binaryen as unknown as Record<string, (...args: number[]) => number>;

type Get = (expr: number) => number;
type Set = (expr: number, child: number) => void;
type Slot = readonly [Get, Set];

/** Children of one expression kind, in evaluation order: singles, then a list, then singles. */
interface Layout {
  readonly before: readonly Slot[];
  readonly list?: readonly [(expr: number) => number, (expr: number, i: number) => number, (expr: number, i: number, child: number) => void];
  readonly after: readonly Slot[];
}

function fn(name: string): (...args: number[]) => number {
  const f = api[`_Binaryen${name}`];
  if (typeof f !== 'function') throw new Error(`binaryen.js lacks _Binaryen${name}: the instrumentation engine needs binaryen 132`);
  return f;
}

const singles = (kind: string, fields: readonly string[]): Slot[] =>
  fields.map((field) => [fn(`${kind}Get${field}`), fn(`${kind}Set${field}`)] as const);

const list = (kind: string, item: string, plural: string): Layout['list'] => [
  fn(`${kind}GetNum${plural}`),
  fn(`${kind}Get${item}At`),
  fn(`${kind}Set${item}At`) as (expr: number, i: number, child: number) => void,
];

const plain = (kind: string, fields: readonly string[] = []): Layout => ({ before: singles(kind, fields), after: [] });

/** Expression kinds the engine understands (children in evaluation order). */
const KINDS: readonly (readonly [string, Layout])[] = [
  ['Block', { before: [], list: list('Block', 'Child', 'Children'), after: [] }],
  ['If', plain('If', ['Condition', 'IfTrue', 'IfFalse'])],
  ['Loop', plain('Loop', ['Body'])],
  ['Break', plain('Break', ['Value', 'Condition'])],
  ['Switch', plain('Switch', ['Value', 'Condition'])],
  ['Call', { before: [], list: list('Call', 'Operand', 'Operands'), after: [] }],
  ['CallIndirect', { before: [], list: list('CallIndirect', 'Operand', 'Operands'), after: singles('CallIndirect', ['Target']) }],
  ['LocalGet', plain('LocalGet')],
  ['LocalSet', plain('LocalSet', ['Value'])],
  ['GlobalGet', plain('GlobalGet')],
  ['GlobalSet', plain('GlobalSet', ['Value'])],
  ['Load', plain('Load', ['Ptr'])],
  ['Store', plain('Store', ['Ptr', 'Value'])],
  ['Const', plain('Const')],
  ['Unary', plain('Unary', ['Value'])],
  ['Binary', plain('Binary', ['Left', 'Right'])],
  ['Select', plain('Select', ['IfTrue', 'IfFalse', 'Condition'])],
  ['Drop', plain('Drop', ['Value'])],
  ['Return', plain('Return', ['Value'])],
  ['MemorySize', plain('MemorySize')],
  ['MemoryGrow', plain('MemoryGrow', ['Delta'])],
  ['Nop', plain('Nop')],
  ['Unreachable', plain('Unreachable')],
  ['AtomicRMW', plain('AtomicRMW', ['Ptr', 'Value'])],
  ['AtomicCmpxchg', plain('AtomicCmpxchg', ['Ptr', 'Expected', 'Replacement'])],
  ['AtomicWait', plain('AtomicWait', ['Ptr', 'Expected', 'Timeout'])],
  ['AtomicNotify', plain('AtomicNotify', ['Ptr', 'NotifyCount'])],
  ['AtomicFence', plain('AtomicFence')],
  ['SIMDExtract', plain('SIMDExtract', ['Vec'])],
  ['SIMDReplace', plain('SIMDReplace', ['Vec', 'Value'])],
  ['SIMDShuffle', plain('SIMDShuffle', ['Left', 'Right'])],
  ['SIMDTernary', plain('SIMDTernary', ['A', 'B', 'C'])],
  ['SIMDShift', plain('SIMDShift', ['Vec', 'Shift'])],
  ['SIMDLoad', plain('SIMDLoad', ['Ptr'])],
  ['SIMDLoadStoreLane', plain('SIMDLoadStoreLane', ['Ptr', 'Vec'])],
  ['MemoryInit', plain('MemoryInit', ['Dest', 'Offset', 'Size'])],
  ['DataDrop', plain('DataDrop')],
  ['MemoryCopy', plain('MemoryCopy', ['Dest', 'Source', 'Size'])],
  ['MemoryFill', plain('MemoryFill', ['Dest', 'Value', 'Size'])],
  ['Pop', plain('Pop')],
  ['RefNull', plain('RefNull')],
  ['RefIsNull', plain('RefIsNull', ['Value'])],
  ['RefFunc', plain('RefFunc')],
  ['RefEq', plain('RefEq', ['Left', 'Right'])],
  ['TableGet', plain('TableGet', ['Index'])],
  ['TableSet', plain('TableSet', ['Index', 'Value'])],
  ['TableSize', plain('TableSize')],
  ['TableGrow', plain('TableGrow', ['Value', 'Delta'])],
  ['Try', { before: singles('Try', ['Body']), list: list('Try', 'CatchBody', 'CatchBodies'), after: [] }],
  ['Throw', { before: [], list: list('Throw', 'Operand', 'Operands'), after: [] }],
  ['Rethrow', plain('Rethrow')],
  ['TupleMake', { before: [], list: list('TupleMake', 'Operand', 'Operands'), after: [] }],
  ['TupleExtract', plain('TupleExtract', ['Tuple'])],
];

/** Expression ids by kind name, from binaryen's own `_Binaryen<Kind>Id()` (binaryen.js lacks a few constants). */
export const ID: Readonly<Record<string, number>> = Object.fromEntries(
  Object.keys(api)
    .filter((key) => /^_Binaryen[A-Z][A-Za-z0-9]*Id$/.test(key) && key !== '_BinaryenExpressionGetId')
    .map((key) => [key.slice('_Binaryen'.length, -2), api[key]!()]),
);

const LAYOUTS: (Layout | undefined)[] = [];
for (const [kind, layout] of KINDS) LAYOUTS[ID[kind]!] = layout;

/** Kinds whose children binaryen.js cannot reach, with a probe to find them: [kind, wat, children's probe constants]. */
const RAW_KINDS: readonly (readonly [string, string, readonly number[]])[] = [
  ['TableFill', '(table.fill $t (i32.const 301) (ref.null func) (i32.const 303))', [301, -1, 303]],
  ['TableCopy', '(table.copy $t $u (i32.const 101) (i32.const 102) (i32.const 103))', [101, 102, 103]],
  ['TableInit', '(table.init $t $e (i32.const 201) (i32.const 202) (i32.const 203))', [201, 202, 203]],
];

const heapLoad = (binaryen as unknown as { __i32_load(address: number): number }).__i32_load;
const heapStore = (binaryen as unknown as { __i32_store(address: number, value: number): void }).__i32_store;

/**
 * Finds where table.fill/copy/init keep their children: parses a probe module, then looks for
 * the probe's constants among the first words of each expression object.
 */
function calibrateRawLayouts(): void {
  LAYOUTS[ID['ElemDrop']!] = { before: [], after: [] };
  const text = `(module (table $t 10 funcref) (table $u 10 funcref) (elem $e func $f) (func $f)
    (func $probe ${RAW_KINDS.map(([, wat]) => wat).join(' ')}))`;
  let module: binaryen.Module | undefined;
  try {
    module = binaryen.parseText(text);
    const body = api['_BinaryenFunctionGetBody']!(module.getFunction('probe'));
    RAW_KINDS.forEach(([kind, , probes], index) => {
      const expr = api['_BinaryenBlockGetChildAt']!(body, index);
      if (api['_BinaryenExpressionGetId']!(expr) !== ID[kind]) return;
      const offsets: number[] = [];
      for (const probe of probes) {
        for (let offset = 8; offset < 64; offset += 4) {
          const child = heapLoad(expr + offset);
          if (child <= 0) continue;
          const id = api['_BinaryenExpressionGetId']!(child);
          const matches = probe < 0 ? id === ID['RefNull'] : id === ID['Const'] && api['_BinaryenConstGetValueI32']!(child) === probe;
          if (matches && !offsets.includes(offset)) {
            offsets.push(offset);
            break;
          }
        }
      }
      if (offsets.length !== probes.length) return;
      LAYOUTS[ID[kind]!] = {
        before: offsets.map((offset) => [(e: number) => heapLoad(e + offset), (e: number, child: number) => heapStore(e + offset, child)] as const),
        after: [],
      };
    });
  } catch {
    // The kinds stay unsupported: a module using them fails with an error naming them.
  } finally {
    module?.dispose();
  }
}
calibrateRawLayouts();

/** Instruction names (wasm text) of expression kinds, for messages. */
const INSTRUCTION_NAMES: Readonly<Record<string, string>> = {
  TableFill: 'table.fill', TableCopy: 'table.copy', TableInit: 'table.init', ElemDrop: 'elem.drop',
  TryTable: 'try_table', ThrowRef: 'throw_ref', CallRef: 'call_ref', RefAs: 'ref.as_non_null / any.convert_extern',
  RefTest: 'ref.test', RefCast: 'ref.cast', BrOn: 'br_on_*', RefI31: 'ref.i31', I31Get: 'i31.get',
};

function kindName(id: number): string {
  const kind = Object.entries(ID).find(([, value]) => value === id)?.[0];
  if (kind === undefined) return `expression id ${id}`;
  const named = INSTRUCTION_NAMES[kind];
  if (named !== undefined) return named;
  if (/^(Struct|Array)/.test(kind)) return `${kind.replace(/^(Struct|Array)(.*)$/, (_, a: string, b: string) => `${a.toLowerCase()}.${b.toLowerCase()}`)} (GC)`;
  if (/^String/.test(kind)) return `${kind} (stringref)`;
  return kind;
}

/** Raised for IR the engine cannot instrument (GC, strings, typed function references, …). */
export class UnsupportedFeatureError extends Error {
  constructor(readonly feature: string) {
    super(`the instrumentation engine cannot rewrite ${feature} instructions`);
  }
}

export const expressionId: (expr: number) => number = fn('ExpressionGetId');
export const expressionType: (expr: number) => number = fn('ExpressionGetType');

function layoutOf(id: number): Layout {
  const layout = LAYOUTS[id];
  if (layout === undefined) throw new UnsupportedFeatureError(kindName(id));
  return layout;
}

/** Throws UnsupportedFeatureError unless the engine can walk expressions of this id. */
export function checkSupported(id: number): void {
  layoutOf(id);
}

/** Number of children of `expr`. */
export function childCount(expr: number): number {
  const layout = layoutOf(expressionId(expr));
  return layout.before.length + (layout.list === undefined ? 0 : layout.list[0](expr)) + layout.after.length;
}

/** Child `i` of `expr` in evaluation order (0 for an absent optional child, such as a `br`'s value). */
export function childAt(expr: number, i: number): number {
  const layout = layoutOf(expressionId(expr));
  if (i < layout.before.length) return layout.before[i]![0](expr);
  i -= layout.before.length;
  const n = layout.list === undefined ? 0 : layout.list[0](expr);
  if (i < n) return layout.list![1](expr, i);
  return layout.after[i - n]![0](expr);
}

export function setChildAt(expr: number, i: number, child: number): void {
  const layout = layoutOf(expressionId(expr));
  if (i < layout.before.length) return layout.before[i]![1](expr, child);
  i -= layout.before.length;
  const n = layout.list === undefined ? 0 : layout.list[0](expr);
  if (i < n) return layout.list![2](expr, i, child);
  layout.after[i - n]![1](expr, child);
}

export interface Visitor {
  /**
   * Before `expr`'s children (`parent` is 0 for the root; `slot` its index in the parent's
   * children). Returning false skips the children; `exit` is still called.
   */
  enter?(expr: number, parent: number, slot: number): boolean | void;
  /** After `expr`'s children: what replaces `expr` in its parent (or `expr` itself). */
  exit?(expr: number, parent: number, slot: number): number;
}

/**
 * Walks the tree under `root` depth-first, children in evaluation order, with an explicit
 * stack; returns what replaces `root`. Replacements returned by `exit` are set into the parent
 * and not walked. Absent children are skipped.
 */
export function walk(root: number, visitor: Visitor): number {
  const exprs: number[] = [];
  const parents: number[] = [];
  const slots: number[] = [];
  const next: number[] = [];
  const counts: number[] = [];
  const push = (expr: number, parent: number, slot: number): void => {
    const descend = visitor.enter?.(expr, parent, slot) !== false;
    exprs.push(expr);
    parents.push(parent);
    slots.push(slot);
    next.push(0);
    counts.push(descend ? childCount(expr) : 0);
  };
  push(root, 0, -1);
  let result = root;
  while (exprs.length > 0) {
    const top = exprs.length - 1;
    const expr = exprs[top]!;
    const i = next[top]!;
    if (i < counts[top]!) {
      next[top] = i + 1;
      const child = childAt(expr, i);
      if (child !== 0) push(child, expr, i);
      continue;
    }
    const parent = parents[top]!;
    const slot = slots[top]!;
    exprs.pop();
    parents.pop();
    slots.pop();
    next.pop();
    counts.pop();
    const replaced = visitor.exit === undefined ? expr : visitor.exit(expr, parent, slot);
    if (parent === 0) result = replaced;
    else if (replaced !== expr) setChildAt(parent, slot, replaced);
  }
  return result;
}

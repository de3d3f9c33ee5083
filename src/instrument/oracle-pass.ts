/**
 * The instruction-count oracle: a slow rewrite that adds one to an exported i64 counter for
 * every binaryen expression the guest executes, at the moment it executes, as a stack machine
 * would: a block, loop or try when entered (`(block (counter += 1) E)`); any other expression
 * once its operands are evaluated — the addition follows its last operand, so an expression
 * whose operand branches away (a taken `br_if` under a `drop`) is not counted. It shares
 * nothing with the fuel pass but the walker, so
 * "fuel equals the oracle's count" checks the basic-block charging of `charge-pass.ts` (and the
 * claim that counts are exact) on real modules. For tests and benchmarks; never on a serving path.
 *
 * A caught exception's values are `pop`ped first thing in its catch body, and binaryen allows no
 * block around that `pop`: the expressions on the way to it are counted by one addition placed
 * right after the statement that holds them.
 */
import binaryen from 'binaryen';
import { ORACLE_COUNTER } from './abi.js';
import { api, childAt, childCount, expressionId, expressionType, ID, setChildAt, walk } from './expression-walker.js';
import { IrBuilder } from './ir-builder.js';
import { NODE20_FEATURES } from './features.js';

const getBody = api['_BinaryenFunctionGetBody']!;
const setBody = api['_BinaryenFunctionSetBody']!;
const addVar = api['_BinaryenFunctionAddVar']!;
const tryNumCatchTags = api['_BinaryenTryGetNumCatchTags']!;
const tryCatchTagAt = api['_BinaryenTryGetCatchTagAt']!;
const getTag = api['_BinaryenGetTag']!;
const tagParams = api['_BinaryenTagGetParams']!;
const blockInsertChildAt = api['_BinaryenBlockInsertChildAt']!;
const blockNumChildren = api['_BinaryenBlockGetNumChildren']!;

/** Returns `bytes` with every executed expression counted in the exported i64 global ORACLE_COUNTER. */
export function addInstructionOracle(bytes: Uint8Array): Uint8Array {
  const module = binaryen.readBinary(bytes);
  const ir = new IrBuilder(module);
  try {
    module.setFeatures(NODE20_FEATURES);
    module.addGlobal(ORACLE_COUNTER, binaryen.i64, true, (module.i64 as unknown as { const(value: bigint): number }).const(0n));
    module.addGlobalExport(ORACLE_COUNTER, ORACLE_COUNTER);
    const modulePtr = (module as unknown as { ptr: number }).ptr;
    const tryId = ID['Try']!;
    const blockId = ID['Block']!;
    const popId = ID['Pop']!;
    const loopId = ID['Loop']!;
    const ifId = ID['If']!;
    const add = (n: number): number =>
      ir.globalSet(ORACLE_COUNTER, ir.binary(binaryen.AddInt64, ir.globalGet(ORACLE_COUNTER, binaryen.i64), ir.i64(n)));

    for (let f = 0; f < module.getNumFunctions(); f++) {
      const fn = module.getFunctionByIndex(f);
      if (binaryen.getFunctionInfo(fn).module) continue;
      /** Expressions on the way to a catch's `pop` (not wrapped), by the catch body they start. */
      const chain = new Set<number>();
      const chainLength = new Map<number, number>();
      const scratch = new Map<number, number>();
      const body = walk(getBody(fn), {
        enter: (expr, parent, slot) => {
          if (parent === 0 || expressionId(parent) !== tryId || slot < 1) return;
          const index = slot - 1;
          if (index >= tryNumCatchTags(parent) || tagParams(getTag(modulePtr, tryCatchTagAt(parent, index))) === binaryen.none) return;
          let length = 0;
          for (let node = expr; node !== 0; node = childCount(node) > 0 ? childAt(node, 0) : 0) {
            chain.add(node);
            length++;
            if (expressionId(node) === popId) break;
          }
          chainLength.set(expr, length);
        },
        exit: (expr) => {
          const length = chainLength.get(expr);
          if (length !== undefined) return countChainAfterFirst(expr, length);
          if (chain.has(expr)) return expr;
          const id = expressionId(expr);
          if (id === blockId || id === loopId || id === tryId) return ir.block([add(1), expr]);
          // The last operand evaluated (an `if`'s condition), then the count, then the expression.
          const operands = id === ifId ? 1 : childCount(expr);
          for (let i = operands - 1; i >= 0; i--) {
            const operand = childAt(expr, i);
            if (operand === 0) continue;
            setChildAt(expr, i, thenCount(operand));
            return expr;
          }
          return ir.block([add(1), expr]);
        },
      });

      /** `expr`, then one count; its value passes through (never reached if it branches away). */
      function thenCount(expr: number): number {
        const type = expressionType(expr);
        if (type === binaryen.unreachable) return expr;
        if (type === binaryen.none) return ir.block([expr, add(1)]);
        const local = scratchLocal(type);
        return ir.block([ir.localSet(local, expr), add(1), ir.localGet(local, type)]);
      }

      function scratchLocal(type: number): number {
        let local = scratch.get(type);
        if (local === undefined) {
          local = addVar(fn, type);
          scratch.set(type, local);
        }
        return local;
      }
      setBody(fn, body);

      /** The catch body `expr`: its chain's count goes right after the statement holding the pop. */
      function countChainAfterFirst(expr: number, length: number): number {
        const type = expressionType(expr);
        if (expressionId(expr) === blockId && (type === binaryen.none || blockNumChildren(expr) > 1)) {
          blockInsertChildAt(expr, 1, add(length));
          return expr;
        }
        if (type === binaryen.none || type === binaryen.unreachable) return ir.block([expr, add(length)]);
        const local = scratchLocal(type);
        return ir.block([ir.localSet(local, expr), add(length), ir.localGet(local, type)]);
      }
    }
    return module.emitBinary();
  } finally {
    ir.dispose();
    module.dispose();
  }
}

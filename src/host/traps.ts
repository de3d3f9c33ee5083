import { WasmTrapError, type GuestFrame, type TrapKind } from '../errors.js';

/** V8's trap messages (src/common/message-template.h, WasmTrap*), by the kind we report. */
const TRAP_MESSAGES: readonly (readonly [RegExp, TrapKind])[] = [
  [/^unreachable/, 'unreachable'],
  [/^divide by zero|^remainder by zero/, 'divide_by_zero'],
  [/^divide result unrepresentable/, 'integer_overflow'],
  [/^float unrepresentable in integer range/, 'invalid_conversion'],
  [/^operation does not support unaligned accesses/, 'unaligned_atomic'],
  [/^memory access out of bounds|^data segment .*out of bounds/, 'out_of_bounds'],
  [/^table index is out of bounds|^element segment .*out of bounds|^table access out of bounds/, 'table_out_of_bounds'],
  [/signature mismatch/, 'indirect_call_mismatch'],
  [/^dereferencing a null pointer|null/, 'null_reference'],
  [/^Maximum call stack size exceeded/, 'stack_overflow'],
];

const KIND_TEXT: Record<TrapKind, string> = {
  unreachable: 'reached an unreachable instruction',
  divide_by_zero: 'integer division by zero',
  integer_overflow: 'integer overflow in division',
  invalid_conversion: 'float value out of integer range',
  out_of_bounds: 'memory access out of bounds',
  unaligned_atomic: 'atomic access at an address not aligned to its size',
  table_out_of_bounds: 'table index out of bounds',
  indirect_call_mismatch: 'indirect call to a null function or one with another signature',
  stack_overflow: 'call stack exhausted (unbounded recursion?)',
  null_reference: 'null reference',
  unknown: 'trap',
};

/** Returns the trap kind when `error` is a wasm trap (or a stack overflow inside wasm), else undefined. */
export function trapKindOf(error: unknown): TrapKind | undefined {
  if (error instanceof WebAssembly.RuntimeError) {
    // Traps while instantiating (segment initialisation, the start function) carry V8's API prefix.
    const message = error.message.replace(/^WebAssembly\.Instance\(\): /, '');
    for (const [pattern, kind] of TRAP_MESSAGES) if (pattern.test(message)) return kind;
    return 'unknown';
  }
  if (error instanceof RangeError && /^Maximum call stack size exceeded/.test(error.message)) {
    return hasWasmFrame(error) ? 'stack_overflow' : undefined;
  }
  return undefined;
}

function hasWasmFrame(error: Error): boolean {
  return typeof error.stack === 'string' && error.stack.includes('wasm://');
}

// `    at name (wasm://wasm/4b3d381e:wasm-function[1]:0x82)` or `    at wasm://wasm/…:wasm-function[2]:0x54`
const FRAME = /^\s*at (?:(.*?) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?$/;

/** Guest frames of a V8 stack, innermost first; names from V8, else from `nameOf`. */
export function guestFrames(stack: string | undefined, nameOf: (index: number) => string): GuestFrame[] {
  if (stack === undefined) return [];
  const frames: GuestFrame[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (match === null) continue;
    const functionIndex = Number(match[2]);
    const v8Name = match[1];
    frames.push({
      name: v8Name !== undefined && v8Name !== '' ? v8Name : nameOf(functionIndex),
      functionIndex,
      offset: parseInt(match[3]!, 16),
    });
  }
  return frames;
}

export function trapError(
  error: Error,
  kind: TrapKind,
  moduleLabel: string,
  exportName: string,
  nameOf: (index: number) => string,
): WasmTrapError {
  const frames = guestFrames(error.stack, nameOf);
  const where = frames.length > 0 ? ` in ${frames[0]!.name}` : '';
  const advice =
    kind === 'stack_overflow'
      ? 'check the recursion depth of the input'
      : 'the instance may hold partial state: discard it or create a fresh sandbox';
  return new WasmTrapError(
    `${moduleLabel}: ${exportName.startsWith('(') ? exportName : `${exportName}()`} trapped: ${KIND_TEXT[kind]}${where} (V8: "${error.message}"); ${advice}`,
    kind,
    frames,
    { cause: error },
  );
}

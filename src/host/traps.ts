import { WasmTrapError, type GuestFrame, type TrapKind } from '../errors.js';
import { guestText } from '../untrusted-text.js';

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
    return wasmFramesOf(error).length > 0 ? 'stack_overflow' : undefined;
  }
  return undefined;
}

/** A wasm frame as V8 recorded it: which module (its script URL), which function, where. */
interface WasmFrame {
  readonly url: string | undefined;
  readonly functionIndex: number;
  readonly offset: number;
}

// V8 ends every wasm frame with `wasm-function[N]:0xOFFSET` (and a `)` when a name precedes).
// Only the end is V8's own text: names before it are guest text and may contain anything,
// including line breaks and whole fake frames.
const WASM_POSITION = /:wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?$/;

const framesOfError = new WeakMap<Error, readonly WasmFrame[]>();

/**
 * The wasm frames of `error`'s stack, innermost first. Read from V8's structured call sites
 * (captured as the stack is first formatted, which leaves the stack text as it would have
 * been), so that guest names cannot forge or hide frames; from the text only when the stack
 * was formatted before the host saw the error.
 */
function wasmFramesOf(error: Error): readonly WasmFrame[] {
  const known = framesOfError.get(error);
  if (known !== undefined) return known;
  let sites: NodeJS.CallSite[] | undefined;
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (e, callSites) => {
    sites = callSites;
    return previous !== undefined ? previous(e, callSites) : defaultStackText(e, callSites);
  };
  let stack: unknown;
  try {
    stack = error.stack;
  } finally {
    Error.prepareStackTrace = previous;
  }
  const frames: WasmFrame[] = [];
  if (sites !== undefined) {
    for (const site of sites) {
      const url = site.getFileName() ?? undefined;
      const match = url?.startsWith('wasm://') === true ? WASM_POSITION.exec(site.toString()) : null;
      if (match !== null) frames.push({ url, functionIndex: Number(match[1]), offset: parseInt(match[2]!, 16) });
    }
  } else if (typeof stack === 'string') {
    for (const line of stack.split('\n')) {
      const match = WASM_POSITION.exec(line);
      if (match !== null && line.includes('wasm://')) frames.push({ url: undefined, functionIndex: Number(match[1]), offset: parseInt(match[2]!, 16) });
    }
  }
  framesOfError.set(error, frames);
  return frames;
}

/** Node's own stack format, for when no other `Error.prepareStackTrace` is installed. */
function defaultStackText(error: Error, sites: readonly NodeJS.CallSite[]): string {
  const head = Error.prototype.toString.call(error);
  return sites.length === 0 ? head : `${head}\n    at ${sites.join('\n    at ')}`;
}

/**
 * Guest frames of a trap, innermost first, named by `nameOf` (the name V8 itself decided on,
 * never the text V8 printed, which prefixes a module name and cannot be split reliably) and
 * made safe to print. Frames of other wasm modules (a granted import that is another module's
 * export) are left out: the guest is the module its export — the outermost wasm frame — is in.
 */
export function guestFrames(error: Error, nameOf: (index: number) => string): GuestFrame[] {
  const frames = wasmFramesOf(error);
  const guestUrl = frames[frames.length - 1]?.url;
  return frames
    .filter((f) => f.url === guestUrl)
    .map((f) => ({ name: guestText(nameOf(f.functionIndex)), functionIndex: f.functionIndex, offset: f.offset }));
}

export function trapError(
  error: Error,
  kind: TrapKind,
  moduleLabel: string,
  exportName: string,
  nameOf: (index: number) => string,
): WasmTrapError {
  const frames = guestFrames(error, nameOf);
  const where = frames.length > 0 ? ` in ${frames[0]!.name}` : '';
  const advice =
    kind === 'stack_overflow'
      ? 'check the recursion depth of the input'
      : 'the instance may hold partial state: discard it or create a fresh sandbox';
  return new WasmTrapError(
    `${moduleLabel}: ${exportName.startsWith('(') ? guestText(exportName) : `${guestText(exportName)}()`} trapped: ${KIND_TEXT[kind]}${where} (V8: "${error.message}"); ${advice}`,
    kind,
    frames,
    { cause: error },
  );
}

/**
 * What V8 itself calls a module's functions: the oracle the host's names are checked against.
 * Read from V8's structured call sites of a trap in a raw `WebAssembly.Instance` (the function
 * name V8 decided on, without the module-name prefix its stack text adds).
 */
import { HEADER, leb, name, section } from './guests.js';

/** Function names (null: none) of the wasm frames of `error`, innermost first, as V8 holds them. */
export function v8FrameNames(error: Error): (string | null)[] {
  const previous = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  Error.prepareStackTrace = (_e, callSites) => {
    sites = callSites;
    return '';
  };
  try {
    void error.stack;
  } finally {
    Error.prepareStackTrace = previous;
  }
  return sites.filter((s) => s.getFileName()?.startsWith('wasm://') === true).map((s) => s.getFunctionName());
}

/** Calls `exportName` of a raw instance of `bytes`, expecting a trap; returns V8's frame names. */
export function v8TrapNames(bytes: Uint8Array, exportName: string): (string | null)[] {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  try {
    (instance.exports[exportName] as () => void)();
  } catch (error) {
    return v8FrameNames(error as Error);
  }
  throw new Error(`${exportName} did not trap`);
}

/**
 * V8's name for each of `count` functions under the given custom sections (the name section
 * alone decides a name, whatever the code): a module of `count` trapping functions, each
 * exported, each called once.
 */
export function v8FunctionNames(count: number, ...customs: number[][]): (string | null)[] {
  const body = [3, 0, 0x00, 0x0b]; // size 3: no locals, unreachable, end
  const exports = Array.from({ length: count }, (_, i) => [...name(`f${i}`), 0x00, ...leb(i)]).flat();
  const bytes = Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 0, 0]),
    ...section(3, [...leb(count), ...Array<number>(count).fill(0)]),
    ...section(7, [...leb(count), ...exports]),
    ...section(10, [...leb(count), ...Array.from({ length: count }, () => body).flat()]),
    ...customs.flat(),
  ]);
  return Array.from({ length: count }, (_, i) => v8TrapNames(bytes, `f${i}`)[0]!);
}

/**
 * A wasm exception (`throw $tag`) the guest did not catch reaches JavaScript as a
 * `WebAssembly.Exception`: typed here, naming the tag when the module exports it, with the
 * tag's values when they can be read.
 */
import { GuestExceptionError } from '../errors.js';
import { guestText } from '../untrusted-text.js';

interface WasmException {
  is(tag: unknown): boolean;
  getArg(tag: unknown, index: number): unknown;
}

const ExceptionClass = (WebAssembly as unknown as { Exception?: new (...args: never[]) => WasmException }).Exception;
const TagClass = (WebAssembly as unknown as { Tag?: new (...args: never[]) => object }).Tag;

export function isWasmException(error: unknown): boolean {
  return ExceptionClass !== undefined && error instanceof ExceptionClass;
}

/** The typed error for `error`, a WebAssembly.Exception thrown by a call to `where`. */
export function guestExceptionError(error: unknown, where: string, exports: WebAssembly.Exports | undefined): GuestExceptionError {
  const exception = error as WasmException;
  let tag: string | undefined;
  let values: unknown[] | undefined;
  for (const [name, value] of Object.entries(exports ?? {})) {
    if (TagClass === undefined || !(value instanceof TagClass) || !exception.is(value)) continue;
    tag = name;
    values = [];
    // A tag's arity is not observable before the type-reflection proposal: read until it ends.
    for (let i = 0; i < 64; i++) {
      try {
        values.push(exception.getArg(value, i));
      } catch {
        break;
      }
    }
    break;
  }
  const shown = tag === undefined ? 'a tag it does not export' : `tag ${JSON.stringify(guestText(tag))}`;
  return new GuestExceptionError(
    `${where}: the guest threw a wasm exception (${shown}) that nothing caught; catch it in the guest, or export the tag to read it`,
    tag,
    values,
    { cause: error },
  );
}

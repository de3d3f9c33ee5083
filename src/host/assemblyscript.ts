/**
 * The three imports AssemblyScript's standard library expects from its host, implemented
 * by the sandbox so AssemblyScript guests need no caller-supplied imports:
 * `env.abort` (→ GuestAbortError), `env.trace` (→ the configured logger), `env.seed`.
 */
import { GuestAbortError } from '../errors.js';
import { guestText, MAX_GUEST_MESSAGE } from '../untrusted-text.js';
import type { FunctionType } from '../wasm/wasm-binary.js';

/** Receives `trace()` output from guests: guest text, already escaped and shortened (untrusted-text.ts). */
export type TraceLogger = (message: string, values: readonly number[]) => void;

/** Signatures the stdlib declares; a module importing these names with other types gets no stand-in. */
export const ASSEMBLYSCRIPT_IMPORTS: Readonly<Record<string, FunctionType>> = {
  abort: { params: ['i32', 'i32', 'i32', 'i32'], results: [] },
  trace: { params: ['i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64'], results: [] },
  seed: { params: [], results: ['f64'] },
};

/** Longest guest string the host decodes for a message; longer ones are cut with a marker. */
const MAX_MESSAGE_UNITS = 4096;

/** Reads an AssemblyScript string (UTF-16LE, byte length in the 4 bytes before it) defensively. */
export function readGuestString(memory: WebAssembly.Memory | undefined, pointer: number): string | undefined {
  if (memory === undefined || pointer === 0) return undefined;
  const buffer = memory.buffer;
  const ptr = pointer >>> 0;
  if (ptr < 4 || ptr > buffer.byteLength || ptr % 2 !== 0) return `<invalid string pointer 0x${ptr.toString(16)}>`;
  const byteLength = new DataView(buffer).getUint32(ptr - 4, true);
  if (ptr + byteLength > buffer.byteLength) return `<invalid string at 0x${ptr.toString(16)}>`;
  const units = Math.min(byteLength >>> 1, MAX_MESSAGE_UNITS);
  const text = new TextDecoder('utf-16le').decode(new Uint8Array(buffer, ptr, units * 2));
  return units < byteLength >>> 1 ? `${text}…` : text;
}

export interface AssemblyScriptEnvOptions {
  /** Where the guest's memory will be once instantiated. */
  readonly memory: () => WebAssembly.Memory | undefined;
  readonly moduleLabel: string;
  readonly trace: TraceLogger;
  /** Fixed seed for `Math.random` in the guest; random per instance when undefined. */
  readonly seed: number | undefined;
}

export function assemblyScriptEnv(options: AssemblyScriptEnvOptions): Record<string, (...args: never[]) => unknown> {
  const { memory, moduleLabel, trace, seed } = options;
  return {
    abort(message: number, file: number, line: number, column: number): never {
      const text = readGuestString(memory(), message);
      const where = readGuestString(memory(), file);
      // Guest text: escaped and shortened in the message; exact in the error's raw fields.
      const location = where === undefined ? '' : ` at ${guestText(where)}:${line}:${column}`;
      throw new GuestAbortError(
        `${moduleLabel}: guest aborted: ${text === undefined ? '(no message)' : guestText(text, MAX_GUEST_MESSAGE)}${location}`,
        text,
        where,
        line,
        column,
      );
    },
    trace(message: number, count: number, a0: number, a1: number, a2: number, a3: number, a4: number): void {
      const values = [a0, a1, a2, a3, a4].slice(0, Math.max(0, Math.min(5, count)));
      trace(guestText(readGuestString(memory(), message) ?? '', MAX_GUEST_MESSAGE), values);
    },
    seed(): number {
      return seed ?? Math.random() * Number.MAX_SAFE_INTEGER;
    },
  };
}

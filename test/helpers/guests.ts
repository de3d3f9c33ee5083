import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GUEST_DIR = fileURLToPath(new URL('../../build/guests/', import.meta.url));
export const guestPath = (name: string): string => join(GUEST_DIR, `${name}.wasm`);
export const guestBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(guestPath(name)));

/** Encodes an unsigned LEB128 number. */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

export function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module with one function `(i32) -> i32` exported as `exportName`, memory limits as given. */
export function tinyModule(exportName: string, memory?: { min: number; max?: number }): Uint8Array {
  const bytes = [
    ...HEADER,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...(memory === undefined
      ? []
      : section(5, [1, ...(memory.max === undefined ? [0x00, ...leb(memory.min)] : [0x01, ...leb(memory.min), ...leb(memory.max)])])),
    ...section(7, [1, ...name(exportName), 0x00, 0]),
    ...section(10, [1, ...leb(4), 0, 0x20, 0, 0x0b]),
  ];
  return Uint8Array.from(bytes);
}

/** file: URL of the built package entry (dist/), for scripts run in child processes. */
export const distIndexUrl = (): string => new URL('../../dist/src/index.js', import.meta.url).href;

/** A custom section named `name` holding the given subsections (each from `subsection`). */
export function nameSection(...subsections: number[][]): number[] {
  return section(0, [...name('name'), ...subsections.flat()]);
}

/** One name subsection: id, size, body. */
export function subsection(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

/** A function-names subsection; a name given as bytes is written as they are (invalid UTF-8, say). */
export function functionNames(entries: readonly (readonly [number, string | readonly number[]])[]): number[] {
  // Concatenated, not pushed: a name may be a megabyte, too many arguments for push(...).
  const parts: number[][] = [leb(entries.length)];
  for (const [index, text] of entries) parts.push(leb(index), typeof text === 'string' ? name(text) : [...leb(text.length), ...text]);
  return subsection(1, parts.flat());
}

/**
 * A module whose names are under test, followed by `customs` (name sections, …):
 * 0 `boom` traps (unreachable); 1 calls 0, exported `trap`; 2 `run(n)` calls 3 then 4, n
 * times, exported; 3 and 4 add 1 and 2; 5 adds 1, exported `control`. Six functions, no imports.
 */
export function namesModule(...customs: number[][]): Uint8Array {
  const body = (bytes: number[]): number[] => [...leb(bytes.length), ...bytes];
  const run = [1, 1, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1, 0x20, 1, 0x10, 3, 0x21, 1, 0x20, 1, 0x10, 4, 0x21, 1,
    0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b, 0x20, 1, 0x0b];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [2, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f]),
    ...section(3, [6, 0, 0, 1, 1, 1, 1]),
    ...section(7, [3, ...name('trap'), 0x00, 1, ...name('run'), 0x00, 2, ...name('control'), 0x00, 5]),
    ...section(10, [
      6,
      ...body([0, 0x00, 0x0b]),
      ...body([0, 0x10, 0, 0x0b]),
      ...body(run),
      ...body([0, 0x20, 0, 0x41, 1, 0x6a, 0x0b]),
      ...body([0, 0x20, 0, 0x41, 2, 0x6a, 0x0b]),
      ...body([0, 0x20, 0, 0x41, 1, 0x6a, 0x0b]),
    ]),
    ...customs.flat(),
  ]);
}

/** Encodes a signed LEB128 number (i32.const immediates). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

/**
 * A module that imports AssemblyScript's `env.abort` and exports `exportName()`, which aborts
 * with `message` and `file` (AssemblyScript strings: UTF-16LE after their byte length) at 7:9.
 */
export function abortModule(message: string, file: string, exportName = 'fail'): Uint8Array {
  const utf16 = (text: string): number[] => [...Buffer.from(text, 'utf16le')];
  const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const messageBytes = utf16(message);
  const fileAt = 20 + messageBytes.length + ((4 - (messageBytes.length % 4)) % 4) + 4;
  const data = [...u32(messageBytes.length), ...messageBytes];
  while (16 + data.length < fileAt - 4) data.push(0);
  data.push(...u32(file.length * 2), ...utf16(file));
  const pages = Math.ceil((16 + data.length) / 65536) + 1;
  const fail = [0, 0x41, ...sleb(20), 0x41, ...sleb(fileAt), 0x41, 7, 0x41, 9, 0x10, 0, 0x0b]; // abort(message, file, 7, 9)
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0, 0x60, 0, 0]),
    ...section(2, [1, ...name('env'), ...name('abort'), 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0x00, ...leb(pages)]),
    ...section(7, [2, ...name(exportName), 0x00, 1, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...leb(fail.length), ...fail]),
    ...section(11, [1, 0, 0x41, 16, 0x0b, ...leb(data.length), ...data]),
  ]);
}

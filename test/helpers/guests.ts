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

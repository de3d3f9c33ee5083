/**
 * Modules made on the spot for adversarial tests: from WebAssembly text (through binaryen, with
 * every feature Node 20 runs), or byte by byte (see guests.ts) where the text cannot say it.
 */
import binaryen from 'binaryen';
import { NODE20_FEATURES } from '../../src/instrument/features.js';
import { HEADER, leb, section } from './guests.js';

/** WebAssembly text → binary, without a name section unless `names`. */
export function wat(text: string, names = false): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(NODE20_FEATURES);
    if (!module.validate()) throw new Error('fixture does not validate');
    const debug = binaryen.getDebugInfo();
    binaryen.setDebugInfo(names);
    try {
      return module.emitBinary();
    } finally {
      binaryen.setDebugInfo(debug);
    }
  } finally {
    module.dispose();
  }
}

/** `(func (export "f") (result i32) <code>)`, from raw instruction bytes. */
export function functionModule(code: readonly number[]): Uint8Array {
  const body = [0, ...code, 0x0b];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, 1, 0x66, 0, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/** `depth` nested empty blocks around a dropped constant; the function returns 7. */
export function nestedBlocks(depth: number): Uint8Array {
  const code: number[] = [];
  for (let i = 0; i < depth; i++) code.push(0x02, 0x40);
  code.push(0x41, 42, 0x1a);
  for (let i = 0; i < depth; i++) code.push(0x0b);
  code.push(0x41, 7);
  return functionModule(code);
}

/** `count` constants pushed, then added up: `count` operands on the value stack at once. */
export function deepOperands(count: number): Uint8Array {
  const code: number[] = [];
  for (let i = 0; i < count; i++) code.push(0x41, 1);
  for (let i = 0; i < count - 1; i++) code.push(0x6a);
  return functionModule(code);
}

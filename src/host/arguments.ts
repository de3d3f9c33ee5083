/** Checks JS values against wasm parameter types before they reach V8's silent coercions. */
import { ArrivingArray } from './arriving-array.js';
import { WasmArgumentError } from '../errors.js';
import type { ValueType } from '../wasm/wasm-binary.js';

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/** Returns why `value` cannot be passed as `type`, or undefined when it can. */
export function argumentProblem(type: ValueType, value: unknown): string | undefined {
  switch (type) {
    case 'i32':
      if (typeof value !== 'number') return `expected a number for i32, got ${typeName(value)}`;
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
        return `expected an integer in [-2^31, 2^32) for i32, got ${value}`;
      }
      return undefined;
    case 'f32':
    case 'f64':
      return typeof value === 'number' ? undefined : `expected a number for ${type}, got ${typeName(value)}`;
    case 'i64':
      if (typeof value !== 'bigint') {
        return typeof value === 'number' && Number.isInteger(value)
          ? `expected a BigInt for i64, got the number ${value} (write ${value}n)`
          : `expected a BigInt for i64, got ${typeName(value)}`;
      }
      return value < I64_MIN || value > U64_MAX ? `expected a BigInt in [-2^63, 2^64) for i64, got ${value}` : undefined;
    case 'externref':
      return undefined;
    case 'funcref':
      return value === null || typeof value === 'function' ? undefined : `expected a wasm function or null, got ${typeName(value)}`;
    case 'v128':
    case 'ref':
      return `parameters of type ${type} cannot be passed from JavaScript`;
  }
}

export function checkArguments(where: string, params: readonly ValueType[], args: readonly unknown[]): void {
  if (args.length !== params.length) {
    throw new WasmArgumentError(
      `${where} takes ${params.length} argument${params.length === 1 ? '' : 's'} (${params.join(', ') || 'none'}), got ${args.length}`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const problem = argumentProblem(params[i]!, args[i]);
    if (problem !== undefined) throw new WasmArgumentError(`${where} argument ${i + 1}: ${problem}`);
  }
}

/** "a Float64Array", "an Int32Array". */
function withArticle(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return withArticle(value.constructor.name);
  if (value instanceof ArrivingArray) return withArticle(value.type.name);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 20 ? value.slice(0, 20) + '…' : value)}`;
  return `a ${typeof value}`;
}

/**
 * Parses command-line text into a value of `type`: i32/f32/f64 as numbers, i64 as BigInt
 * (decimal or 0x hex, with or without a trailing `n`).
 */
export function parseArgument(type: ValueType, text: string): number | bigint {
  const trimmed = text.trim();
  if (type === 'i64') {
    const digits = trimmed.endsWith('n') ? trimmed.slice(0, -1) : trimmed;
    try {
      if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(digits)) throw new SyntaxError();
      const negative = digits.startsWith('-');
      const magnitude = BigInt(negative ? digits.slice(1) : digits);
      return negative ? -magnitude : magnitude;
    } catch {
      throw new WasmArgumentError(`cannot read ${JSON.stringify(text)} as i64: write an integer such as 42 or -7`);
    }
  }
  if (type === 'i32' || type === 'f32' || type === 'f64') {
    const value = Number(trimmed);
    if (trimmed === '' || Number.isNaN(value) && !/^[+-]?nan$/i.test(trimmed)) {
      throw new WasmArgumentError(`cannot read ${JSON.stringify(text)} as ${type}: write a number such as 42 or 1.5`);
    }
    const parsed = Number.isNaN(value) ? NaN : value;
    const problem = argumentProblem(type, parsed);
    if (problem !== undefined) throw new WasmArgumentError(`cannot read ${JSON.stringify(text)} as ${type}: ${problem}`);
    return parsed;
  }
  throw new WasmArgumentError(`parameters of type ${type} cannot be given on the command line`);
}

/**
 * Values between wast2json scripts and the JS API: arguments to pass, results written as exact
 * bit patterns (so two configurations compare by bits, NaN payloads included), and the
 * expectation check. Which values the JS API cannot carry exactly is asked of the engine's
 * own conversions, not listed by hand.
 */
import type { SpecValue } from './spec-script.js';

/** One object per `ref.extern N`, so identity survives a round trip through the guest. */
export class ExternRefs {
  private readonly objects = new Map<string, object>();
  of(n: string): object {
    let object = this.objects.get(n);
    if (object === undefined) this.objects.set(n, (object = { externref: n }));
    return object;
  }
  nameOf(value: unknown): string | undefined {
    for (const [n, object] of this.objects) if (object === value) return n;
    return undefined;
  }
}

const view = new DataView(new ArrayBuffer(8));

function f32Number(bits: number): number {
  view.setUint32(0, bits);
  return view.getFloat32(0);
}
function f32Bits(number: number): number {
  view.setFloat32(0, number);
  return view.getUint32(0);
}
function f64Number(bits: bigint): number {
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}
function f64Bits(number: number): bigint {
  view.setFloat64(0, number);
  return view.getBigUint64(0);
}

const isNanPattern = (value: string): boolean => value === 'nan:canonical' || value === 'nan:arithmetic';

/**
 * Why a value cannot cross between JavaScript and wasm unchanged, or undefined when it can:
 * an f32 whose bits do not survive the engine's f32 → Number → f32 conversions (signalling
 * NaNs come back quieted), v128 (no JS representation).
 */
export function notCarried(value: SpecValue): string | undefined {
  if (value.type === 'v128') return 'v128 values cannot cross the JS API';
  if (value.type === 'f32' && typeof value.value === 'string' && !isNanPattern(value.value)) {
    const bits = Number(value.value) >>> 0;
    if (f32Bits(f32Number(bits)) !== bits) return `the JS API cannot carry the f32 0x${bits.toString(16)} exactly (a signalling NaN is quieted)`;
  }
  if (value.type === 'f64' && typeof value.value === 'string' && !isNanPattern(value.value)) {
    // An f64 NaN without its quiet bit: V8 quiets it on its way into wasm.
    const bits = BigInt.asUintN(64, BigInt(value.value));
    const nan = (bits & 0x7ff0000000000000n) === 0x7ff0000000000000n && (bits & 0x000fffffffffffffn) !== 0n;
    if (nan && (bits & 0x0008000000000000n) === 0n) return `the JS API cannot carry the f64 0x${bits.toString(16)} exactly (a signalling NaN is quieted)`;
  }
  if (value.type !== 'i32' && value.type !== 'i64' && value.type !== 'f32' && value.type !== 'f64' && value.type !== 'externref' && value.type !== 'funcref') {
    return `${value.type} values are not modelled by the harness`;
  }
  return undefined;
}

/** A script argument as the JavaScript value the JS API turns into it. */
export function toArgument(value: SpecValue, externs: ExternRefs): unknown {
  const text = value.value as string;
  switch (value.type) {
    case 'i32':
      return Number(text) | 0;
    case 'i64':
      return BigInt.asIntN(64, BigInt(text));
    case 'f32':
      return f32Number(Number(text) >>> 0);
    case 'f64':
      return f64Number(BigInt(text));
    case 'externref':
      return text === 'null' ? null : externs.of(text);
    case 'funcref':
      if (text === 'null') return null;
  }
  throw new Error(`cannot pass ${JSON.stringify(value)}`);
}

/** A result as exact text: `i32:42`, `f32:0x7fc00000`, `ref.extern:1`, `ref.null`, … */
export function resultText(type: string, value: unknown, externs: ExternRefs): string {
  switch (type) {
    case 'i32':
      return `i32:${(value as number) >>> 0}`;
    case 'i64':
      return `i64:${BigInt.asUintN(64, value as bigint)}`;
    case 'f32':
      return `f32:0x${f32Bits(value as number).toString(16)}`;
    case 'f64':
      return `f64:0x${f64Bits(value as number).toString(16)}`;
    case 'externref':
      return value === null ? 'ref.null' : `ref.extern:${externs.nameOf(value) ?? 'host-object'}`;
    case 'funcref':
      // Function objects differ between configurations (and V8 names them by index): only null-ness compares.
      return value === null ? 'ref.null' : typeof value === 'function' ? 'ref.func' : `funcref:${typeof value}`;
    default:
      return `${type}:?`;
  }
}

/** Does a result (as `resultText` wrote it) meet the script's expectation? */
export function meets(result: string, expected: SpecValue): boolean {
  const [type, text] = [result.slice(0, result.indexOf(':')), result.slice(result.indexOf(':') + 1)];
  const want = expected.value;
  if (typeof want !== 'string') return expected.type === 'funcref' ? result === 'ref.func' : false;
  switch (expected.type) {
    case 'i32':
      return type === 'i32' && Number(text) === Number(want) >>> 0;
    case 'i64':
      return type === 'i64' && BigInt(text) === BigInt(want);
    case 'f32': {
      if (type !== 'f32') return false;
      const bits = Number(text);
      if (want === 'nan:canonical') return (bits & 0x7fffffff) === 0x7fc00000;
      if (want === 'nan:arithmetic') return (bits & 0x7fc00000) === 0x7fc00000;
      return bits === Number(want) >>> 0;
    }
    case 'f64': {
      if (type !== 'f64') return false;
      const bits = BigInt(text);
      if (want === 'nan:canonical') return (bits & 0x7fffffffffffffffn) === 0x7ff8000000000000n;
      if (want === 'nan:arithmetic') return (bits & 0x7ff8000000000000n) === 0x7ff8000000000000n;
      return bits === BigInt(want);
    }
    case 'externref':
      return want === 'null' ? result === 'ref.null' : result === `ref.extern:${want}`;
    case 'funcref':
      return want === 'null' ? result === 'ref.null' : result === 'ref.func';
    default:
      return false;
  }
}

/**
 * Encodes messages for the rings: structured values with msgpackr, typed arrays as raw bytes
 * after the msgpack part (msgpackr's default packing of typed arrays is lossy in 2.1.3, and raw
 * bytes need no per-element work). Payload: u32 msgpack length, msgpack, raw bytes.
 * Decoded typed arrays are views into the frame when aligned (copied once into guest memory
 * by the worker), copies otherwise.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false });

const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[number]>;

/** What stands in the msgpack part for a typed array: its kind, offset and length in the raw section. */
interface Placeholder {
  readonly $ta: number;
  readonly o: number;
  readonly n: number;
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && typeof (value as Placeholder).$ta === 'number';
}

export interface Encoded {
  readonly parts: Uint8Array[];
  readonly byteLength: number;
  /** Bytes carried as raw typed-array data. */
  readonly rawBytes: number;
}

/** Encodes `message`; typed arrays anywhere in it (not nested in other typed arrays) travel raw. */
export function encode(message: unknown): Encoded {
  const raws: Uint8Array[] = [];
  let rawLength = 0;
  const replace = (value: unknown): unknown => {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const kind = TYPED_ARRAYS.findIndex((T) => value instanceof T);
      const align = (value as TypedArray).BYTES_PER_ELEMENT;
      const pad = (align - (rawLength % align)) % align;
      if (pad > 0) {
        raws.push(new Uint8Array(pad));
        rawLength += pad;
      }
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      raws.push(bytes);
      const placeholder: Placeholder = { $ta: kind, o: rawLength, n: (value as TypedArray).length };
      rawLength += bytes.byteLength;
      return placeholder;
    }
    if (Array.isArray(value)) return value.map(replace);
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = replace(v);
      return out;
    }
    return value;
  };
  const packed = packr.pack(replace(message)) as Uint8Array;
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, packed.byteLength, true);
  // The raw section starts 8-byte aligned relative to the payload.
  const gap = (8 - ((4 + packed.byteLength) % 8)) % 8;
  const parts = [head, packed, ...(gap > 0 ? [new Uint8Array(gap)] : []), ...raws];
  return { parts, byteLength: 4 + packed.byteLength + gap + rawLength, rawBytes: rawLength };
}

export function decode<T = unknown>(payload: Uint8Array): T {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const packedLength = view.getUint32(0, true);
  if (4 + packedLength > payload.byteLength) throw new RangeError(`msgpack length ${packedLength} exceeds the ${payload.byteLength}-byte frame`);
  const message = packr.unpack(payload.subarray(4, 4 + packedLength)) as unknown;
  const rawStart = 4 + packedLength + ((8 - ((4 + packedLength) % 8)) % 8);
  const restore = (value: unknown): unknown => {
    if (isPlaceholder(value)) {
      const T = TYPED_ARRAYS[value.$ta];
      if (T === undefined) throw new RangeError(`unknown typed array kind ${value.$ta}`);
      const byteOffset = payload.byteOffset + rawStart + value.o;
      const byteLength = value.n * T.BYTES_PER_ELEMENT;
      if (rawStart + value.o + byteLength > payload.byteLength) throw new RangeError('typed array runs past the end of the frame');
      return byteOffset % T.BYTES_PER_ELEMENT === 0
        ? new T(payload.buffer as ArrayBuffer, byteOffset, value.n)
        : new T(payload.slice(rawStart + value.o, rawStart + value.o + byteLength).buffer as ArrayBuffer);
    }
    if (Array.isArray(value)) return value.map(restore);
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = restore(v);
      return out;
    }
    return value;
  };
  return restore(message) as T;
}

/**
 * AssemblyScript values in guest memory: strings, ArrayBuffers, arrays and typed arrays,
 * written through the guest's exported runtime (`__new`, `__pin`, `__unpin`, `__collect`) and
 * read back with its runtime type information (`__rtti_base`). The same layout
 * @assemblyscript/loader uses, built only when a sandbox makes its first typed call (the
 * loader wraps every export at instantiation, a third of a small module's cold start), and
 * checked at every step against the guest's memory: a pointer, length or type id the guest
 * hands back is untrusted, and a bad one is ERR_WASM_RESULT, never a silent write to nowhere.
 *
 * Layout (AssemblyScript 0.28): every managed object has a header ending at its pointer, with
 * its runtime type id at −8 and its byte size at −4. Ids 1 and 2 are ArrayBuffer and String.
 * An ArrayBufferView is { buffer, dataStart, byteLength } (12 bytes); an Array adds length (16).
 * The type information is a count, then one flags word per id.
 */
import { WasmResultError } from '../errors.js';
import type { AssemblyScriptHelpers } from './typed-call.js';
import { ArrivingArray } from './arriving-array.js';

const ID_OFFSET = -8;
const SIZE_OFFSET = -4;
const ARRAYBUFFER_ID = 1;
const STRING_ID = 2;
const ARRAYBUFFERVIEW = 1 << 0;
const ARRAY = 1 << 1;
const STATICARRAY = 1 << 2;
const VAL_ALIGN_OFFSET = 6;
const VAL_SIGNED = 1 << 11;
const VAL_FLOAT = 1 << 12;
const VAL_MANAGED = 1 << 14;
const VIEW_BUFFER = 0;
const VIEW_DATASTART = 4;
const VIEW_BYTELENGTH = 8;
const VIEW_SIZE = 12;
const ARRAY_LENGTH = 12;
const ARRAY_SIZE = 16;

type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

/** The helpers for one instance (its exports must include the runtime and `memory`). */
export function assemblyScriptRuntime(exports: WebAssembly.Exports, where: string): AssemblyScriptHelpers {
  const memory = exports['memory'] as WebAssembly.Memory;
  const __new = exports['__new'] as (size: number, id: number) => number;
  const __pin = exports['__pin'] as (pointer: number) => number;
  const __unpin = exports['__unpin'] as (pointer: number) => void;
  const __collect = (exports['__collect'] as (() => void) | undefined) ?? (() => undefined);
  const rttiBase = exports['__rtti_base'] instanceof WebAssembly.Global ? ((exports['__rtti_base'].value as number) >>> 0) : undefined;

  // Views over the memory, made again only when it has grown: reading `memory.buffer` and
  // making a view cost more than the copy of a small argument. Growing a memory detaches its
  // old buffer (byteLength 0); a shared memory's buffer is not detached, so it is read each time.
  const shared = typeof SharedArrayBuffer !== 'undefined' && (memory.buffer as ArrayBuffer | SharedArrayBuffer) instanceof SharedArrayBuffer;
  let buffer: ArrayBuffer | SharedArrayBuffer = memory.buffer;
  let words = new DataView(buffer);
  const views = new Map<unknown, View>();
  const current = (): ArrayBuffer | SharedArrayBuffer => {
    if (shared ? memory.buffer.byteLength !== buffer.byteLength : buffer.byteLength === 0) {
      buffer = memory.buffer;
      words = new DataView(buffer);
      views.clear();
    }
    return buffer;
  };
  /** typeInfo by runtime id: the guest's RTTI is read once per id (later writes to it are not seen). */
  const typeInfos = new Map<number, number>();

  const bad = (what: string): never => {
    throw new WasmResultError(`${where}: the guest's runtime handed back ${what}`);
  };
  /** Checks that [pointer, pointer + bytes) lies in memory, aligned to `alignment`; returns the pointer. */
  const inMemory = (pointer: number, bytes: number, what: string, alignment = 1): number => {
    const start = pointer >>> 0;
    const size = current().byteLength;
    if (start === 0 || start + bytes > size) bad(`${what} at 0x${start.toString(16)} (${bytes} bytes), outside its ${size}-byte memory`);
    if (start % alignment !== 0) bad(`${what} at 0x${start.toString(16)}, not aligned to ${alignment} bytes`);
    return start;
  };
  const u32 = (address: number): number => {
    if (address + 4 > current().byteLength || address < 0) bad(`a header word at 0x${(address >>> 0).toString(16)}, outside its memory`);
    return words.getUint32(address, true);
  };
  const setU32 = (address: number, value: number): void => {
    current();
    words.setUint32(address, value, true);
  };
  /** A block from the guest's allocator, for an argument: a bad one means the call is not made. */
  const allocate = (bytes: number, id: number, what: string, alignment = 1): number => {
    const pointer = __new(bytes, id) >>> 0;
    const size = current().byteLength;
    if (pointer === 0 || pointer + bytes > size || pointer % alignment !== 0) {
      throw new WasmResultError(
        `${where}: the guest's allocator returned ${what} at 0x${pointer.toString(16)} (${bytes} bytes), ` +
          `${pointer % alignment !== 0 ? `not aligned to ${alignment} bytes` : `outside its ${size}-byte memory`}; the call was not made`,
      );
    }
    return pointer;
  };

  const typeInfo = (id: number): number => {
    const known = typeInfos.get(id);
    if (known !== undefined) return known;
    if (rttiBase === undefined) bad('no runtime type information (__rtti_base): build the guest with --exportRuntime');
    const count = u32(rttiBase!);
    if (id >>> 0 >= count) bad(`an unknown runtime type id ${id >>> 0}`);
    const info = u32(rttiBase! + 4 + 4 * (id >>> 0));
    if (typeInfos.size < 4096) typeInfos.set(id, info);
    return info;
  };
  const arrayInfo = (id: number): number => {
    const info = typeInfo(id);
    if ((info & (ARRAYBUFFERVIEW | ARRAY | STATICARRAY)) === 0) bad(`type id ${id} for an array, which is not an array (flags ${info})`);
    return info;
  };
  const align = (info: number): number => 31 - Math.clz32((info >>> VAL_ALIGN_OFFSET) & 31);
  const viewOf = (alignLog2: number, signed: boolean, float: boolean): View => {
    const buffer = current();
    const key = alignLog2 * 4 + (signed ? 2 : 0) + (float ? 1 : 0);
    let view = views.get(key);
    if (view === undefined) views.set(key, (view = makeView(buffer, alignLog2, signed, float)));
    return view;
  };
  const makeView = (buffer: ArrayBuffer | SharedArrayBuffer, alignLog2: number, signed: boolean, float: boolean): View => {
    if (float && alignLog2 === 2) return new Float32Array(buffer);
    if (float && alignLog2 === 3) return new Float64Array(buffer);
    switch (alignLog2) {
      case 0: return signed ? new Int8Array(buffer) : new Uint8Array(buffer);
      case 1: return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
      case 2: return signed ? new Int32Array(buffer) : new Uint32Array(buffer);
      case 3: return signed ? new BigInt64Array(buffer) : new BigUint64Array(buffer);
      default: return bad(`an array with element alignment 2^${alignLog2}`);
    }
  };
  /** A managed object's byte size, with the object itself checked to lie in memory. */
  const objectSize = (pointer: number, id: number | undefined, what: string, alignment = 1): number => {
    const start = pointer >>> 0;
    if (start < 8) bad(`${what} at 0x${start.toString(16)}`);
    if (id !== undefined && u32(start + ID_OFFSET) !== id) bad(`${what} that is not one (not a ${what === 'a string' ? 'string' : 'buffer'}: ${start})`);
    const size = u32(start + SIZE_OFFSET);
    inMemory(start, size, what, alignment);
    return size;
  };

  const helpers: AssemblyScriptHelpers = {
    __pin: (pointer) => __pin(pointer),
    __unpin: (pointer) => __unpin(pointer),
    __collect: () => __collect(),
    __newString(value: string): number {
      const pointer = allocate(value.length << 1, STRING_ID, 'a string', 2);
      const units = new Uint16Array(memory.buffer, pointer, value.length);
      for (let i = 0; i < value.length; i++) units[i] = value.charCodeAt(i);
      return pointer;
    },
    __getString(pointer: number): string {
      const bytes = objectSize(pointer, STRING_ID, 'a string', 2);
      const units = new Uint16Array(memory.buffer, pointer >>> 0, bytes >>> 1);
      let text = '';
      for (let i = 0; i < units.length; i += 1024) text += String.fromCharCode(...units.subarray(i, i + 1024));
      return text;
    },
    __newArrayBuffer(buffer: ArrayBuffer): number {
      const bytes = new Uint8Array(buffer);
      const pointer = allocate(bytes.length, ARRAYBUFFER_ID, 'an ArrayBuffer');
      new Uint8Array(memory.buffer).set(bytes, pointer);
      return pointer;
    },
    __getArrayBuffer(pointer: number): ArrayBuffer {
      const bytes = objectSize(pointer, ARRAYBUFFER_ID, 'an ArrayBuffer');
      return (memory.buffer as ArrayBuffer).slice(pointer >>> 0, (pointer >>> 0) + bytes);
    },
    __newArray(id: number, values: ArrayLike<number | bigint> | readonly unknown[] | ArrivingArray): number {
      const info = arrayInfo(id);
      const alignLog2 = align(info);
      const length = values.length;
      const dataBytes = length << alignLog2;
      const data = allocate(dataBytes, info & STATICARRAY ? id : ARRAYBUFFER_ID, 'array data', 1 << alignLog2);
      let result = data;
      if ((info & STATICARRAY) === 0) {
        __pin(data);
        try {
          result = allocate(info & ARRAY ? ARRAY_SIZE : VIEW_SIZE, id, 'an array header', 4);
        } finally {
          __unpin(data);
        }
        setU32(result + VIEW_BUFFER, data);
        setU32(result + VIEW_DATASTART, data);
        setU32(result + VIEW_BYTELENGTH, dataBytes);
        if (info & ARRAY) setU32(result + ARRAY_LENGTH, length);
      }
      if (values instanceof ArrivingArray) {
        // Bytes, as they arrive: only into an array of the same element size (the guest's RTTI says which).
        if (info & VAL_MANAGED || values.byteLength !== dataBytes) bad(`type id ${id} for a ${values.type.name}, whose elements it does not hold`);
        values.copyInto(viewOf(0, false, false) as Uint8Array, data);
        return result;
      }
      const view = viewOf(alignLog2, (info & VAL_SIGNED) !== 0, (info & VAL_FLOAT) !== 0);
      const start = data >>> alignLog2;
      if (info & VAL_MANAGED) for (let i = 0; i < length; i++) (view as unknown as unknown[])[start + i] = (values as unknown[])[i];
      else (view as unknown as { set(v: ArrayLike<number | bigint>, offset: number): void }).set(values as ArrayLike<number | bigint>, start);
      return result;
    },
    __getArray(pointer: number): unknown[] {
      const header = pointer >>> 0;
      const id = u32(header + ID_OFFSET);
      const info = arrayInfo(id);
      const alignLog2 = align(info);
      const data = info & STATICARRAY ? header : u32(header + VIEW_DATASTART);
      const length = info & ARRAY ? u32(header + ARRAY_LENGTH) : u32(data + SIZE_OFFSET) >>> alignLog2;
      inMemory(data, length << alignLog2, 'array data', 1 << alignLog2);
      const view = viewOf(alignLog2, (info & VAL_SIGNED) !== 0, (info & VAL_FLOAT) !== 0);
      return Array.from(view.subarray(data >>> alignLog2, (data >>> alignLog2) + length) as ArrayLike<unknown>);
    },
  };
  for (const Type of TYPED_ARRAYS) {
    const name = Type === BigInt64Array ? 'Int64Array' : Type === BigUint64Array ? 'Uint64Array' : Type.name;
    const alignLog2 = 31 - Math.clz32(Type.BYTES_PER_ELEMENT);
    helpers[`__get${name}`] = (pointer: number) => {
      const header = inMemory(pointer, VIEW_SIZE, `a ${name}`, 4);
      const dataStart = u32(header + VIEW_DATASTART);
      const byteLength = u32(header + VIEW_BYTELENGTH);
      inMemory(dataStart, byteLength, `${name} data`, Type.BYTES_PER_ELEMENT);
      return new Type(new Type(memory.buffer, dataStart, byteLength >>> alignLog2) as never);
    };
  }
  return helpers;
}

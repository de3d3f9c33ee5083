/**
 * Encodes messages for the rings: structured values with msgpackr, typed arrays as raw bytes
 * after the msgpack part (msgpackr's default packing of typed arrays is lossy in 2.1.3, and raw
 * bytes need no per-element work). Payload: u32 msgpack length, msgpack, raw bytes.
 * Decoded typed arrays are views into the frame when aligned (copied once into guest memory
 * by the worker), copies otherwise.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { ArrivingArray } from '../host/arriving-array.js';
import { StreamReader, STREAM_WORD_BYTES, STREAM_WORDS } from './argument-stream.js';

// msgpackr loads with the first pool message, not with the package: ≈20 ms of import
// (it probes for its optional native part) that in-process users never need.
let packer: Packr | undefined;
function packr(): Packr {
  if (packer === undefined) {
    const { Packr: PackrClass } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packer = new PackrClass({ useRecords: false, int64AsType: 'bigint', moreTypes: false });
  }
  return packer;
}

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

/** The index of a typed array's constructor in TYPED_ARRAYS: how its kind travels. */
function typedArrayKind(value: ArrayBufferView): number {
  return KIND_BY_CONSTRUCTOR.get(value.constructor) ?? TYPED_ARRAYS.findIndex((T) => value instanceof T);
}

const KIND_BY_CONSTRUCTOR = new Map<unknown, number>(TYPED_ARRAYS.map((T, i) => [T, i]));

/**
 * A DataView over a whole buffer, made once per buffer: decoders read a payload at its
 * `byteOffset` in it (a DataView per frame cost ≈0.1–0.3 µs, three of them per typed call).
 */
const bufferViews = new WeakMap<ArrayBufferLike, DataView>();
function viewOfBuffer(buffer: ArrayBufferLike): DataView {
  let view = bufferViews.get(buffer);
  if (view === undefined) bufferViews.set(buffer, (view = new DataView(buffer)));
  return view;
}

/** `count` elements of kind `kind` at `offset` in the payload: a view when aligned, else a copy. */
function typedArrayAt(payload: Uint8Array, kind: number, offset: number, count: number): TypedArray {
  const T = TYPED_ARRAYS[kind];
  if (T === undefined) throw new RangeError(`unknown typed array kind ${kind}`);
  const byteLength = count * T.BYTES_PER_ELEMENT;
  if (offset + byteLength > payload.byteLength) throw new RangeError('typed array runs past the end of the frame');
  const byteOffset = payload.byteOffset + offset;
  return byteOffset % T.BYTES_PER_ELEMENT === 0
    ? new T(payload.buffer as ArrayBuffer, byteOffset, count)
    : new T(payload.slice(offset, offset + byteLength).buffer as ArrayBuffer);
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && typeof (value as Placeholder).$ta === 'number';
}

export interface Encoded {
  readonly parts: Uint8Array[];
  readonly byteLength: number;
  /** Bytes carried as raw typed-array data. */
  readonly rawBytes: number;
  /**
   * A filled typed call (kind 4), which may be published before its arrays are written: where
   * its stream words and its stream begin (the parts before `streamStart` are its head and strings).
   */
  readonly fill?: { readonly wordsAt: number; readonly streamStart: number };
}

/** Encodes `message`; typed arrays anywhere in it (not nested in other typed arrays) travel raw. */
export function encode(message: unknown): Encoded {
  const raws: Uint8Array[] = [];
  let rawLength = 0;
  const replace = (value: unknown): unknown => {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const kind = typedArrayKind(value);
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
  const packed = packr().pack(replace(message)) as Uint8Array;
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
  const message = packr().unpack(payload.subarray(4, 4 + packedLength)) as unknown;
  const rawStart = 4 + packedLength + ((8 - ((4 + packedLength) % 8)) % 8);
  const restore = (value: unknown): unknown => {
    if (isPlaceholder(value)) {
      return typedArrayAt(payload, value.$ta, rawStart + value.o, value.n);
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

/**
 * The hot path's own layout: calls whose arguments are all numbers or BigInts, and answers that
 * are a number, a BigInt or nothing, skip msgpack. They start with a length word no msgpack
 * part can have (0xffffffff), then fixed fields:
 *
 *   call:   marker u32 | kind u8 | argc u8 | module u16 | id u32 | export u32 | t f64 | d f64 (NaN: none) | sandbox u32 | pad 4 | argc × (tag u8, pad 7, value 8)
 *   answer: marker u32 | kind u8 | tag u8 | pad 2     | id u32 | q f64 | value 8
 */
export const BINARY = 0xffffffff;
/** The byte after the marker: which binary frame this is. */
const NUMERIC_CALL = 1;
const NUMERIC_ANSWER = 2;
const TYPED_CALL = 3;
/**
 * A typed call of at least FILL_MIN_BYTES of typed arrays: as kind 3, its strings first, then
 * five stream words after the signature (argument-stream.ts) and its arrays as one stream whose
 * offsets count from the stream's start. Encoded whole (window = total = arrived); the pool may
 * publish it with nothing arrived and write the arrays as the worker reads them, through a
 * window smaller than the arrays (worker-link.ts fillInPlace). Its arrays decode as
 * ArrivingArrays, copied into guest memory as they arrive.
 */
const TYPED_CALL_FILLED = 4;
export const FILL_MIN_BYTES = 1024 * 1024;
const TAG_F64 = 0;
const TAG_I64 = 1;
const TAG_NONE = 2;
const ARGS_AT = 40;

export interface NumericCall {
  readonly id: number;
  readonly module: number;
  readonly exportIndex: number;
  readonly t: number;
  readonly d: number | undefined;
  /** Tenant sandbox id, 0 for the module's shared instance. */
  readonly sandbox: number;
  readonly args: readonly (number | bigint)[];
}

/** The header numeric (kind 1) and typed (kind 3) calls share. */
function writeCallHeader(view: DataView, at: number, kind: number, call: Omit<NumericCall, 'args'> & { readonly args: readonly unknown[] }): void {
  view.setUint32(at, BINARY, true);
  view.setUint8(at + 4, kind);
  view.setUint8(at + 5, call.args.length);
  view.setUint16(at + 6, call.module, true);
  view.setUint32(at + 8, call.id, true);
  view.setUint32(at + 12, call.exportIndex, true);
  view.setFloat64(at + 16, call.t, true);
  view.setFloat64(at + 24, call.d ?? Number.NaN, true);
  view.setUint32(at + 32, call.sandbox, true);
}

/**
 * A decoded call, built field by field in one shape for both kinds: this runs for every call,
 * and building it with object spread cost ≈0.8–1.3 µs a call.
 */
function callFromHeader<A extends readonly unknown[]>(view: DataView, args: A, signature: TypedCall['signature'] | undefined, at = 0) {
  const d = view.getFloat64(at + 24, true);
  return {
    id: view.getUint32(at + 8, true),
    module: view.getUint16(at + 6, true),
    exportIndex: view.getUint32(at + 12, true),
    t: view.getFloat64(at + 16, true),
    d: Number.isNaN(d) ? undefined : d,
    sandbox: view.getUint32(at + 32, true),
    args,
    signature,
  };
}

export function isNumeric(args: readonly unknown[]): args is readonly (number | bigint)[] {
  if (args.length > 255) return false;
  for (const a of args) if (typeof a !== 'number' && typeof a !== 'bigint') return false;
  return true;
}

export function numericCallBytes(argc: number): number {
  return ARGS_AT + 16 * argc;
}

/** Writes a binary call at `at` in `view` (a reserved ring payload, or a fresh buffer). */
export function writeNumericCall(view: DataView, at: number, call: NumericCall): void {
  writeCallHeader(view, at, NUMERIC_CALL, call);
  for (let i = 0; i < call.args.length; i++) {
    const arg = call.args[i]!;
    const slot = at + ARGS_AT + 16 * i;
    if (typeof arg === 'bigint') {
      view.setUint8(slot, TAG_I64);
      view.setBigInt64(slot + 8, BigInt.asIntN(64, arg), true);
    } else {
      view.setUint8(slot, TAG_F64);
      view.setFloat64(slot + 8, arg, true);
    }
  }
}

export function encodeNumericCall(call: NumericCall): Encoded {
  const bytes = new Uint8Array(numericCallBytes(call.args.length));
  writeNumericCall(new DataView(bytes.buffer), 0, call);
  return { parts: [bytes], byteLength: bytes.byteLength, rawBytes: 0 };
}

/** Undefined when the payload is not a binary call. */
export function decodeNumericCall(payload: Uint8Array): NumericCall | undefined {
  return decodeNumericCallAt(viewOfBuffer(payload.buffer), payload.byteOffset, payload.byteLength);
}

/** decodeNumericCall on `length` bytes at `at` in `view` (a ring's, read in place). */
export function decodeNumericCallAt(view: DataView, at: number, length: number): NumericCall | undefined {
  if (length < ARGS_AT || view.getUint32(at, true) !== BINARY || view.getUint8(at + 4) !== NUMERIC_CALL) return undefined;
  const argc = view.getUint8(at + 5);
  if (length < ARGS_AT + 16 * argc) throw new RangeError('binary call shorter than its argument count');
  const args: (number | bigint)[] = [];
  for (let i = 0; i < argc; i++) {
    const slot = at + ARGS_AT + 16 * i;
    args.push(view.getUint8(slot) === TAG_I64 ? view.getBigInt64(slot + 8, true) : view.getFloat64(slot + 8, true));
  }
  return callFromHeader(view, args, undefined, at);
}

/**
 * Typed calls (typed arrays, strings and numbers under an AssemblyScript signature given in
 * plain type names) skip msgpack too: the binary call header with kind 3, argument slots whose
 * tag says f64, i64, typed array (kind, offset, length) or UTF-8 string (offset, bytes), the
 * signature as text (its length at header offset 36) right after the slots, then the raw bytes,
 * each 8-byte aligned.
 */
const TAG_TYPED = 3;
const TAG_STRING = 4;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const signatureTexts = new WeakMap<object, string | null>();

export interface TypedCall extends Omit<NumericCall, 'args'> {
  readonly args: readonly unknown[];
  readonly signature: { readonly params: readonly string[]; readonly result?: string };
  /** A filled call's array stream (its worker finishes it once done with the call, read or not). */
  readonly stream?: StreamReader;
}

/** The signature as text, or null when it cannot travel in the binary layout (typed params with explicit ids). */
function signatureText(signature: { readonly params: readonly unknown[]; readonly result?: unknown }): string | null {
  let text = signatureTexts.get(signature);
  if (text !== undefined) return text;
  const plain = signature.params.every((p) => typeof p === 'string') && (signature.result === undefined || typeof signature.result === 'string');
  text = plain ? `${(signature.params as string[]).join('\u0001')}\u0002${(signature.result as string | undefined) ?? ''}` : null;
  signatureTexts.set(signature, text);
  return text;
}

/** The binary encoding of a typed call, or undefined when an argument or the signature needs msgpack. */
export function encodeTypedCall(call: TypedCall): Encoded | undefined {
  const sig = signatureText(call.signature);
  if (sig === null || call.args.length > 255) return undefined;
  const sigBytes = signatureBytes(sig);
  let typedBytes = 0;
  for (const arg of call.args) if (ArrayBuffer.isView(arg)) typedBytes += arg.byteLength;
  const filled = typedBytes >= FILL_MIN_BYTES;
  const headBytes = ARGS_AT + 16 * call.args.length + sigBytes.byteLength;
  const wordsAt = (headBytes + 3) & ~3;
  const headEnd = filled ? wordsAt + STREAM_WORD_BYTES : headBytes;
  const rawStart = (headEnd + 7) & ~7;
  const { head, view, base: b } = headSlice(rawStart);
  writeCallHeader(view, b, filled ? TYPED_CALL_FILLED : TYPED_CALL, call);
  view.setUint32(b + 36, sigBytes.byteLength, true);
  head.set(sigBytes, ARGS_AT + 16 * call.args.length);
  const parts: Uint8Array[] = [head];
  let at = rawStart;
  const place = (bytes: Uint8Array): number => {
    const offset = at;
    parts.push(bytes);
    at += bytes.byteLength;
    const pad = (8 - (at % 8)) % 8;
    if (pad > 0) {
      parts.push(new Uint8Array(pad));
      at += pad;
    }
    return offset;
  };
  // Strings' bytes first, then the arrays': a worker decodes strings before the call, arrays as
  // it copies them, so in a filled frame the strings must not wait behind the arrays.
  for (let i = 0; i < call.args.length; i++) {
    const arg = call.args[i];
    const slot = ARGS_AT + 16 * i;
    if (typeof arg === 'number') {
      view.setUint8(b + slot, TAG_F64);
      view.setFloat64(b + slot + 8, arg, true);
    } else if (typeof arg === 'bigint') {
      view.setUint8(b + slot, TAG_I64);
      view.setBigInt64(b + slot + 8, BigInt.asIntN(64, arg), true);
    } else if (typeof arg === 'string') {
      const bytes = utf8.encode(arg);
      view.setUint8(b + slot, TAG_STRING);
      view.setUint32(b + slot + 4, place(bytes), true);
      view.setUint32(b + slot + 8, bytes.byteLength, true);
    } else if (!ArrayBuffer.isView(arg) || arg instanceof DataView) {
      return undefined; // arrays, objects, booleans: msgpack
    }
  }
  // In a filled frame the arrays are one stream, their offsets counted from its start.
  const streamStart = filled ? at : 0;
  for (let i = 0; i < call.args.length; i++) {
    const arg = call.args[i];
    if (!ArrayBuffer.isView(arg)) continue;
    const slot = ARGS_AT + 16 * i;
    view.setUint8(b + slot, TAG_TYPED);
    view.setUint8(b + slot + 1, typedArrayKind(arg));
    view.setUint32(b + slot + 4, place(new Uint8Array(arg.buffer, arg.byteOffset, arg.byteLength)) - streamStart, true);
    view.setUint32(b + slot + 8, (arg as TypedArray).length, true);
  }
  if (!filled) return { parts, byteLength: at, rawBytes: at - rawStart };
  // Complete, wherever this frame is copied to: all arrived, one window of it all.
  const total = at - streamStart;
  view.setUint32(b + wordsAt + 4 * STREAM_WORDS.arrived, total, true);
  view.setUint32(b + wordsAt + 4 * STREAM_WORDS.consumed, 0, true);
  view.setUint32(b + wordsAt + 4 * STREAM_WORDS.window, total, true);
  view.setUint32(b + wordsAt + 4 * STREAM_WORDS.start, streamStart, true);
  view.setUint32(b + wordsAt + 4 * STREAM_WORDS.total, total, true);
  return { parts, byteLength: at, rawBytes: at - rawStart, fill: { wordsAt, streamStart } };
}

/**
 * Heads of typed calls are cut from a shared slab: a fresh small ArrayBuffer per call cost more
 * than the rest of the encoding (≈1 µs: larger than V8's on-heap typed arrays). Slices are
 * never handed out twice, so a frame that keeps its head (queued, or sent again) keeps it whole.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(0);
let slabView = new DataView(slab.buffer);
let slabTop = 0;

function headSlice(bytes: number): { head: Uint8Array; view: DataView; base: number } {
  if (bytes > SLAB_BYTES / 8) {
    const own = new Uint8Array(bytes);
    return { head: own, view: new DataView(own.buffer), base: 0 };
  }
  if (slabTop + bytes > slab.byteLength) {
    slab = new Uint8Array(SLAB_BYTES);
    slabView = new DataView(slab.buffer);
    slabTop = 0;
  }
  const base = slabTop;
  slabTop += bytes; // a multiple of 8: every head starts 8-aligned
  return { head: slab.subarray(base, base + bytes), view: slabView, base };
}

const signatureUtf8 = new Map<string, Uint8Array>();

/** A signature's UTF-8, encoded once (a call's signature is usually one of a few). */
function signatureBytes(text: string): Uint8Array {
  let bytes = signatureUtf8.get(text);
  if (bytes === undefined) {
    bytes = utf8.encode(text);
    if (signatureUtf8.size < 1024) signatureUtf8.set(text, bytes);
  }
  return bytes;
}

type ParsedSignature = { readonly params: readonly string[]; readonly result?: string };
const parsedSignatures = new Map<string, ParsedSignature>();
/** The signatures met last, by their bytes: most calls carry one of a few, and decoding the text cost more than comparing it. */
const recentSignatures: { readonly bytes: Uint8Array; readonly signature: ParsedSignature }[] = [];

/** The parsed signature of `length` bytes at `at` (one object per text: typed calls are cached by it). */
function signatureAt(payload: Uint8Array, at: number, length: number): ParsedSignature {
  for (const recent of recentSignatures) {
    const bytes = recent.bytes;
    if (bytes.length !== length) continue;
    let i = 0;
    while (i < length && bytes[i] === payload[at + i]) i++;
    if (i === length) return recent.signature;
  }
  const sig = utf8Decoder.decode(payload.subarray(at, at + length));
  let signature = parsedSignatures.get(sig);
  if (signature === undefined) {
    const [params, result] = sig.split('\u0002') as [string, string];
    signature = { params: params === '' ? [] : params.split('\u0001'), ...(result === '' ? {} : { result }) };
    if (parsedSignatures.size < 1024) parsedSignatures.set(sig, signature);
  }
  if (recentSignatures.length >= 8) recentSignatures.shift();
  recentSignatures.push({ bytes: payload.slice(at, at + length), signature });
  return signature;
}

/** Undefined when the payload is not a binary typed call. Typed arrays are views into the payload. */
export function decodeTypedCall(payload: Uint8Array): TypedCall | undefined {
  if (payload.byteLength < ARGS_AT) return undefined;
  const view = viewOfBuffer(payload.buffer);
  const b = payload.byteOffset;
  const kind = view.getUint8(b + 4);
  if (view.getUint32(b, true) !== BINARY || (kind !== TYPED_CALL && kind !== TYPED_CALL_FILLED)) return undefined;
  const argc = view.getUint8(b + 5);
  const sigLength = view.getUint32(b + 36, true);
  const sigAt = ARGS_AT + 16 * argc;
  if (sigAt + sigLength > payload.byteLength) throw new RangeError('typed call shorter than its arguments and signature');
  let stream: StreamReader | undefined;
  if (kind === TYPED_CALL_FILLED) {
    const wordsAt = (sigAt + sigLength + 3) & ~3;
    if (wordsAt + STREAM_WORD_BYTES > payload.byteLength || (payload.byteOffset + wordsAt) % 4 !== 0) throw new RangeError('filled typed call without its stream words');
    stream = new StreamReader(new Int32Array(payload.buffer, payload.byteOffset + wordsAt, STREAM_WORD_BYTES / 4), payload, (wordsAt + STREAM_WORD_BYTES + 7) & ~7);
  }
  const signature = signatureAt(payload, sigAt, sigLength);
  const args: unknown[] = [];
  for (let i = 0; i < argc; i++) {
    const slot = ARGS_AT + 16 * i;
    const tag = view.getUint8(b + slot);
    if (tag === TAG_F64) args.push(view.getFloat64(b + slot + 8, true));
    else if (tag === TAG_I64) args.push(view.getBigInt64(b + slot + 8, true));
    else {
      const offset = view.getUint32(b + slot + 4, true);
      const count = view.getUint32(b + slot + 8, true);
      if (tag === TAG_STRING) {
        if (offset + count > payload.byteLength) throw new RangeError('string runs past the end of the frame');
        args.push(utf8Decoder.decode(payload.subarray(offset, offset + count)));
      } else if (tag === TAG_TYPED) {
        const typedKind = view.getUint8(b + slot + 1);
        if (stream === undefined) args.push(typedArrayAt(payload, typedKind, offset, count));
        else {
          const T = TYPED_ARRAYS[typedKind];
          if (T === undefined) throw new RangeError(`unknown typed array kind ${typedKind}`);
          const bytes = count * T.BYTES_PER_ELEMENT;
          if (offset + bytes > stream.total) throw new RangeError('typed array runs past the end of the stream');
          const from = stream;
          args.push(new ArrivingArray(T, count, (into, at) => from.read(offset, bytes, into, at)));
        }
      } else {
        throw new RangeError(`unknown argument tag ${tag}`);
      }
    }
  }
  const call = callFromHeader(view, args, signature, b) as TypedCall;
  return stream === undefined ? call : { ...call, stream };
}

export function isNumericValue(value: unknown): value is number | bigint | undefined {
  return value === undefined || typeof value === 'number' || typeof value === 'bigint';
}

export const NUMERIC_ANSWER_BYTES = 32;

export function writeNumericAnswer(view: DataView, at: number, id: number, q: number, value: number | bigint | undefined): void {
  view.setUint32(at, BINARY, true);
  view.setUint8(at + 4, NUMERIC_ANSWER);
  view.setUint8(at + 5, value === undefined ? TAG_NONE : typeof value === 'bigint' ? TAG_I64 : TAG_F64);
  view.setUint32(at + 8, id, true);
  view.setFloat64(at + 16, q, true);
  if (typeof value === 'bigint') view.setBigInt64(at + 24, BigInt.asIntN(64, value), true);
  else if (typeof value === 'number') view.setFloat64(at + 24, value, true);
}

export function encodeNumericAnswer(id: number, q: number, value: number | bigint | undefined): Encoded {
  const bytes = new Uint8Array(NUMERIC_ANSWER_BYTES);
  writeNumericAnswer(new DataView(bytes.buffer), 0, id, q, value);
  return { parts: [bytes], byteLength: NUMERIC_ANSWER_BYTES, rawBytes: 0 };
}

/** A numeric answer read in place (decodeNumericAnswerAt): one object, filled again for each. */
export interface NumericAnswer {
  id: number;
  q: number;
  value: number | bigint | undefined;
}

/** Reads a numeric answer of `length` bytes at `at` in `view` into `into`; false when it is no numeric answer. */
export function decodeNumericAnswerAt(view: DataView, at: number, length: number, into: NumericAnswer): boolean {
  if (length !== NUMERIC_ANSWER_BYTES || view.getUint32(at, true) !== BINARY || view.getUint8(at + 4) !== NUMERIC_ANSWER) return false;
  const tag = view.getUint8(at + 5);
  into.id = view.getUint32(at + 8, true);
  into.q = view.getFloat64(at + 16, true);
  into.value = tag === TAG_NONE ? undefined : tag === TAG_I64 ? view.getBigInt64(at + 24, true) : view.getFloat64(at + 24, true);
  return true;
}

export function decodeNumericAnswer(payload: Uint8Array): NumericAnswer | undefined {
  const answer: NumericAnswer = { id: 0, q: 0, value: undefined };
  return decodeNumericAnswerAt(viewOfBuffer(payload.buffer), payload.byteOffset, payload.byteLength, answer) ? answer : undefined;
}

/**
 * Requests larger than a ring frame travel as chunks: marker 0xfffffffe | call id u32 |
 * total bytes u32 | offset u32 | chunk bytes. The worker reassembles them, then decodes the
 * whole payload as if it had come in one frame.
 */
export const CHUNK = 0xfffffffe;
export const CHUNK_HEADER = 16;

export function splitIntoChunks(id: number, encoded: Encoded, maxPayload: number): Encoded[] {
  const room = maxPayload - CHUNK_HEADER;
  const chunks: Encoded[] = [];
  let offset = 0;
  let part = 0;
  let within = 0;
  while (offset < encoded.byteLength) {
    const size = Math.min(room, encoded.byteLength - offset);
    const header = new Uint8Array(CHUNK_HEADER);
    const view = new DataView(header.buffer);
    view.setUint32(0, CHUNK, true);
    view.setUint32(4, id, true);
    view.setUint32(8, encoded.byteLength, true);
    view.setUint32(12, offset, true);
    const parts: Uint8Array[] = [header];
    let left = size;
    while (left > 0) {
      const source = encoded.parts[part]!;
      const take = Math.min(left, source.byteLength - within);
      parts.push(source.subarray(within, within + take));
      within += take;
      left -= take;
      if (within === source.byteLength) {
        part++;
        within = 0;
      }
    }
    chunks.push({ parts, byteLength: CHUNK_HEADER + size, rawBytes: 0 });
    offset += size;
  }
  return chunks;
}

export interface Chunk {
  readonly id: number;
  readonly total: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export function decodeChunk(payload: Uint8Array): Chunk | undefined {
  if (payload.byteLength < CHUNK_HEADER) return undefined;
  const view = viewOfBuffer(payload.buffer);
  const at = payload.byteOffset;
  if (view.getUint32(at, true) !== CHUNK) return undefined;
  return { id: view.getUint32(at + 4, true), total: view.getUint32(at + 8, true), offset: view.getUint32(at + 12, true), bytes: payload.subarray(CHUNK_HEADER) };
}

import { describe, expect, it } from 'vitest';
import { ArrivingArray } from '../src/host/arriving-array.js';
import { STREAM_WORDS } from '../src/pool/argument-stream.js';
import { decode, decodeNumericCall, decodeTypedCall, encode, encodeTypedCall, FILL_MIN_BYTES, type Encoded, type TypedCall } from '../src/pool/codec.js';

function join({ parts, byteLength }: Encoded): Uint8Array {
  const payload = new Uint8Array(byteLength);
  let at = 0;
  for (const part of parts) {
    payload.set(part, at);
    at += part.byteLength;
  }
  return payload;
}

function roundTrip<T>(message: T): T {
  const { parts, byteLength } = encode(message);
  const payload = new Uint8Array(byteLength);
  let at = 0;
  for (const part of parts) {
    payload.set(part, at);
    at += part.byteLength;
  }
  return decode<T>(payload);
}

describe('codec', () => {
  it('round-trips structured values, i64 as BigInt', () => {
    const message = { k: 1, id: 42, export: 'add', args: [1, -5, 2 ** 40, 1.5, 2n ** 60n, -(2n ** 62n), 'str', null, true, { nested: [1, 'x'] }] };
    expect(roundTrip(message)).toEqual(message);
  });

  it('round-trips every typed array kind byte for byte, including odd lengths and offsets', () => {
    const source = new Uint8Array(257).map((_, i) => (i * 37 + 11) & 0xff);
    const arrays = [
      source.subarray(1, 200),
      new Int8Array(source.buffer, 3, 5),
      new Uint8ClampedArray([0, 255, 128]),
      new Int16Array([-1, 2, 32767]),
      new Uint16Array([65535, 0]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([2 ** 32 - 1]),
      new Float32Array([Math.PI, -0, Number.NaN]),
      Float64Array.from({ length: 1000 }, (_, i) => i / 3),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([2n ** 64n - 1n]),
    ];
    const back = roundTrip({ arrays });
    back.arrays.forEach((array, i) => {
      const original = arrays[i]!;
      expect(array.constructor).toBe(original.constructor);
      expect(Buffer.from(array.buffer, array.byteOffset, array.byteLength)).toEqual(Buffer.from(original.buffer, original.byteOffset, original.byteLength));
    });
  });

  it('carries typed arrays as raw bytes, viewed in place when aligned', () => {
    const values = Float64Array.from({ length: 4096 }, (_, i) => i);
    const encoded = encode({ args: [values] });
    expect(encoded.rawBytes).toBe(values.byteLength);
    expect(encoded.byteLength).toBeLessThan(values.byteLength + 64);
    const payload = new Uint8Array(encoded.byteLength);
    let at = 0;
    for (const part of encoded.parts) {
      payload.set(part, at);
      at += part.byteLength;
    }
    const decoded = decode<{ args: [Float64Array] }>(payload).args[0];
    expect(decoded.buffer).toBe(payload.buffer); // a view, not a copy
    expect(decoded[4095]).toBe(4095);
  });

  it('refuses frames whose lengths do not add up', () => {
    const bad = new Uint8Array(8);
    new DataView(bad.buffer).setUint32(0, 100, true);
    expect(() => decode(bad)).toThrow(/msgpack length 100 exceeds the 8-byte frame/);
  });

  it('carries typed calls in the binary layout: numbers, BigInts, strings and typed arrays, byte for byte', () => {
    const odd = new Uint8Array([1, 2, 3, 4, 5, 6, 7]).subarray(1, 6); // unaligned source view
    const call: TypedCall = {
      id: 0x7fffffff, module: 3, exportIndex: 9, t: 1234.5, d: undefined, sandbox: 7,
      args: [1.5, -(2n ** 63n), 'a😀b', Float64Array.of(0.1, -0, Number.NaN), odd, new Int16Array([-1, 2, -3]), ''],
      signature: { params: ['f64', 'i64', 'string', 'Float64Array', 'Uint8Array', 'Int16Array', 'string'], result: 'Array<i32>' },
    };
    const encoded = encodeTypedCall(call)!;
    const payload = join(encoded);
    expect(payload.byteLength % 8).toBe(0);
    expect(decodeNumericCall(payload)).toBeUndefined(); // a different kind of binary frame
    const back = decodeTypedCall(payload)!;
    expect({ ...back, args: undefined }).toEqual({ ...call, args: undefined });
    expect(back.args.slice(0, 3)).toEqual([1.5, -(2n ** 63n), 'a😀b']);
    const doubles = back.args[3] as Float64Array;
    expect(doubles).toBeInstanceOf(Float64Array);
    expect(new Uint8Array(doubles.buffer, doubles.byteOffset, doubles.byteLength)).toEqual(new Uint8Array(Float64Array.of(0.1, -0, Number.NaN).buffer));
    expect(doubles.buffer).toBe(payload.buffer); // a view into the frame, not a copy
    expect([...(back.args[4] as Uint8Array)]).toEqual([2, 3, 4, 5, 6]);
    expect([...(back.args[5] as Int16Array)]).toEqual([-1, 2, -3]);
    expect(back.args[6]).toBe('');
  });

  it('makes a typed call of at least 1 MiB of arrays a filled frame: strings with the head, arrays as one stream, decoded as arriving arrays', () => {
    const base = { id: 5, module: 0, exportIndex: 2, t: 1, d: undefined, sandbox: 0 };
    const big = Float64Array.from({ length: FILL_MIN_BYTES / 8 + 3 }, (_, i) => i);
    const small = Float64Array.of(0.5, 2);
    expect(encodeTypedCall({ ...base, args: [Float64Array.of(1)], signature: { params: ['Float64Array'] } })!.fill).toBeUndefined();
    const encoded = encodeTypedCall({ ...base, args: [big, small, 'label'], signature: { params: ['Float64Array', 'Float64Array', 'string'], result: 'f64' } })!;
    const { wordsAt, streamStart } = encoded.fill!;
    // The head and the string come before the stream, which is the two arrays (8-aligned), and complete as encoded.
    const payload = join(encoded);
    const words = new DataView(payload.buffer, wordsAt, 20);
    const total = big.byteLength + small.byteLength;
    expect(encoded.byteLength).toBe(streamStart + total);
    expect([STREAM_WORDS.arrived, STREAM_WORDS.consumed, STREAM_WORDS.window, STREAM_WORDS.start, STREAM_WORDS.total].map((w) => words.getUint32(4 * w, true))).toEqual([total, 0, total, streamStart, total]);
    const back = decodeTypedCall(payload)!;
    expect(back.args[2]).toBe('label');
    const [first, second] = back.args as [ArrivingArray, ArrivingArray];
    expect([first.type, first.length, second.type, second.length]).toEqual([Float64Array, big.length, Float64Array, 2]);
    // Read into guest-memory-like bytes at any offset: the exact bytes, in order.
    const into = new Uint8Array(total + 16);
    first.copyInto(into, 8);
    second.copyInto(into, 8 + big.byteLength);
    expect(new Float64Array(into.buffer, 8, big.length)).toEqual(big);
    expect([...new Float64Array(into.buffer, 8 + big.byteLength, 2)]).toEqual([0.5, 2]);
    expect(() => second.copyInto(new Uint8Array(8), 0)).toThrow(RangeError);
    // A frame no thread is still writing (gathered from chunks) that names bytes it lacks: refused, not waited on.
    const short = join(encoded);
    new DataView(short.buffer).setUint32(wordsAt + 4 * STREAM_WORDS.arrived, 8, true);
    expect(() => (decodeTypedCall(short)!.args[0] as ArrivingArray).copyInto(new Uint8Array(big.byteLength), 0)).toThrow(/short of the bytes/);
    // A window that runs past the frame, or a stream start inside the head: malformed.
    for (const [word, value] of [[STREAM_WORDS.window, total + 8], [STREAM_WORDS.start, 8], [STREAM_WORDS.window, 0]] as const) {
      const bad = join(encoded);
      new DataView(bad.buffer).setUint32(wordsAt + 4 * word, value, true);
      expect(() => decodeTypedCall(bad)).toThrow(/malformed stream window/);
    }
  });

  it('leaves typed calls the binary layout cannot carry to msgpack', () => {
    const base = { id: 1, module: 0, exportIndex: 0, t: 0, d: undefined, sandbox: 0 };
    expect(encodeTypedCall({ ...base, args: [[1, 2]], signature: { params: ['Array<i32>'] } })).toBeUndefined();
    expect(encodeTypedCall({ ...base, args: [true], signature: { params: ['i32'] } })).toBeUndefined();
    expect(encodeTypedCall({ ...base, args: [new Int32Array(1)], signature: { params: [{ type: 'Int32Array', id: 4 }] } as unknown as TypedCall['signature'] })).toBeUndefined();
  });

  it('refuses a typed call whose lengths run past its frame', () => {
    const payload = join(encodeTypedCall({ id: 1, module: 0, exportIndex: 0, t: 0, d: undefined, sandbox: 0, args: [new Float64Array(4)], signature: { params: ['Float64Array'] } })!);
    expect(() => decodeTypedCall(payload.subarray(0, payload.byteLength - 8))).toThrow(RangeError);
  });
});

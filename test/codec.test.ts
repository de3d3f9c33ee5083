import { describe, expect, it } from 'vitest';
import { arrivalOf } from '../src/host/arriving-bytes.js';
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

  it('makes a typed call of at least 1 MiB of arrays a filled frame: whole as encoded, its arrays waiting for the bytes its writer has yet to publish', () => {
    const base = { id: 5, module: 0, exportIndex: 2, t: 1, d: undefined, sandbox: 0 };
    const big = Float64Array.from({ length: FILL_MIN_BYTES / 8 + 3 }, (_, i) => i);
    const small = Float64Array.of(0.5, 2);
    expect(encodeTypedCall({ ...base, args: [Float64Array.of(1)], signature: { params: ['Float64Array'] } })!.fill).toBeUndefined();
    // With a string after the arrays: decoded from a plain buffer, complete as encoded.
    const withLabel = encodeTypedCall({ ...base, args: [big, small, 'label'], signature: { params: ['Float64Array', 'Float64Array', 'string'], result: 'f64' } })!;
    expect(withLabel.fill).toBeDefined();
    expect(withLabel.parts[0]!.byteLength).toBe(withLabel.fill!.rawStart);
    const whole = decodeTypedCall(join(withLabel))!;
    expect(whole.args[2]).toBe('label');
    expect([...(whole.args[1] as Float64Array)]).toEqual([0.5, 2]);
    expect(arrivalOf(whole.args[0] as Float64Array)!(8)).toBe(big.byteLength);
    // Published with nothing arrived yet, in shared memory as the ring is: decoding does not
    // wait for arrays (only for strings); each array reports what of it has arrived.
    const encoded = encodeTypedCall({ ...base, args: [big, small], signature: { params: ['Float64Array', 'Float64Array'], result: 'f64' } })!;
    const shared = new Uint8Array(new SharedArrayBuffer(encoded.byteLength));
    shared.set(join(encoded));
    const arrived = new Int32Array(shared.buffer, encoded.fill!.arrivedAt, 1);
    Atomics.store(arrived, 0, 0);
    const back = decodeTypedCall(shared)!;
    const [first, second] = back.args as [Float64Array, Float64Array];
    expect(first.buffer).toBe(shared.buffer); // views, as ever
    Atomics.store(arrived, 0, 4096);
    expect(arrivalOf(first)!(1000)).toBe(4096); // at least what was asked, all that is there
    Atomics.store(arrived, 0, encoded.rawBytes);
    expect(arrivalOf(first)!(1)).toBe(big.byteLength);
    expect(arrivalOf(second)!(16)).toBe(16);
    expect(arrivalOf(new Float64Array(4))).toBeUndefined(); // never marked: all there
    // A frame no thread is still writing (gathered from chunks) that names bytes it lacks: refused, not waited on.
    const short = join(withLabel);
    new DataView(short.buffer).setUint32(withLabel.fill!.arrivedAt, 8, true);
    const shortArgs = decodeTypedCall(short)!.args; // its string lies within the 8 bytes
    expect(() => arrivalOf(shortArgs[0] as Float64Array)!(8)).toThrow(/short of the bytes/);
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

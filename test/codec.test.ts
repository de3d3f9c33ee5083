import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/pool/codec.js';

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
});

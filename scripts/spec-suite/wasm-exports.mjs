// The function signatures of a module's exports, read from its binary: just enough of the
// format (types, imports, functions, exports) to retype arguments and results that
// SpiderMonkey's scripts left untyped. Returns undefined for what it cannot follow (GC types).

const VALUE_TYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

/** @returns {Map<string, { params: string[], results: string[] }> | undefined} */
export function exportSignatures(bytes) {
  let at = 8;
  const u32 = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const valueType = () => {
    const code = bytes[at++];
    if (code in VALUE_TYPES) return VALUE_TYPES[code];
    throw new RangeError(`value type 0x${code.toString(16)}`);
  };
  const limits = () => {
    const flags = u32();
    u32();
    if (flags & 1) u32();
  };
  const types = [];
  const functions = [];
  const exports = new Map();
  try {
    while (at < bytes.length) {
      const id = bytes[at++];
      const size = u32();
      const end = at + size;
      if (id === 1) {
        for (let n = u32(); n > 0; n--) {
          if (bytes[at++] !== 0x60) return undefined;
          const params = Array.from({ length: u32() }, valueType);
          const results = Array.from({ length: u32() }, valueType);
          types.push({ params, results });
        }
      } else if (id === 2) {
        for (let n = u32(); n > 0; n--) {
          for (let name = 0; name < 2; name++) {
            const length = u32(); // (`at += u32()` would add to the old `at`)
            at += length;
          }
          const kind = bytes[at++];
          if (kind === 0) functions.push(u32());
          else if (kind === 1) (valueType(), limits());
          else if (kind === 2) limits();
          else if (kind === 3) (valueType(), at++);
          else if (kind === 4) (at++, u32());
          else return undefined;
        }
      } else if (id === 3) {
        for (let n = u32(); n > 0; n--) functions.push(u32());
      } else if (id === 7) {
        for (let n = u32(); n > 0; n--) {
          const length = u32();
          const name = new TextDecoder().decode(bytes.subarray(at, at + length));
          at += length;
          const kind = bytes[at++];
          const index = u32();
          if (kind === 0 && types[functions[index]] !== undefined) exports.set(name, types[functions[index]]);
        }
      }
      at = end;
    }
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  return exports;
}

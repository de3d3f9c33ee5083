// asc: --exportRuntime
// Strings and arrays across the boundary (through @assemblyscript/loader).
export const Int32Array_ID = idof<Int32Array>();
export const ArrayI32_ID = idof<Array<i32>>();

export function reverse(s: string): string {
  let out = "";
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    // keep surrogate pairs in order so non-BMP characters survive
    if (i > 0 && (c & 0xfc00) == 0xdc00 && (s.charCodeAt(i - 1) & 0xfc00) == 0xd800) {
      out += s.substring(i - 1, i + 1);
      i--;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

export function greet(name: string): string {
  return "hello, " + name + "!";
}

export function doubled(values: Array<i32>): Array<i32> {
  const out = new Array<i32>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * 2;
  return out;
}

export function countBytes(values: Int32Array): i32 {
  return values.byteLength;
}

/** Appends `value` (an unsigned integer below 2^32) to `out` as unsigned LEB128. */
export function encodeU32(value: number, out: number[]): void {
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
}

/** Drops every custom section (the name section with it), as a stripped release build ships. */
export function stripCustomSections(bytes: Uint8Array): Uint8Array {
  const out: number[] = [...bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    let size = 0;
    let shift = 0;
    let p = at + 1;
    for (;;) {
      const b = bytes[p++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (id !== 0) out.push(...bytes.subarray(at, p + size));
    at = p + size;
  }
  return new Uint8Array(out);
}

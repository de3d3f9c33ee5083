// asc: --exportRuntime
// bench/macro's pipeline, first stage: delta-decodes a chunk (each byte the running sum of the
// deltas, mod 256), as a decompressor would hand bytes on. `decodeAt` works on fixed buffers.
export const Uint8Array_ID = idof<Uint8Array>();

const IN = new Uint8Array(1024 * 1024);
const OUT = new Uint8Array(1024 * 1024);

function decodeInto(src: usize, length: i32, dst: usize): void {
  let running: u32 = 0;
  for (let i = 0; i < length; i++) {
    running = (running + <u32>load<u8>(src + <usize>i)) & 0xff;
    store<u8>(dst + <usize>i, <u8>running);
  }
}

export function decode(chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(chunk.length);
  decodeInto(chunk.dataStart, chunk.length, out.dataStart);
  return out;
}

export function inputPtr(): usize {
  return IN.dataStart;
}

export function outputPtr(): usize {
  return OUT.dataStart;
}

export function decodeAt(length: i32): void {
  decodeInto(IN.dataStart, min(length, IN.length), OUT.dataStart);
}

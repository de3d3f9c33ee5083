// asc: --exportRuntime
// bench/macro's pipeline, second stage: an FNV-1a digest of a decoded chunk. `digestAt` works
// on a fixed buffer.
export const Uint8Array_ID = idof<Uint8Array>();

const IN = new Uint8Array(1024 * 1024);

function fnv1a(src: usize, length: i32): i32 {
  let hash: u32 = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = (hash ^ <u32>load<u8>(src + <usize>i)) * 0x01000193;
  return <i32>hash;
}

export function digest(chunk: Uint8Array): i32 {
  return fnv1a(chunk.dataStart, chunk.length);
}

export function inputPtr(): usize {
  return IN.dataStart;
}

export function digestAt(length: i32): i32 {
  return fnv1a(IN.dataStart, min(length, IN.length));
}

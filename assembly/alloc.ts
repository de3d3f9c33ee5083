// asc: --exportRuntime
// Allocation behaviour: churn that the GC reclaims, and a leak that it cannot.
const kept = new Array<ArrayBuffer>();

/** Allocates `count` short-lived buffers of `size` bytes; returns bytes allocated. */
export function churn(count: i32, size: i32): i32 {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const buffer = new ArrayBuffer(size);
    store<u8>(changetype<usize>(buffer), <u8>i);
    total += buffer.byteLength;
  }
  return total;
}

/** Allocates `count` buffers of `size` bytes and keeps them forever. */
export function leak(count: i32, size: i32): i32 {
  for (let i = 0; i < count; i++) kept.push(new ArrayBuffer(size));
  return kept.length;
}

export function keptCount(): i32 {
  return kept.length;
}

/** The sum of `length` bytes at `pointer` (input the host wrote in place, see GuestHeap). */
export function sumBytes(pointer: usize, length: i32): i32 {
  let total = 0;
  for (let i = 0; i < length; i++) total += load<u8>(pointer + i);
  return total;
}

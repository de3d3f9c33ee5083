// asc: --runtime stub
// A guest that never returns unless stopped from outside (fuel or a deadline).
let counter: i32 = 0;

export function spinForever(): void {
  while (true) {
    counter++;
  }
}

/** Loops `n` times: a bounded loop with the same shape, for comparison. */
export function spin(n: i32): i32 {
  for (let i = 0; i < n; i++) counter++;
  return counter;
}

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

/** Leaves its loop by `return`, by `break`, or by running out: every exit of a leaf loop. */
export function search(n: i32, target: i32, limit: i32): i32 {
  let found = -1;
  for (let i = 0; i < n; i++) {
    const x = (i * 7) % 101;
    if (x == target) return i;
    if (x > limit) {
      found = -2 - i;
      break;
    }
  }
  return found;
}

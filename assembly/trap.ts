// asc: --runtime stub
// Each export fails in a different way inside the guest.
export function unreachableTrap(): void {
  unreachable();
}

export function divide(a: i32, b: i32): i32 {
  return a / b;
}

export function loadAt(address: u32): i32 {
  return load<i32>(address);
}

export function recurse(n: i32): i32 {
  // no base case: exhausts the stack
  return recurse(n + 1) + 1;
}

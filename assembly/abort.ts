// asc: --exportRuntime
// A guest that rejects its input with a message, through AssemblyScript's abort().
export function checkPositive(n: i32): i32 {
  if (n <= 0) throw new Error("expected a positive number, got " + n.toString());
  return n;
}

export function log(n: i32): i32 {
  trace("guest says", 2, <f64>n, <f64>(n * 2));
  return n;
}

export function random(): f64 {
  return Math.random();
}

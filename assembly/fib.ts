// asc: --runtime stub
// A call-heavy guest: naive recursion, one wasm call per node of the tree.
export function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

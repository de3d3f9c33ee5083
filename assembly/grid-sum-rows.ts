// asc: --runtime stub
// The after of an optimisation, for `compare`'s interleaved A/B (grid-sum-columns.ts is the
// before, grid-sum-rows.ts the after): the same sum of an n×n grid, visited
// row by row (each step reads the next f64 in memory).
let data: StaticArray<f64> = new StaticArray<f64>(0);
let size: i32 = -1;

function prepare(n: i32): void {
  if (size == n) return;
  size = n;
  data = new StaticArray<f64>(n * n);
  for (let i = 0; i < n * n; i++) unchecked((data[i] = <f64>(i % 7)));
}

export function sum(n: i32): f64 {
  prepare(n);
  let total: f64 = 0;
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) total += unchecked(data[row * n + col]);
  }
  return total;
}

// asc: --exportRuntime
// Same arithmetic, two memory access orders: row-major is cache friendly, column-major strides.
let data: StaticArray<f64> = new StaticArray<f64>(0);
let size: i32 = 0;

export function init(n: i32): void {
  size = n;
  data = new StaticArray<f64>(n * n);
  for (let i = 0; i < n * n; i++) unchecked((data[i] = <f64>(i % 7)));
}

export function sumRowMajor(): f64 {
  let total: f64 = 0;
  const n = size;
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) total += unchecked(data[row * n + col]);
  }
  return total;
}

export function sumColumnMajor(): f64 {
  let total: f64 = 0;
  const n = size;
  for (let col = 0; col < n; col++) {
    for (let row = 0; row < n; row++) total += unchecked(data[row * n + col]);
  }
  return total;
}

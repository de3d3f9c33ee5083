// asc: --runtime stub
// Numeric arithmetic in every wasm value type, for argument parsing and raw calls.
export function add(a: i32, b: i32): i32 {
  return a + b;
}

export function addI64(a: i64, b: i64): i64 {
  return a + b;
}

export function addF32(a: f32, b: f32): f32 {
  return a + b;
}

export function addF64(a: f64, b: f64): f64 {
  return a + b;
}

export function sum4(a: i32, b: i32, c: i32, d: i32): i32 {
  return a + b + c + d;
}

export function sum6(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32): i32 {
  return a + b + c + d + e + f;
}

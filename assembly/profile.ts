// asc: --runtime stub --optimizeLevel 0
// A known shape for profiler accuracy: outer() spends ≈80 % in slow(), ≈10 % in fast(), and
// ≈10 % in a direct call of the kernel; all three are the same kernel with different trip counts.
let sink: f64 = 0;

function kernel(n: i32, seed: f64): f64 {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = x * 1.0000001 + <f64>(i & 7);
    if (x > 1e12) x = x * 1e-6;
  }
  return x;
}

export function slow(n: i32): f64 {
  return kernel(n * 8, 1.5);
}

export function fast(n: i32): f64 {
  return kernel(n, 2.5);
}

export function outer(n: i32): f64 {
  // Its own tenth runs in the same kernel, so that all three shares run the same machine code
  // whatever V8 has tiered up so far.
  sink = slow(n) + fast(n) + kernel(n, 0.5);
  return sink;
}

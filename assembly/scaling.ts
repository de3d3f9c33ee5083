// asc: --runtime stub --optimizeLevel 0
// Known complexities for the scaling fit (wasm-sandbox scale): each export's instruction count
// grows as its name says. Unoptimised so that every helper stays a function of its own.
let seed: u32 = 1;

function nextRandom(): i32 {
  // Numerical Recipes' LCG: the same data on every run, so instruction counts are exact.
  seed = seed * 1664525 + 1013904223;
  return <i32>(seed >>> 8);
}

/** O(N): the sum of 0..n-1. */
export function sumLinear(n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) total += <f64>i;
  return total;
}

function merge(values: StaticArray<i32>, scratch: StaticArray<i32>, lo: i32, mid: i32, hi: i32): void {
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const a = unchecked(values[i]), b = unchecked(values[j]);
    if (a <= b) { unchecked((scratch[k++] = a)); i++; } else { unchecked((scratch[k++] = b)); j++; }
  }
  while (i < mid) unchecked((scratch[k++] = values[i++]));
  while (j < hi) unchecked((scratch[k++] = values[j++]));
  for (let m = lo; m < hi; m++) unchecked((values[m] = scratch[m]));
}

function mergeSort(values: StaticArray<i32>, scratch: StaticArray<i32>, lo: i32, hi: i32): void {
  if (hi - lo < 2) return;
  const mid = lo + ((hi - lo) >> 1);
  mergeSort(values, scratch, lo, mid);
  mergeSort(values, scratch, mid, hi);
  merge(values, scratch, lo, mid, hi);
}

/** O(N log N): merge-sorts n pseudo-random integers; returns the smallest. */
export function sortNLogN(n: i32): i32 {
  seed = 1;
  const values = new StaticArray<i32>(n);
  const scratch = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) unchecked((values[i] = nextRandom()));
  mergeSort(values, scratch, 0, n);
  return n === 0 ? 0 : unchecked(values[0]);
}

/** O(N²): counts the pairs (i, j) whose sum is even. */
export function pairsQuadratic(n: i32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (((i + j) & 1) === 0) count++;
  }
  return count;
}

function work(i: i32): i32 {
  let x = i;
  for (let k = 0; k < 50; k++) x = (x * 31 + k) & 0xffff;
  return x;
}

function countDuplicates(m: i32): i32 {
  // Compares every pair: the quadratic helper a linear-looking export hides.
  let duplicates = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) if ((i * 7) % 13 === (j * 7) % 13) duplicates++;
  }
  return duplicates;
}

/** O(N) at the sizes measured (a loop of fixed work per item), with an O(N²) helper on n/64 items. */
export function linearWithQuadraticHelper(n: i32): i32 {
  let total = 0;
  for (let i = 0; i < n; i++) total += work(i);
  return total + countDuplicates(n >> 6);
}

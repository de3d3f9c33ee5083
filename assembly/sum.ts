// asc: --exportRuntime
// A loop-heavy guest over a typed array passed in from the host.
export const Float64Array_ID = idof<Float64Array>();

export function sumF64(values: Float64Array): f64 {
  let total: f64 = 0;
  for (let i = 0, n = values.length; i < n; i++) {
    total += unchecked(values[i]);
  }
  return total;
}

/** The same sum with four independent accumulators: bound by memory, not by add latency. */
export function sumF64x4(values: Float64Array): f64 {
  let a: f64 = 0, b: f64 = 0, c: f64 = 0, d: f64 = 0;
  const n = values.length;
  const base = values.dataStart;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = base + (<usize>i << 3);
    a += load<f64>(at);
    b += load<f64>(at, 8);
    c += load<f64>(at, 16);
    d += load<f64>(at, 24);
  }
  for (; i < n; i++) a += load<f64>(base + (<usize>i << 3));
  return (a + b) + (c + d);
}

/** Sums 0..n-1 without touching memory: a pure loop for instruction-count work. */
export function sumTo(n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) total += <f64>i;
  return total;
}

/** Returns a fresh array of squares: a typed array out. */
export function squares(n: i32): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = <f64>i * <f64>i;
  return out;
}

let series = new Float64Array(0);

/** Fills an internal array of `n` doubles: the data for sumSeries. */
export function fillSeries(n: i32): void {
  series = new Float64Array(n);
  for (let i = 0; i < n; i++) unchecked((series[i] = <f64>(i % 1000) * 0.5));
}

/** The loop-heavy benchmark kernel: one pass over the internal array. */
export function sumSeries(): f64 {
  let total: f64 = 0;
  const base = series.dataStart;
  const n = series.length;
  // Raw loads keep the loop free of calls whatever the optimizer inlines.
  for (let i = 0; i < n; i++) total += load<f64>(base + (<usize>i << 3));
  return total;
}

/** The same pass through checked element access: a loop that calls a helper per iteration. */
export function sumSeriesChecked(): f64 {
  let total: f64 = 0;
  const values = series;
  for (let i = 0, n = values.length; i < n; i++) total += values[i];
  return total;
}

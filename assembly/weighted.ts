// asc: --exportRuntime
// A guest taking a large array, a small one and a string in one call: the pool's filled
// requests (codec.ts kind 4) deliver each while later bytes are still being written.
export const Float64Array_ID = idof<Float64Array>();

/** Σ values[i] · weights[i mod weights.length], in index order, plus the label's length. */
export function weighted(values: Float64Array, weights: Float64Array, label: string): f64 {
  let total: f64 = 0;
  const period = weights.length;
  for (let i = 0, n = values.length; i < n; i++) total += unchecked(values[i]) * unchecked(weights[i % period]);
  return total + <f64>label.length;
}

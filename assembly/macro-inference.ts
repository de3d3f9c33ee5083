// asc: --exportRuntime
// bench/macro's inference kernel: a small dense network in f32 — 64 inputs, 128 hidden units
// (ReLU), 10 outputs — whose weights come from a fixed linear congruential sequence; returns the
// index of the largest output. `inferAt` reads its input from a fixed buffer.
export const Float32Array_ID = idof<Float32Array>();

const INPUTS = 64;
const HIDDEN = 128;
const OUTPUTS = 10;

const W1 = new Float32Array(INPUTS * HIDDEN);
const B1 = new Float32Array(HIDDEN);
const W2 = new Float32Array(HIDDEN * OUTPUTS);
const B2 = new Float32Array(OUTPUTS);
const HIDDEN_OUT = new Float32Array(HIDDEN);
const IN = new Float32Array(INPUTS);

let state: u32 = 12345;
function next(): f32 {
  state = state * 1664525 + 1013904223;
  return <f32>((<i32>(state >> 8) & 0xffff) - 0x8000) / <f32>0x8000 * <f32>0.2;
}
for (let i = 0; i < W1.length; i++) W1[i] = next();
for (let i = 0; i < B1.length; i++) B1[i] = next();
for (let i = 0; i < W2.length; i++) W2[i] = next();
for (let i = 0; i < B2.length; i++) B2[i] = next();

function run(input: usize): i32 {
  const w1 = W1.dataStart;
  const hidden = HIDDEN_OUT.dataStart;
  for (let h = 0; h < HIDDEN; h++) {
    let acc = unchecked(B1[h]);
    const row = w1 + (<usize>(h * INPUTS) << 2);
    for (let i = 0; i < INPUTS; i++) acc += load<f32>(row + (<usize>i << 2)) * load<f32>(input + (<usize>i << 2));
    store<f32>(hidden + (<usize>h << 2), acc > 0 ? acc : 0);
  }
  const w2 = W2.dataStart;
  let best = 0;
  let bestValue: f32 = -Infinity;
  for (let o = 0; o < OUTPUTS; o++) {
    let acc = unchecked(B2[o]);
    const row = w2 + (<usize>(o * HIDDEN) << 2);
    for (let h = 0; h < HIDDEN; h++) acc += load<f32>(row + (<usize>h << 2)) * load<f32>(hidden + (<usize>h << 2));
    if (acc > bestValue) {
      bestValue = acc;
      best = o;
    }
  }
  return best;
}

export function infer(input: Float32Array): i32 {
  return input.length < INPUTS ? -1 : run(input.dataStart);
}

export function inputPtr(): usize {
  return IN.dataStart;
}

export function inferAt(): i32 {
  return run(IN.dataStart);
}

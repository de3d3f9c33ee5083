// asc: --runtime stub
// bench/macro's batch job: a self-contained unit of integer work (xorshift rounds from a seed),
// many of them independent, as a batch queue would run.
export function job(seed: i32, rounds: i32): i32 {
  let x = <u32>seed | 1;
  let acc: u32 = 0;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    acc += x;
  }
  return <i32>acc;
}

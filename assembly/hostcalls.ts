// asc: --runtime stub
// A guest that asks the host for every item (one import call each) next to one that does the
// same work on its own: the analyzer's host-imports finding on a real call tree.
@external("host", "lookup")
declare function lookup(i: i32): i32;

/** One host call per item: the time is the host's. */
export function chatty(n: i32): i32 {
  let total = 0;
  for (let i = 0; i < n; i++) total += lookup(i);
  return total;
}

/** The same sum without leaving the guest. */
export function quiet(n: i32): i32 {
  let total = 0;
  for (let i = 0; i < n; i++) total += i & 7;
  return total;
}

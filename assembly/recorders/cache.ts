// The cache recorder: linked as a guest's memory and entry/exit hooks, it runs the cache model
// of src/profiler/build/cache-simulator.ts (D1 + LL set-associative LRU, reuse distance,
// strides, working sets, call-tree counters) on every event inside wasm, keeping its tables in
// its own memory. The host reads that memory after the call (wasm-cache-recorder.ts): no
// JavaScript runs per event. Every count equals the pure model's; tests compare the two.
//
// Hot state lives at fixed addresses (V8 reads a mutable wasm global of an instance called from
// another instance far slower than its memory): 1024 D1 tags, 1028 D1 set mask, 1032 D1 ways,
// 1036 log2 line bytes, 1040…1052 the same for LL, 1056 segment tails, 1064 lines in the reuse
// stack, 1068 tracked lines, 1072 line table, 1076 its capacity, 1080 frames, 1084 depth,
// 1088 frames' capacity, 1092 stride table, 1096 functions, 1100 node table, 1104 nodes used,
// 1108 nodes' capacity, 1112 current node, 1116 current function's streams, 1120 epoch (top-level
// call), 1128 f64 its working set, 1136 f64 cold touches, 1144 f64 untracked touches, 1152 f64
// dropped calls, 1160 reuse buckets, 1164 frames past the table, 1168… the fast paths' and the
// reuse clock's words (constants below).
//
// Tables (configure() lays them out):
//   D1 / LL tags   i32[sets·ways]   most recent first per set, -1 = empty
//   segment tails  u32[34]          time of the deepest line of each reuse-stack segment, 0 = none
//   frames         i32[depth]       node per open frame (-(parent+1) for a frame without a node)
//   streams        8 words per function and stream (load/store × width): last, previous delta,
//                                   candidate, votes (i64); deltas, repeats, maxBytes (f64); flags (i64)
//   nodes          NODE_BYTES each  parent, fn, firstChild, nextSibling (i32); calls, reads, writes,
//                                   d1r, d1w, llr, llw, workingSet (f64)
//   owners         i32[2·lines+2]   per time, the line whose latest touch it was (-1: touched since)
//   lines          16 B per line    time of its latest touch (0 = never), -, -, epoch it last counted
//                                   in — last, as it grows with the highest line touched

const NODE_BYTES: u32 = 80;
const STRIDE_BYTES: u32 = 64;
/** Streams per function (stride-detector.ts): loads, then stores, of width 1, 2, 4, 8, 16, other. */
const STREAMS: u32 = 12;
/** The last line touched (u32), NO_LINE when the same-line path is closed (see recentLine). */
const LAST_LINE: u32 = 1168;
/** The line touched before it, at LRU depth 1, NO_LINE when the second-line path is closed. */
const PREV_LINE: u32 = 1172;
/** 1 while the reuse stack holds its top two lines in the wrong order (swapped by the second-line path). */
const TOP_SWAPPED: u32 = 1176;
const NO_LINE: u32 = 0xffffffff;
/** The reuse stack's clock (u32: the time of the latest touch), its owner table and that table's size. */
const NOW: u32 = 1180;
const OWNERS: u32 = 1184;
const OWNER_CAP: u32 = 1188;
/**
 * Per stream class (12 × 8 B): the stream and the node counter of that class's latest report,
 * where the accesses the guest coalesced after it belong (abi.ts MEMORY_HOOKS).
 */
const RUN_CONTEXT: u32 = 1192;






function align(n: u32): u32 {
  return (n + 15) & ~15;
}

function ensureMemory(end: u32): void {
  const have = <u32>memory.size() << 16;
  if (end > have) {
    if (memory.grow(<i32>(((end - have) + 0xffff) >>> 16)) < 0) unreachable();
  }
}

function fillI32(at: u32, count: u32, value: i32): void {
  for (let i: u32 = 0; i < count; i++) store<i32>(at + (i << 2), value);
}

/** Lays out the tables; shifts are log2 of line sizes, sets powers of two. Returns the memory size used. */
export function configure(
  d1Sets: u32, d1WaysArg: u32, d1ShiftArg: u32, llSets: u32, llWaysArg: u32, llShiftArg: u32,
  maxLinesArg: u32, maxNodesArg: u32, functionsArg: u32, maxDepthArg: u32,
): u32 {
  if (memory.size() == 0) memory.grow(1); // the state block lives in the first page
  store<u32>(0, d1Sets - 1, 1028); store<u32>(0, d1WaysArg, 1032); store<u32>(0, d1ShiftArg, 1036);
  store<u32>(0, llSets - 1, 1044); store<u32>(0, llWaysArg, 1048); store<u32>(0, llShiftArg, 1052);
  store<u32>(0, maxLinesArg, 1068); store<u32>(0, maxNodesArg, 1108); store<u32>(0, functionsArg, 1096); store<u32>(0, maxDepthArg, 1088);
  // Hot state lives in memory at 1024…1172: V8 reads and writes a mutable wasm global of an
  // instance called from another instance far slower than its memory (measured ≈45 ns per access).
  let at = align(<u32>__heap_base);
  if (at < 2048) at = 2048;
  store<u32>(0, at, 1024); at = align(at + d1Sets * load<u32>(0, 1032) * 4);
  store<u32>(0, at, 1040); at = align(at + llSets * load<u32>(0, 1048) * 4);
  store<u32>(0, at, 1056); at = align(at + 34 * 4);
  store<u32>(0, at, 1080); at = align(at + load<u32>(0, 1088) * 4);
  store<u32>(0, at, 1092); at = align(at + (load<u32>(0, 1096) + 1) * STREAMS * STRIDE_BYTES);
  store<u32>(0, at, 1100); at = align(at + load<u32>(0, 1108) * NODE_BYTES);
  store<u32>(0, at, 1160); at = align(at + 33 * 8);
  // Times run 1…cap−1 and are renumbered when they run out: twice the lines, so that is rare.
  store<u32>(0, at, OWNERS); store<u32>(0, maxLinesArg * 2 + 2, OWNER_CAP); at = align(at + (maxLinesArg * 2 + 2) * 4);
  store<u32>(0, (at + 0xffff) & ~0xffff, 1072);
  ensureMemory(load<u32>(0, 1072));
  fillI32(load<u32>(0, 1024), d1Sets * load<u32>(0, 1032), -1);
  fillI32(load<u32>(0, 1040), llSets * load<u32>(0, 1048), -1);
  memory.fill(load<u32>(0, 1056), 0, 34 * 4);
  fillI32(load<u32>(0, OWNERS), load<u32>(0, OWNER_CAP), -1);
  memory.fill(load<u32>(0, 1092), 0, (load<u32>(0, 1096) + 1) * STREAMS * STRIDE_BYTES);
  memory.fill(load<u32>(0, 1100), 0, load<u32>(0, 1108) * NODE_BYTES);
  store<u32>(0, ((<u32>memory.size() << 16) - load<u32>(0, 1072)) >>> 4, 1076);
  memory.fill(load<u32>(0, 1072), 0, load<u32>(0, 1076) << 4);
  newNode(0, -1, -1);
  store<i32>(load<u32>(0, 1080), 0);
  store<u32>(0, 1, 1084); store<u32>(0, 1, 1104); store<u32>(0, 0, NOW); store<u32>(0, 0, 1064); store<i32>(0, 0, 1120); store<f64>(0, 0, 1128);
  store<f64>(0, 0, 1136); store<f64>(0, 0, 1144); store<f64>(0, 0, 1152);
  memory.fill(load<u32>(0, 1160), 0, 33 * 8);
  store<u32>(0, 0, 1164);
  store<u32>(0, NO_LINE, LAST_LINE); store<u32>(0, NO_LINE, PREV_LINE); store<u32>(0, 0, TOP_SWAPPED); store<u32>(0, 0, SUFFIX);
  store<u32>(0, load<u32>(0, 1100), 1112);
  store<u32>(0, load<u32>(0, 1092), 1116);
  memory.fill(RUN_CONTEXT, 0, STREAMS * 8);
  return load<u32>(0, 1072) + (load<u32>(0, 1076) << 4);
}

function newNode(index: u32, parent: i32, fn: i32): void {
  const at = load<u32>(0, 1100) + index * NODE_BYTES;
  store<i32>(at, parent);
  store<i32>(at, fn, 4);
  store<i32>(at, -1, 8);
  store<i32>(at, -1, 12);
}

// ---- one set-associative LRU level --------------------------------------------------------

// @ts-ignore: decorator
@inline
function touch(tags: u32, setMask: u32, ways: u32, line: i32): bool {
  const base = tags + (((<u32>line) & setMask) * ways << 2);
  let carried = load<i32>(base);
  if (carried == line) return false;
  // One pass, most recent first: each way takes the one above it until the line's own way
  // (a hit) or past the last (a miss: the least recent falls out). The model's scan-then-shift, fused.
  store<i32>(base, line);
  const end = base + (ways << 2);
  for (let at = base + 4; at < end; at += 4) {
    const here = load<i32>(at);
    store<i32>(at, carried);
    if (here == line) return false;
    carried = here;
  }
  return true;
}

// @ts-ignore: decorator
@inline
function access(tags: u32, setMask: u32, ways: u32, shift: u32, address: u64, bytes: u32): bool {
  const first = <i32>(address >> shift);
  const last = <i32>((address + bytes - 1) >> shift);
  let miss = false;
  for (let line = first; line <= last; line++) if (touch(tags, setMask, ways, line)) miss = true;
  return miss;
}

// ---- reuse distance and working set (reuse-distance.ts: the bucketed LRU load<u32>(0, 1080)) ----------

// @ts-ignore: decorator
@inline
function bucketMax(k: u32): u32 {
  return (<u32>1 << k) - 1;
}

function growLines(line: u32): void {
  let want = load<u32>(0, 1076) > 1024 ? load<u32>(0, 1076) : 1024;
  while (want <= line) want <<= 1;
  if (want > load<u32>(0, 1068)) want = load<u32>(0, 1068);
  ensureMemory(load<u32>(0, 1072) + (want << 4));
  store<u32>(0, ((<u32>memory.size() << 16) - load<u32>(0, 1072)) >>> 4, 1076);
}

// @ts-ignore: decorator
@inline
function slotOf(line: i32): u32 {
  return load<u32>(0, 1072) + (<u32>line << 4);
}

// @ts-ignore: decorator
@inline
function ownerAt(time: u32): i32 {
  return load<i32>(load<u32>(0, OWNERS) + (time << 2));
}

// @ts-ignore: decorator
@inline
function tailAt(k: u32): u32 {
  return load<u32>(load<u32>(0, 1056) + (k << 2));
}

// @ts-ignore: decorator
@inline
function setTail(k: u32, time: u32): void {
  store<u32>(load<u32>(0, 1056) + (k << 2), time);
}

/** The time of the line just above the one touched at `time` in the LRU stack (the model's prev). */
// @ts-ignore: decorator
@inline
function newerIn(owners: u32, time: u32): u32 {
  let t = time + 1;
  while (load<i32>(owners + (t << 2)) < 0) t++;
  return t;
}

/**
 * Every time above this one is live (SUFFIX): the top NOW − SUFFIX lines of the stack hold the
 * times NOW, NOW − 1, …, so the line at depth j has time NOW − j and a segment whose deepest
 * line lies there has its tail by arithmetic. Such segments' stored tails are not kept up to
 * date (a re-touch inside the suffix would move each of them: the cost of a sweep); all others'
 * are, and materializeTails() writes the arithmetic ones out before anything reads them.
 */
const SUFFIX: u32 = 1288;

/** The deepest depth of segment k ≥ 1 with `lines` lines in the stack, or -1 when it is empty. */
// @ts-ignore: decorator
@inline
function deepestOf(k: u32, lines: u32): i64 {
  const first = <u64>1 << (k - 1);
  if (<u64>lines - 1 < first || lines == 0) return -1;
  const full = (<u64>1 << k) - 1;
  return <i64>(<u64>lines - 1 < full ? <u64>lines - 1 : full);
}

/** Stores the tail of every segment (k ≥ 2) whose deepest depth is in [from, to]: NOW − depth. */
function storeSuffixTails(from: u64, to: u64): void {
  const tails = load<u32>(0, 1056);
  const now = load<u32>(0, NOW);
  const lines = load<u32>(0, 1064);
  // Segment k's deepest depth is at most 2^k − 1: none below the segment holding `from` qualifies.
  const lowest: u32 = 64 - <u32>clz<u64>(from);
  for (let k: u32 = lowest > 2 ? lowest : 2; k < 34; k++) {
    const deepest = deepestOf(k, lines);
    if (deepest < 0 || <u64>deepest > to) break;
    if (<u64>deepest >= from) store<u32>(tails + (k << 2), now - <u32>deepest);
  }
}

/** Every tail as stored, the arithmetic ones written out (before the general paths read them). */
function materializeTails(): void {
  const boundary = load<u32>(0, NOW) - load<u32>(0, SUFFIX);
  if (boundary > 2) storeSuffixTails(2, <u64>boundary - 1);
}

/**
 * Renumbers the live times 1…size in order (the stack's order is the times' order). Every line
 * of the stack then lies in the suffix: segments 0 and 1 are stored, the others by arithmetic.
 */
function compactTimes(): void {
  const owners = load<u32>(0, OWNERS);
  const now = load<u32>(0, NOW);
  let packed: u32 = 0;
  for (let t: u32 = 1; t <= now; t++) {
    const line = load<i32>(owners + (t << 2));
    if (line < 0) continue;
    store<i32>(owners + (t << 2), -1);
    packed++;
    store<i32>(owners + (packed << 2), line);
    store<u32>(slotOf(line), packed);
  }
  store<u32>(0, packed, NOW);
  store<u32>(0, 0, SUFFIX);
  setTail(0, packed);
  setTail(1, packed > 1 ? packed - 1 : 0);
}

/**
 * The reuse stack of reuse-distance.ts, bucket for bucket, kept as times rather than a linked
 * list: each line holds the time of its latest touch, the stack is the times in decreasing
 * order, and each segment's deepest line is a time. A line's segment is the first whose deepest
 * time it reaches; moving a segment's deepest line up one is a forward scan of the owner table.
 * Every scan moves forward, in memory order: the walk of the model's prev pointers without
 * their scattered reads and writes.
 *
 * Where the latest times are all live (the suffix above SUFFIX), a line's depth is NOW minus
 * its time, so a re-touch there costs no scan and no segment moves: the bottom line of the
 * suffix (a sweep's next line) leaves a hole below the rest, a line touched a moment ago
 * (depth ≤ ROTATE_MAX) trades places with the few above it, anything else in the suffix cuts it
 * at its time. Touches below the suffix and first touches take the segments, written out first.
 */
// @ts-ignore: decorator
@inline
function reuseTouch(line: u32): void {
  if (line >= load<u32>(0, 1068)) {
    store<f64>(0, load<f64>(0, 1144) + 1, 1144);
    return;
  }
  if (line >= load<u32>(0, 1076)) growLines(line);
  const slot = load<u32>(0, 1072) + (line << 4);
  let time = load<u32>(slot);
  // Table bases in locals: after each store the compiler must assume memory changed.
  const tails = load<u32>(0, 1056);
  const owners = load<u32>(0, OWNERS);
  if (time != 0 && time == load<u32>(tails)) {
    store<f64>(load<u32>(0, 1160), load<f64>(load<u32>(0, 1160)) + 1);
  } else {
    // Renumbered when the times run out, and whenever at most a quarter of them are live: the
    // forward scans (newerIn) then cross a few holes, not runs of them, and it costs a pass over
    // the times once per ≈3 touches per line.
    const clock = load<u32>(0, NOW);
    if (clock + 1 >= load<u32>(0, OWNER_CAP) || (clock >= 4096 && clock >= load<u32>(0, 1064) << 2)) {
      compactTimes();
      time = load<u32>(slot);
    }
    const now = load<u32>(0, NOW) + 1;
    const suffix = load<u32>(0, SUFFIX);
    if (time > suffix && time != suffix + 1 && now - 1 - time <= ROTATE_MAX) {
      // Near the top of the suffix (a line touched a moment ago): the lines above it move down
      // one time each and it takes the top one, so no hole is left to shrink the suffix by.
      const depth = now - 1 - time;
      const bucket = load<u32>(0, 1160) + ((32 - clz<u32>(depth)) << 3);
      store<f64>(bucket, load<f64>(bucket) + 1);
      for (let t = time; t < now - 1; t++) {
        const above = load<i32>(owners + ((t + 1) << 2));
        store<i32>(owners + (t << 2), above);
        store<u32>(slotOf(above), t);
      }
      store<i32>(owners + ((now - 1) << 2), <i32>line);
      store<u32>(slot, now - 1);
      // The top two times keep their values (segments 0 and 1 are always stored); NOW stays.
      settleEpoch(slot);
      return;
    }
    if (time > suffix) {
      // Inside the suffix: depth by arithmetic, one tail stored per segment leaving it (none
      // in a sweep, where the line re-touched lies just above the last hole).
      const depth = now - 1 - time;
      const s: u32 = 32 - clz<u32>(depth);
      const bucket = load<u32>(0, 1160) + (s << 3);
      store<f64>(bucket, load<f64>(bucket) + 1);
      const boundary = now - 1 - suffix;
      if (<u64>depth + 1 < <u64>boundary) storeSuffixTails(<u64>depth + 1, <u64>boundary - 1);
      store<i32>(owners + (time << 2), -1);
      store<u32>(0, time, SUFFIX);
      store<u32>(tails + 4, now - 1); // the old top, at depth 1 now (segments 0 and 1 are always stored)
      store<u32>(tails, now);
    } else if (time == 0) {
      materializeTails();
      store<f64>(0, load<f64>(0, 1136) + 1, 1136);
      for (let k: u32 = 0; load<u32>(tails + (k << 2)) != 0; k++) {
        if (load<u32>(0, 1064) - 1 < bucketMax(k)) break;
        const moved = load<u32>(tails + (k << 2));
        store<u32>(tails + (k << 2), k == 0 ? now : newerIn(owners, moved));
        if (load<u32>(tails + ((k + 1) << 2)) == 0) {
          store<u32>(tails + ((k + 1) << 2), moved);
          break;
        }
      }
      if (load<u32>(tails) == 0) store<u32>(tails, now);
      store<u32>(0, load<u32>(0, 1064) + 1, 1064);
    } else {
      materializeTails();
      let s: u32 = 1;
      while (time < load<u32>(tails + (s << 2))) s++;
      const bucket = load<u32>(0, 1160) + (s << 3);
      store<f64>(bucket, load<f64>(bucket) + 1);
      store<i32>(owners + (time << 2), -1);
      if (load<u32>(tails + (s << 2)) == time) store<u32>(tails + (s << 2), newerIn(owners, time));
      // Each segment above passes its deepest line down one; the touched line tops segment 0.
      for (let k: u32 = 1; k < s; k++) store<u32>(tails + (k << 2), newerIn(owners, load<u32>(tails + (k << 2))));
      store<u32>(tails, now);
    }
    store<i32>(owners + (now << 2), <i32>line);
    store<u32>(slot, now);
    store<u32>(0, now, NOW);
  }
  settleEpoch(slot);
}

/** Counts the line in this top-level call's working set the first time the call touches it. */
// @ts-ignore: decorator
@inline
function settleEpoch(slot: u32): void {
  if (load<i32>(0, 1120) > 0 && load<u32>(0, 1084) > 1 && load<i32>(slot, 12) != load<i32>(0, 1120)) {
    store<i32>(slot, load<i32>(0, 1120), 12);
    store<f64>(0, load<f64>(0, 1128) + (1), 1128);
  }
}

/** A re-touch this shallow in the suffix moves the lines above it rather than leave a hole. */
const ROTATE_MAX: u32 = 8;

// ---- load<u32>(0, 1092) ------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function observeStride(s: u32, address: i64, bytes: u32): void {
  // Addresses, deltas, the candidate, votes and flags are i64 (integer compares and subtractions
  // on the hot path); the host reads the counters as f64 and the candidate and votes as i64.
  if (<f64>bytes > load<f64>(s, 48)) store<f64>(s, <f64>bytes, 48);
  const flags = load<i64>(s, 56);
  if (flags > 0) {
    const delta = address - load<i64>(s);
    store<f64>(s, load<f64>(s, 32) + 1, 32);
    if (flags > 1 && delta == load<i64>(s, 8)) store<f64>(s, load<f64>(s, 40) + 1, 40);
    store<i64>(s, delta, 8);
    const votes = load<i64>(s, 24);
    if (votes == 0) {
      store<i64>(s, delta, 16);
      store<i64>(s, 1, 24);
    } else if (delta == load<i64>(s, 16)) {
      store<i64>(s, votes + 1, 24);
    } else {
      store<i64>(s, votes - 1, 24);
    }
    store<i64>(s, 2, 56);
  } else {
    store<i64>(s, 1, 56);
  }
  store<i64>(s, address);
}

// @ts-ignore: decorator
@inline
function streamClass(write: bool, bytes: u32): u32 {
  const width: u32 = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : bytes == 8 ? 3 : bytes == 16 ? 4 : 5;
  return (write ? 6 : 0) + width;
}

// ---- references ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function one(address: u64, bytes: u32, write: bool): void {
  const node = load<u32>(0, 1112);
  const field: u32 = write ? 32 : 24;
  store<f64>(node + field, load<f64>(node + field) + 1);
  observeStride(load<u32>(0, 1116) + streamClass(write, bytes) * STRIDE_BYTES, <i64>address, bytes);
  const first = address >> load<u32>(0, 1036);
  const last = (address + bytes - 1) >> load<u32>(0, 1036);
  if (access(load<u32>(0, 1024), load<u32>(0, 1028), load<u32>(0, 1032), load<u32>(0, 1036), address, bytes)) {
    const d1 = node + field + 16;
    store<f64>(d1, load<f64>(d1) + 1);
    if (access(load<u32>(0, 1040), load<u32>(0, 1044), load<u32>(0, 1048), load<u32>(0, 1052), address, bytes)) {
      const ll = node + field + 32;
      store<f64>(ll, load<f64>(ll) + 1);
    }
  }
  for (let line = first; line <= last; line++) reuseTouch(<u32>line);
}

/**
 * The reuse stack's top two lines trade places, uncounted (the touch was counted by the
 * second-line path): they trade times; segments 0 and 1 are depth 0 and depth 1 alone.
 */
function swapTop(): void {
  const topTime = tailAt(0);
  const secondTime = tailAt(1);
  const top = ownerAt(topTime);
  const second = ownerAt(secondTime);
  store<i32>(load<u32>(0, OWNERS) + (topTime << 2), second);
  store<i32>(load<u32>(0, OWNERS) + (secondTime << 2), top);
  store<u32>(slotOf(second), topTime);
  store<u32>(slotOf(top), secondTime);
}

/** Every line a reference touches, through the full model (not inlined: the hot path stays small). */
function reference(address: u64, bytes: u32, write: bool): void {
  if (bytes == 0) return;
  if (load<u32>(0, TOP_SWAPPED) != 0) {
    swapTop();
    store<u32>(0, 0, TOP_SWAPPED);
  }
  const end = address + bytes;
  // Up to a line's size it is one reference (a straddling one touches two lines); beyond, one per line.
  if (<u64>bytes <= (<u64>1 << load<u32>(0, 1036))) one(address, bytes, write);
  else for (let at = address; at < end; ) {
    let next = ((at >> load<u32>(0, 1036)) + 1) << load<u32>(0, 1036);
    if (next > end) next = end;
    one(at, <u32>(next - at), write);
    at = next;
  }
  // The recent lines, for the next reference's fast paths (recentLine). The line touched last
  // before this reference is the second only if it now lies at depth 1, and it was touched
  // since the last enter or exit (else its working set mark may be stale): it was LAST_LINE.
  const line = (end - 1) >> load<u32>(0, 1036);
  const before = load<u32>(0, LAST_LINE);
  if (line < <u64>load<u32>(0, 1068)) {
    store<u32>(0, <u32>line, LAST_LINE);
    const second = tailAt(1) == 0 ? -1 : ownerAt(tailAt(1));
    store<u32>(0, before != <u32>line && <i32>before == second ? before : NO_LINE, PREV_LINE);
  } else {
    forgetRecentLines();
  }
}

function forgetRecentLines(): void {
  store<u32>(0, NO_LINE, LAST_LINE);
  store<u32>(0, NO_LINE, PREV_LINE);
}

/**
 * The fast paths, before any bookkeeping, for a reference within one line:
 * - the line touched last: exactly a D1 hit (it is its set's most recent way; LL is not
 *   consulted) at reuse distance 0, already counted in the working set;
 * - the line touched before it (two interleaved streams, e.g. an array walk and a local
 *   spilled to memory): when it is still its D1 set's most recent way, a D1 hit at reuse
 *   distance 1, also already in the working set; the reuse stack's top two swap lazily
 *   (TOP_SWAPPED, settled by the next full reference).
 * Only the node's counter, the stream and the reuse bucket change. enter and exit forget both
 * lines (the node, the epoch and whether the working set counts change there), and so does an
 * untracked line (its touches count apart).
 */
// @ts-ignore: decorator
@inline
function recentLine(address: u64, bytes: u32, write: bool): bool {
  const shift = load<u32>(0, 1036);
  const line = address >> shift;
  if (((address + bytes - 1) >> shift) != line || bytes == 0) return false;
  let bucket: u32 = 0;
  if (line != <u64>load<u32>(0, LAST_LINE)) {
    const second = load<u32>(0, PREV_LINE);
    if (line != <u64>second) return false;
    const l = <u32>line;
    if (load<i32>(load<u32>(0, 1024) + ((l & load<u32>(0, 1028)) * load<u32>(0, 1032) << 2)) != <i32>l) return false;
    store<u32>(0, load<u32>(0, LAST_LINE), PREV_LINE);
    store<u32>(0, l, LAST_LINE);
    store<u32>(0, load<u32>(0, TOP_SWAPPED) ^ 1, TOP_SWAPPED);
    bucket = 8;
  }
  const node = load<u32>(0, 1112);
  const field: u32 = write ? 32 : 24;
  store<f64>(node + field, load<f64>(node + field) + 1);
  observeStride(load<u32>(0, 1116) + streamClass(write, bytes) * STRIDE_BYTES, <i64>address, bytes);
  const counter = load<u32>(0, 1160) + bucket;
  store<f64>(counter, load<f64>(counter) + 1);
  return true;
}

// ---- what the guest coalesced (abi.ts MEMORY_HOOKS) --------------------------------------

/**
 * `second` coalesced accesses were to the line touched before the last, each of which then
 * became the last: reuse distance 1, not 0 (applyRun counted every coalesced access at 0), and
 * an odd count leaves the two swapped — what recentLine's second-line path does for each.
 */
// @ts-ignore: decorator
@inline
function settleLines(second: f64): void {
  if (second == 0) return;
  const buckets = load<u32>(0, 1160);
  store<f64>(buckets, load<f64>(buckets) - second);
  store<f64>(buckets, load<f64>(buckets, 8) + second, 8);
  if (<u64>second & 1) {
    const last = load<u32>(0, LAST_LINE);
    store<u32>(0, load<u32>(0, PREV_LINE), LAST_LINE);
    store<u32>(0, last, PREV_LINE);
    store<u32>(0, load<u32>(0, TOP_SWAPPED) ^ 1, TOP_SWAPPED);
  }
}

/**
 * `n` accesses of stream class `c` after its latest report, each one stream delta on from the
 * one before it (the delta that report ended with), each a D1 hit within one of the two recent
 * lines: the node's counter, observeStride `n` times in closed form, and reuse distance 0
 * (settleLines moves the second line's share to 1).
 */
function applyRun(c: u32, n: f64): void {
  const context = RUN_CONTEXT + (c << 3);
  const s = load<u32>(context);
  const counter = load<u32>(context, 4);
  store<f64>(counter, load<f64>(counter) + n);
  store<f64>(s, load<f64>(s, 32) + n, 32);
  store<f64>(s, load<f64>(s, 40) + n, 40);
  const buckets = load<u32>(0, 1160);
  store<f64>(buckets, load<f64>(buckets) + n);
  const delta = load<i64>(s, 8);
  const votes = load<i64>(s, 24);
  const runs = <i64>n;
  // The majority vote: a differing candidate loses one vote per access, is replaced when it has
  // none, and the new one gains one per access after that.
  if (votes == 0) {
    store<i64>(s, delta, 16);
    store<i64>(s, runs, 24);
  } else if (load<i64>(s, 16) == delta) {
    store<i64>(s, votes + runs, 24);
  } else if (runs <= votes) {
    store<i64>(s, votes - runs, 24);
  } else {
    store<i64>(s, delta, 16);
    store<i64>(s, runs - votes, 24);
  }
  store<i64>(s, load<i64>(s) + runs * delta);
}

/**
 * One reported access, after what the guest coalesced before it. Returns whether the guest may
 * coalesce on: bit 0, accesses within this line (it is the last line touched); bit 1, within the
 * line before it too (at reuse depth 1, and in another D1 set, so both stay their sets' most
 * recent ways while the guest alternates between them).
 */
// @ts-ignore: decorator
@inline
function report(bytes: u32, offset: u32, pointer: u32, write: bool): i32 {
  const c = streamClass(write, bytes);
  const address = <u64>pointer + <u64>offset;
  if (!recentLine(address, bytes, write)) reference(address, bytes, write);
  const context = RUN_CONTEXT + (c << 3);
  store<u32>(context, load<u32>(0, 1116) + c * STRIDE_BYTES);
  store<u32>(context, load<u32>(0, 1112) + (write ? 32 : 24), 4);
  if (bytes == 0) return 0;
  const shift = load<u32>(0, 1036);
  const line = (address + bytes - 1) >> shift;
  const last = load<u32>(0, LAST_LINE);
  if ((address >> shift) != line || last == NO_LINE || line != <u64>last) return 0;
  const before = load<u32>(0, PREV_LINE);
  const sets = load<u32>(0, 1028);
  return before != NO_LINE && (before & sets) != (last & sets) ? 3 : 1;
}

export function report_load(bytes: u32, offset: u32, pointer: u32): i32 {
  return report(bytes, offset, pointer, false);
}

export function report_store(bytes: u32, offset: u32, pointer: u32): i32 {
  return report(bytes, offset, pointer, true);
}

/** What the guest coalesced since class `c`'s latest report, and its second-line count, before its next. */
export function run(c: u32, n: f64, second: f64): void {
  settleLines(second);
  if (n != 0 && c < STREAMS) applyRun(c, n);
}

// ---- call tree ----------------------------------------------------------------------------

function strideOf(fn: i32): u32 {
  const index: u32 = fn >= 0 && <u32>fn < load<u32>(0, 1096) ? <u32>fn + 1 : 0;
  return load<u32>(0, 1092) + index * STREAMS * STRIDE_BYTES;
}

function settle(): void {
  const entry = load<i32>(load<u32>(0, 1080) + ((load<u32>(0, 1084) - 1) << 2));
  const index: u32 = entry < 0 ? <u32>(-(entry + 1)) : <u32>entry;
  store<u32>(0, load<u32>(0, 1100) + index * NODE_BYTES, 1112);
  store<u32>(0, strideOf(load<i32>(load<u32>(0, 1112), 4)), 1116);
}

export function enter(fn: i32, _counter: i32): void {
  forgetRecentLines();
  if (load<u32>(0, 1084) >= load<u32>(0, 1088)) {
    // Deeper than the load<u32>(0, 1080) table: the frame stays in its caller, and so does its exit.
    store<u32>(0, load<u32>(0, 1164) + 1, 1164);
    store<f64>(0, load<f64>(0, 1152) + 1, 1152);
    return;
  }
  const top = load<i32>(load<u32>(0, 1080) + ((load<u32>(0, 1084) - 1) << 2));
  const parent: u32 = top < 0 ? <u32>(-(top + 1)) : <u32>top;
  if (load<u32>(0, 1084) == 1) {
    store<i32>(0, load<i32>(0, 1120) + 1, 1120);
    store<f64>(0, 0, 1128);
  }
  const parentAt = load<u32>(0, 1100) + parent * NODE_BYTES;
  let child = load<i32>(parentAt, 8);
  let previous: i32 = -1;
  while (child >= 0 && load<i32>(load<u32>(0, 1100) + <u32>child * NODE_BYTES, 4) != fn) {
    previous = child;
    child = load<i32>(load<u32>(0, 1100) + <u32>child * NODE_BYTES, 12);
  }
  if (child < 0) {
    if (load<u32>(0, 1104) >= load<u32>(0, 1108)) {
      store<f64>(0, load<f64>(0, 1152) + 1, 1152);
      store<i32>(load<u32>(0, 1080) + (load<u32>(0, 1084) << 2), -(<i32>parent + 1));
      store<u32>(0, load<u32>(0, 1084) + 1, 1084);
      return;
    }
    child = <i32>load<u32>(0, 1104);
    store<u32>(0, load<u32>(0, 1104) + 1, 1104);
    newNode(<u32>child, <i32>parent, fn);
    // Children chain in creation order, as the pure model lists them.
    if (previous < 0) store<i32>(parentAt, child, 8);
    else store<i32>(load<u32>(0, 1100) + <u32>previous * NODE_BYTES, child, 12);
  }
  store<i32>(load<u32>(0, 1080) + (load<u32>(0, 1084) << 2), child);
  store<u32>(0, load<u32>(0, 1084) + 1, 1084);
  settle();
}

function close(): void {
  forgetRecentLines();
  store<u32>(0, load<u32>(0, 1084) - 1, 1084);
  const entry = load<i32>(load<u32>(0, 1080) + (load<u32>(0, 1084) << 2));
  if (entry >= 0) {
    const at = load<u32>(0, 1100) + <u32>entry * NODE_BYTES;
    store<f64>(at, load<f64>(at, 16) + 1, 16);
    if (load<u32>(0, 1084) == 1) store<f64>(at, load<f64>(at, 72) + load<f64>(0, 1128), 72);
  }
  settle();
}

export function exit(fn: i32, _counter: i32, _pendingId: i32, _pendingCounter: i32): void {
  if (load<u32>(0, 1164) > 0) store<u32>(0, load<u32>(0, 1164) - 1, 1164);
  else if (load<u32>(0, 1084) > 1) close();
}

/** A trap unwound every open frame: close them at the call boundary. */
export function unwind(): void {
  store<u32>(0, 0, 1164);
  while (load<u32>(0, 1084) > 1) close();
}

// ---- what the host reads ------------------------------------------------------------------

export function nodeTable(): u32 { return load<u32>(0, 1100); }
export function nodesUsed(): u32 { return load<u32>(0, 1104); }
export function strideTable(): u32 { return load<u32>(0, 1092); }
export function reuseTable(): u32 { return load<u32>(0, 1160); }
export function coldTouches(): f64 { return load<f64>(0, 1136); }
export function untrackedTouches(): f64 { return load<f64>(0, 1144); }
export function droppedCalls(): f64 { return load<f64>(0, 1152); }

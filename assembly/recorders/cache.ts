// The cache recorder: linked as a guest's memory and entry/exit hooks, it runs the cache model
// of src/profiler/build/cache-simulator.ts (D1 + LL set-associative LRU, reuse distance,
// strides, working sets, call-tree nodes) on every event inside wasm, keeping its tables in its
// own memory. The host reads that memory after the call (cache-recorder-reader.ts): no
// JavaScript runs per event. Every step mirrors the pure model; a test compares the two.
//
// Memory layout (configure() lays it out; all offsets are byte addresses in this memory):
//   d1 tags  i32[d1Sets·d1Ways]   most recent first per set, -1 = empty
//   ll tags  i32[llSets·llWays]
//   tree     i32[T+1]             Fenwick tree over reuse timestamps
//   byTime   i32[T+1]             line whose latest touch is at that timestamp, -1 = superseded
//   stack    i32[maxDepth]        node per open frame (-(parent+1) for a frame without a node)
//   strides  f64[(functions+1)·12·8] per function and stream (load/store × width): last, previous, candidate, votes, deltas, repeats, maxBytes, flags
//   nodes    NODE_BYTES each      parent, fn, firstChild, nextSibling (i32); calls, reads, writes,
//                                 d1r, d1w, llr, llw, workingSet (f64)
//   lines    i32[2] per line      last timestamp, last epoch — grows with the highest line touched

const NODE_BYTES: u32 = 80;
const STRIDE_BYTES: u32 = 64;
/** Streams per function (stride-detector.ts): loads, then stores, of width 1, 2, 4, 8, 16, other. */
const STREAMS: u32 = 12;

let d1Tags: u32 = 0;
let d1SetMask: u32 = 0;
let d1Ways: u32 = 0;
let d1Shift: u32 = 0;
let llTags: u32 = 0;
let llSetMask: u32 = 0;
let llWays: u32 = 0;
let llShift: u32 = 0;

let tree: u32 = 0;
let byTime: u32 = 0;
let capacity: u32 = 0;
let now: u32 = 0;
let maxLines: u32 = 0;
let lines: u32 = 0;
let lineCapacity: u32 = 0;

let stack: u32 = 0;
let depth: u32 = 1;
let maxDepth: u32 = 0;
let strides: u32 = 0;
let functions: u32 = 0;
let nodes: u32 = 0;
let nodeCount: u32 = 1;
let maxNodes: u32 = 0;

let currentNode: u32 = 0;
let currentStride: u32 = 0;
let lastLine: i64 = -1;
let epoch: i32 = 0;
let workingSet: f64 = 0;

let cold: f64 = 0;
let untracked: f64 = 0;
let dropped: f64 = 0;
let buckets: u32 = 0;
let overflow: u32 = 0;

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
  maxLinesArg: u32, timestamps: u32, maxNodesArg: u32, functionsArg: u32, maxDepthArg: u32,
): u32 {
  d1SetMask = d1Sets - 1; d1Ways = d1WaysArg; d1Shift = d1ShiftArg;
  llSetMask = llSets - 1; llWays = llWaysArg; llShift = llShiftArg;
  maxLines = maxLinesArg; capacity = timestamps; maxNodes = maxNodesArg; functions = functionsArg; maxDepth = maxDepthArg;
  let at = align(<u32>__heap_base);
  d1Tags = at; at = align(at + d1Sets * d1Ways * 4);
  llTags = at; at = align(at + llSets * llWays * 4);
  tree = at; at = align(at + (capacity + 1) * 4);
  byTime = at; at = align(at + (capacity + 1) * 4);
  stack = at; at = align(at + maxDepth * 4);
  strides = at; at = align(at + (functions + 1) * STREAMS * STRIDE_BYTES);
  nodes = at; at = align(at + maxNodes * NODE_BYTES);
  buckets = at; at = align(at + 33 * 8);
  lines = (at + 0xffff) & ~0xffff;
  ensureMemory(lines);
  fillI32(d1Tags, d1Sets * d1Ways, -1);
  fillI32(llTags, llSets * llWays, -1);
  fillI32(byTime, capacity + 1, -1);
  memory.fill(tree, 0, (capacity + 1) * 4);
  memory.fill(strides, 0, (functions + 1) * STREAMS * STRIDE_BYTES);
  memory.fill(nodes, 0, maxNodes * NODE_BYTES);
  lineCapacity = ((<u32>memory.size() << 16) - lines) >>> 3;
  memory.fill(lines, 0, lineCapacity << 3);
  newNode(0, -1, -1);
  store<i32>(stack, 0);
  depth = 1; nodeCount = 1; now = 0; lastLine = -1; epoch = 0; workingSet = 0;
  cold = 0; untracked = 0; dropped = 0;
  memory.fill(buckets, 0, 33 * 8);
  overflow = 0;
  currentNode = nodes;
  currentStride = strides;
  return lines + (lineCapacity << 3);
}

function newNode(index: u32, parent: i32, fn: i32): void {
  const at = nodes + index * NODE_BYTES;
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
  if (load<i32>(base) == line) return false;
  let way: u32 = 1;
  while (way < ways && load<i32>(base + (way << 2)) != line) way++;
  const hit = way < ways;
  for (let i: u32 = hit ? way : ways - 1; i > 0; i--) store<i32>(base + (i << 2), load<i32>(base + ((i - 1) << 2)));
  store<i32>(base, line);
  return !hit;
}

function access(tags: u32, setMask: u32, ways: u32, shift: u32, address: u64, bytes: u32): bool {
  const first = <i32>(address >> shift);
  const last = <i32>((address + bytes - 1) >> shift);
  let miss = false;
  for (let line = first; line <= last; line++) if (touch(tags, setMask, ways, line)) miss = true;
  return miss;
}

// ---- reuse distance and working set -------------------------------------------------------

function prefix(index: u32): i32 {
  let sum: i32 = 0;
  for (let i = index; i > 0; i -= i & -i) sum += load<i32>(tree + (i << 2));
  return sum;
}

function addMark(index: u32, delta: i32): void {
  for (let i = index; i <= capacity; i += i & -i) store<i32>(tree + (i << 2), load<i32>(tree + (i << 2)) + delta);
}

function renumber(): void {
  let live: u32 = 0;
  for (let t: u32 = 1; t <= now; t++) {
    const line = load<i32>(byTime + (t << 2));
    if (line < 0) continue;
    live++;
    store<i32>(byTime + (live << 2), line);
    store<u32>(lines + (<u32>line << 3), live);
  }
  fillI32(byTime + ((live + 1) << 2), capacity - live, -1);
  for (let i: u32 = 1; i <= capacity; i++) {
    const low = i & -i;
    const upTo = i < live ? i : live;
    store<i32>(tree + (i << 2), upTo > i - low ? <i32>(upTo - (i - low)) : 0);
  }
  now = live;
}

function growLines(line: u32): void {
  let want = lineCapacity > 1024 ? lineCapacity : 1024;
  while (want <= line) want <<= 1;
  if (want > maxLines) want = maxLines;
  ensureMemory(lines + (want << 3));
  lineCapacity = ((<u32>memory.size() << 16) - lines) >>> 3;
}

function reuseTouch(line: u32): void {
  if (line >= maxLines) {
    untracked++;
    return;
  }
  if (line >= lineCapacity) growLines(line);
  const slot = lines + (line << 3);
  const previous = load<u32>(slot);
  if (previous != 0 && previous == now) {
    store<f64>(buckets, load<f64>(buckets) + 1);
  } else {
    if (previous == 0) {
      cold++;
    } else {
      const distance = prefix(now) - prefix(previous);
      const bucket = distance == 0 ? 0 : 32 - clz<i32>(distance);
      store<f64>(buckets + (<u32>bucket << 3), load<f64>(buckets + (<u32>bucket << 3)) + 1);
      addMark(previous, -1);
      store<i32>(byTime + (previous << 2), -1);
    }
    if (now == capacity) renumber();
    now++;
    store<u32>(slot, now);
    store<i32>(byTime + (now << 2), <i32>line);
    addMark(now, 1);
  }
  if (epoch > 0 && depth > 1 && load<i32>(slot, 4) != epoch) {
    store<i32>(slot, epoch, 4);
    workingSet += 1;
  }
}

// ---- strides ------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function observeStride(s: u32, address: f64, bytes: u32): void {
  if (<f64>bytes > load<f64>(s, 48)) store<f64>(s, <f64>bytes, 48);
  const flags = load<f64>(s, 56);
  if (flags > 0) {
    const delta = address - load<f64>(s);
    store<f64>(s, load<f64>(s, 32) + 1, 32);
    if (flags > 1 && delta == load<f64>(s, 8)) store<f64>(s, load<f64>(s, 40) + 1, 40);
    store<f64>(s, delta, 8);
    const votes = load<f64>(s, 24);
    if (votes == 0) {
      store<f64>(s, delta, 16);
      store<f64>(s, 1, 24);
    } else if (delta == load<f64>(s, 16)) {
      store<f64>(s, votes + 1, 24);
    } else {
      store<f64>(s, votes - 1, 24);
    }
    store<f64>(s, 2, 56);
  } else {
    store<f64>(s, 1, 56);
  }
  store<f64>(s, address);
}

// @ts-ignore: decorator
@inline
function streamClass(write: bool, bytes: u32): u32 {
  const width: u32 = bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : bytes == 8 ? 3 : bytes == 16 ? 4 : 5;
  return (write ? 6 : 0) + width;
}

// ---- references ---------------------------------------------------------------------------

function one(address: u64, bytes: u32, write: bool): void {
  const node = currentNode;
  const field: u32 = write ? 32 : 24;
  store<f64>(node + field, load<f64>(node + field) + 1);
  observeStride(currentStride + streamClass(write, bytes) * STRIDE_BYTES, <f64>address, bytes);
  const first = address >> d1Shift;
  const last = (address + bytes - 1) >> d1Shift;
  if (first == last && <i64>first == lastLine) {
    // The latest line again: a D1 hit that changes no LRU order, reuse distance 0.
    if (<u32>first >= maxLines) {
      untracked++;
      return;
    }
    store<f64>(buckets, load<f64>(buckets) + 1);
    const slot = lines + (<u32>first << 3);
    if (epoch > 0 && depth > 1 && load<i32>(slot, 4) != epoch) {
      store<i32>(slot, epoch, 4);
      workingSet += 1;
    }
    return;
  }
  if (access(d1Tags, d1SetMask, d1Ways, d1Shift, address, bytes)) {
    const d1 = node + field + 16;
    store<f64>(d1, load<f64>(d1) + 1);
    if (access(llTags, llSetMask, llWays, llShift, address, bytes)) {
      const ll = node + field + 32;
      store<f64>(ll, load<f64>(ll) + 1);
    }
  }
  for (let line = first; line <= last; line++) reuseTouch(<u32>line);
  lastLine = <i64>last;
}

function reference(address: u64, bytes: u32, write: bool): void {
  if (bytes == 0) return;
  const lineBytes: u64 = <u64>1 << d1Shift;
  if (<u64>bytes <= lineBytes) {
    one(address, bytes, write);
    return;
  }
  const end = address + bytes;
  for (let at = address; at < end; ) {
    let next = ((at >> d1Shift) + 1) << d1Shift;
    if (next > end) next = end;
    one(at, <u32>(next - at), write);
    at = next;
  }
}

/** The memory pass's `load_ptr(bytes, offset, pointer) -> pointer`. */
export function load_ptr(bytes: u32, offset: u32, pointer: u32): u32 {
  reference(<u64>pointer + <u64>offset, bytes, false);
  return pointer;
}

export function store_ptr(bytes: u32, offset: u32, pointer: u32): u32 {
  reference(<u64>pointer + <u64>offset, bytes, true);
  return pointer;
}

// ---- call tree ----------------------------------------------------------------------------

function strideOf(fn: i32): u32 {
  const index: u32 = fn >= 0 && <u32>fn < functions ? <u32>fn + 1 : 0;
  return strides + index * STREAMS * STRIDE_BYTES;
}

function settle(): void {
  const entry = load<i32>(stack + ((depth - 1) << 2));
  const index: u32 = entry < 0 ? <u32>(-(entry + 1)) : <u32>entry;
  currentNode = nodes + index * NODE_BYTES;
  currentStride = strideOf(load<i32>(currentNode, 4));
}

export function enter(fn: i32): void {
  if (depth >= maxDepth) {
    // Deeper than the stack table: the frame stays in its caller, and so does its exit.
    overflow++;
    dropped++;
    return;
  }
  const top = load<i32>(stack + ((depth - 1) << 2));
  const parent: u32 = top < 0 ? <u32>(-(top + 1)) : <u32>top;
  if (depth == 1) {
    epoch++;
    workingSet = 0;
  }
  const parentAt = nodes + parent * NODE_BYTES;
  let child = load<i32>(parentAt, 8);
  let previous: i32 = -1;
  while (child >= 0 && load<i32>(nodes + <u32>child * NODE_BYTES, 4) != fn) {
    previous = child;
    child = load<i32>(nodes + <u32>child * NODE_BYTES, 12);
  }
  if (child < 0) {
    if (nodeCount >= maxNodes) {
      dropped++;
      store<i32>(stack + (depth << 2), -(<i32>parent + 1));
      depth++;
      return;
    }
    child = <i32>nodeCount;
    nodeCount++;
    newNode(<u32>child, <i32>parent, fn);
    // Children chain in creation order, as the pure model lists them.
    if (previous < 0) store<i32>(parentAt, child, 8);
    else store<i32>(nodes + <u32>previous * NODE_BYTES, child, 12);
  }
  store<i32>(stack + (depth << 2), child);
  depth++;
  settle();
}

function close(): void {
  depth--;
  const entry = load<i32>(stack + (depth << 2));
  if (entry >= 0) {
    const at = nodes + <u32>entry * NODE_BYTES;
    store<f64>(at, load<f64>(at, 16) + 1, 16);
    if (depth == 1) store<f64>(at, load<f64>(at, 72) + workingSet, 72);
  }
  settle();
}

export function exit(fn: i32): void {
  if (overflow > 0) overflow--;
  else if (depth > 1) close();
}

/** A trap unwound every open frame: close them at the call boundary. */
export function unwind(): void {
  overflow = 0;
  while (depth > 1) close();
}

// ---- what the host reads ------------------------------------------------------------------

export function nodeTable(): u32 { return nodes; }
export function nodesUsed(): u32 { return nodeCount; }
export function strideTable(): u32 { return strides; }
export function reuseTable(): u32 { return buckets; }
export function coldTouches(): f64 { return cold; }
export function untrackedTouches(): f64 { return untracked; }
export function droppedCalls(): f64 { return dropped; }

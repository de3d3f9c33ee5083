// asc: --runtime stub --noAssert --use abort= --maximumMemory 16384
// The call-tree recorder: the entry/exit hooks of an instrumented guest, linked to it as its
// `__wasm_sandbox.enter/exit` imports, so that each event is a wasm-to-wasm call. It keeps the
// shadow stack and the path-sensitive call tree in its own memory (the guest is given only
// these functions, never this memory); JavaScript reads the nodes after the call.
//
// It does what src/profiler/build/call-tree-builder.ts does, step for step and in the same
// f64 arithmetic, so both give the same tree (test/call-tree-recorder.test.ts compares them).
//
// Memory, from __heap_base on (regions move to the end when they must grow, doubling):
//   nodes  NODE_BYTES each; node 0 is the root; creation order is the order of siblings
//   table  i32 node indices, open addressing on (parent, id); 0 = empty (the root is no child)
//   stack  FRAME_BYTES each: the open calls, innermost last
// Bounded: at most `maxNodes` nodes and `maxDepth` open frames (and 1 GiB of memory). A call
// that needs more is folded: it and everything it calls count as its caller's own weight,
// and `foldedCalls` says how many calls were folded (the adapter puts that in the tree's notes).

// Wall clock for the instrumented mode (performance.now, ms); the instructions mode never calls it.
@external("recorder", "now") declare function now(): f64;

// A node: weights as the builder keeps them (f64), then its place in the tree.
const CALLS: usize = 0;
const TOTAL: usize = 8;
const SELF: usize = 16;
const MIN: usize = 24;
const MAX: usize = 32;
const PARENT: usize = 40;
const ID: usize = 44;
/** The last child looked up under this node (a one-entry cache before the hash table). */
const LAST_ID: usize = 48;
const LAST_CHILD: usize = 52;
const NODE_BYTES: usize = 56;

// An open call.
const START: usize = 0;
const CHILD_TOTAL: usize = 8;
const FRAME_NODE: usize = 16;
const FRAME_ID: usize = 20;
const FRAME_BYTES: usize = 24;

/**
 * The instructions clock is `base - counter`: the guest passes its fuel counter (which counts
 * down) and the host keeps `base` equal to what the meter had handed out so far, so this reads
 * exactly what `sandbox.instructionsExecuted()` reads at the same instant.
 */
export let base: f64 = 0;
/** 0 until the sandbox exists: during instantiation (the start function) the clock reads 0. */
export let live: i32 = 0;

let top: usize = 0;
let nodes: usize = 0;
let nodeCount: i32 = 0;
let nodeCapacity: i32 = 0;
let maxNodes: i32 = 0;
let table: usize = 0;
let tableMask: i32 = 0;
/** The shadow stack: its first frame, the next free one, its end. */
let stack: usize = 0;
let sp: usize = 0;
let stackEnd: usize = 0;
let stackCapacity: i32 = 0;
/** The node of the innermost open frame (0: the root). */
let current: i32 = 0;
let maxDepth: i32 = 0;
/** Open calls being folded (entered beyond a limit): their exits only count down. */
let folding: i32 = 0;
let folded: f64 = 0;
let unwound: f64 = 0;

/** Bytes at the end of memory, growing it; 0 when memory may not grow that far. */
function allocate(bytes: usize): usize {
  const start = (top + 7) & ~7;
  const end = start + bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  top = end;
  return start;
}

/** Sets the limits and makes the root; false when not even the first regions fit. */
export function init(nodeLimit: i32, depthLimit: i32): bool {
  top = __heap_base;
  maxNodes = nodeLimit < 2 ? 2 : nodeLimit;
  maxDepth = depthLimit < 1 ? 1 : depthLimit;
  nodeCapacity = 256 < maxNodes ? 256 : maxNodes;
  nodes = allocate(<usize>nodeCapacity * NODE_BYTES);
  tableMask = 511;
  table = allocate(<usize>(tableMask + 1) << 2);
  stackCapacity = 256 < maxDepth ? 256 : maxDepth;
  stack = allocate(<usize>stackCapacity * FRAME_BYTES);
  sp = stack;
  stackEnd = stack + <usize>stackCapacity * FRAME_BYTES;
  current = 0;
  if (nodes == 0 || table == 0 || stack == 0) return false;
  clear();
  return true;
}

function clear(): void {
  memory.fill(table, 0, <usize>(tableMask + 1) << 2);
  nodeCount = 0;
  newNode(0, -1);
  folded = 0;
  unwound = 0;
}

function newNode(parent: i32, id: i32): i32 {
  const index = nodeCount++;
  const node = nodes + <usize>index * NODE_BYTES;
  store<f64>(node, 0, CALLS);
  store<f64>(node, 0, TOTAL);
  store<f64>(node, 0, SELF);
  store<f64>(node, Infinity, MIN);
  store<f64>(node, 0, MAX);
  store<i32>(node, parent, PARENT);
  store<i32>(node, id, ID);
  store<i32>(node, 0, LAST_CHILD);
  return index;
}

@inline function slot(parent: i32, id: i32): i32 {
  return <i32>((<u32>parent * 0x9e3779b1) ^ (<u32>id * 0x85ebca77)) & tableMask;
}

/** The child `id` of node `parent`, made when missing; -1 when the tree is full. */
@inline function childOf(parent: i32, id: i32): i32 {
  const p = nodes + <usize>parent * NODE_BYTES;
  const last = load<i32>(p, LAST_CHILD);
  return last != 0 && load<i32>(p, LAST_ID) == id ? last : lookUp(parent, id);
}

/** childOf past its one-entry cache: the hash table. */
function lookUp(parent: i32, id: i32): i32 {
  let at = slot(parent, id);
  while (true) {
    const entry = load<i32>(table + (<usize>at << 2));
    if (entry == 0) break;
    const node = nodes + <usize>entry * NODE_BYTES;
    if (load<i32>(node, PARENT) == parent && load<i32>(node, ID) == id) {
      remember(parent, id, entry);
      return entry;
    }
    at = (at + 1) & tableMask;
  }
  if (nodeCount >= nodeCapacity && !growNodes()) return -1;
  const child = newNode(parent, id);
  store<i32>(table + (<usize>at << 2), child);
  // Kept at most half full: rebuilt twice as large past that.
  if ((nodeCount << 1) > tableMask && !growTable()) {
    nodeCount--;
    store<i32>(table + (<usize>at << 2), 0);
    return -1;
  }
  remember(parent, id, child);
  return child;
}

@inline function remember(parent: i32, id: i32, child: i32): void {
  const p = nodes + <usize>parent * NODE_BYTES;
  store<i32>(p, id, LAST_ID);
  store<i32>(p, child, LAST_CHILD);
}

function growNodes(): bool {
  if (nodeCapacity >= maxNodes) return false;
  const capacity = nodeCapacity > (maxNodes >> 1) ? maxNodes : nodeCapacity << 1;
  const moved = allocate(<usize>capacity * NODE_BYTES);
  if (moved == 0) return false;
  memory.copy(moved, nodes, <usize>nodeCount * NODE_BYTES);
  nodes = moved;
  nodeCapacity = capacity;
  return true;
}

function growTable(): bool {
  const mask = (tableMask << 1) | 1;
  const moved = allocate(<usize>(mask + 1) << 2);
  if (moved == 0) return false;
  memory.fill(moved, 0, <usize>(mask + 1) << 2);
  table = moved;
  tableMask = mask;
  for (let index = 1; index < nodeCount; index++) {
    const node = nodes + <usize>index * NODE_BYTES;
    let at = slot(load<i32>(node, PARENT), load<i32>(node, ID));
    while (load<i32>(table + (<usize>at << 2)) != 0) at = (at + 1) & tableMask;
    store<i32>(table + (<usize>at << 2), index);
  }
  return true;
}

function growStack(): bool {
  if (stackCapacity >= maxDepth) return false;
  const capacity = stackCapacity > (maxDepth >> 1) ? maxDepth : stackCapacity << 1;
  const moved = allocate(<usize>capacity * FRAME_BYTES);
  if (moved == 0) return false;
  memory.copy(moved, stack, sp - stack);
  sp = moved + (sp - stack);
  stack = moved;
  stackEnd = moved + <usize>capacity * FRAME_BYTES;
  stackCapacity = capacity;
  return true;
}

function startFolding(): void {
  folding = 1;
  folded++;
}

@inline function depth(): i32 {
  return <i32>((sp - stack) / FRAME_BYTES);
}

@inline function enterAt(id: i32, at: f64): void {
  if (folding > 0) {
    folding++;
    folded++;
    return;
  }
  if (sp == stackEnd && !growStack()) {
    startFolding();
    return;
  }
  const node = childOf(current, id);
  if (node < 0) {
    startFolding();
    return;
  }
  const frame = sp;
  store<f64>(frame, at, START);
  store<f64>(frame, 0, CHILD_TOTAL);
  store<i32>(frame, node, FRAME_NODE);
  store<i32>(frame, id, FRAME_ID);
  sp = frame + FRAME_BYTES;
  current = node;
}

/**
 * Math.max(0, x) for the finite x it is given (clock readings are never NaN): a select, where
 * f64.max must also order NaN and −0 (V8 emits a branchy sequence for it).
 */
@inline function positive(x: f64): f64 {
  return x > 0 ? x : 0;
}

/** Closes the innermost open frame at `at` (the builder's `close`). */
@inline function closeTop(at: f64): void {
  const frame = sp - FRAME_BYTES;
  sp = frame;
  const elapsed = positive(at - load<f64>(frame, START));
  const node = nodes + <usize>load<i32>(frame, FRAME_NODE) * NODE_BYTES;
  store<f64>(node, load<f64>(node, CALLS) + 1, CALLS);
  store<f64>(node, load<f64>(node, TOTAL) + elapsed, TOTAL);
  store<f64>(node, load<f64>(node, SELF) + positive(elapsed - load<f64>(frame, CHILD_TOTAL)), SELF);
  if (elapsed < load<f64>(node, MIN)) store<f64>(node, elapsed, MIN);
  if (elapsed > load<f64>(node, MAX)) store<f64>(node, elapsed, MAX);
  current = load<i32>(node, PARENT);
  if (frame > stack) {
    const parent = frame - FRAME_BYTES;
    store<f64>(parent, load<f64>(parent, CHILD_TOTAL) + elapsed, CHILD_TOTAL);
  }
}

@inline function exitAt(id: i32, at: f64): void {
  if (folding > 0) {
    folding--;
    return;
  }
  if (sp == stack) return; // an exit without its enter: nothing to close
  if (load<i32>(sp - FRAME_BYTES, FRAME_ID) != id) {
    closeOutOfStep(id, at);
    return;
  }
  closeTop(at);
}

/** Out of step (a wasm exception skipped exits): close frames until the matching one. */
function closeOutOfStep(id: i32, at: f64): void {
  closeTop(at);
  while (sp > stack && load<i32>(sp - FRAME_BYTES, FRAME_ID) != id) closeTop(at);
  if (sp > stack) closeTop(at);
}

@inline function instructionsAt(counter: i32): f64 {
  return live != 0 ? base - <f64>counter : 0;
}

// The hook imports, by mode: enter(profile id, the guest's fuel counter), exit(the same, then a
// deferred entry that came first: its id, or -1, and its counter; src/instrument/abi.ts).
export function enterCounted(id: i32, counter: i32): void {
  enterAt(id, instructionsAt(counter));
}

/**
 * Entries are deferred in this mode: a pending entry reaches the recorder as `enterCounted`
 * before any other event, or with the exit it precedes — the exiting function's own (a leaf:
 * recorded without pushing its frame), or after a throw a callee's — so the recorder sees the
 * same events in the same order as with eager entries, and builds the same tree.
 */
export function exitCounted(id: i32, counter: i32, pendingId: i32, pendingCounter: i32): void {
  if (pendingId >= 0) {
    if (pendingId == id) {
      leafAt(id, pendingCounter, counter);
      return;
    }
    enterAt(pendingId, instructionsAt(pendingCounter));
  }
  exitAt(id, instructionsAt(counter));
}

/**
 * A call that made no calls, entered and left at these counters: what enterAt then exitAt do,
 * without pushing its frame. Past a limit (folding, a full stack, a full tree) it takes their path.
 */
@inline function leafAt(id: i32, entered: i32, left: i32): void {
  if (folding > 0 || sp == stackEnd) {
    enterAt(id, instructionsAt(entered));
    exitAt(id, instructionsAt(left));
    return;
  }
  const index = childOf(current, id);
  if (index < 0) {
    folded++;
    return;
  }
  // (base − left) − (base − entered), exactly: every term is an integer below 2^53. No
  // counter is refilled while an entry is pending (the host settles first).
  const elapsed = live != 0 ? positive(<f64>entered - <f64>left) : 0;
  const node = nodes + <usize>index * NODE_BYTES;
  store<f64>(node, load<f64>(node, CALLS) + 1, CALLS);
  store<f64>(node, load<f64>(node, TOTAL) + elapsed, TOTAL);
  store<f64>(node, load<f64>(node, SELF) + elapsed, SELF);
  if (elapsed < load<f64>(node, MIN)) store<f64>(node, elapsed, MIN);
  if (elapsed > load<f64>(node, MAX)) store<f64>(node, elapsed, MAX);
  if (sp > stack) {
    const parent = sp - FRAME_BYTES;
    store<f64>(parent, load<f64>(parent, CHILD_TOTAL) + elapsed, CHILD_TOTAL);
  }
}

export function enterTimed(id: i32, counter: i32): void {
  enterAt(id, now() * 1e6);
}

export function exitTimed(id: i32, counter: i32, _pendingId: i32, _pendingCounter: i32): void {
  exitAt(id, now() * 1e6);
}

/** The call boundary after a trap: closes every open frame at `at` (the builder's `unwind`). */
export function unwindAt(at: f64): void {
  folding = 0;
  while (sp > stack) {
    unwound++;
    closeTop(at);
  }
}

/** Drops recorded weights; open frames keep their place (their nodes are made again, first). */
export function reset(): void {
  clear();
  let parent = 0;
  for (let frame = stack; frame < sp; frame += FRAME_BYTES) {
    // Fewer nodes than open frames were there before: the tree cannot be full here.
    parent = childOf(parent, load<i32>(frame, FRAME_ID));
    store<i32>(frame, parent, FRAME_NODE);
    store<f64>(frame, 0, CHILD_TOTAL);
  }
  current = parent;
}

// What JavaScript reads after the call.
export function nodeBase(): usize {
  return nodes;
}
export function nodesRecorded(): i32 {
  return nodeCount;
}
export function openFrames(): i32 {
  return depth();
}
export function foldedCalls(): f64 {
  return folded;
}
export function unwoundFrames(): f64 {
  return unwound;
}

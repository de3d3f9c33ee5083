// The allocation recorder: linked as a guest's `__wasm_sandbox.alloc` import, it keeps the
// allocation table and per-site counters in its own memory, so an allocator event is a
// wasm-to-wasm call, never a call into JavaScript. The host reads this memory after each call
// (src/host/profiling/allocation-recorder.ts) and builds the same AllocationReport the JS
// tracker builds (src/profiler/build/allocation-tracker.ts: the definitions live there).
// Sites are calling functions (profile ids); no stacks, no instruction clock.
//
// Memory: [header: HEADER_FIELDS f64] [sites: capacity × SITE_FIELDS f64] then, bump-allocated,
// the pointer table (keys, values: i32) and the slot columns (SLOT_BYTES each), regrown by copy.
// Per event only what cannot be derived is written: a site's live counts are blocks − freed
// (bytes − freed − shrunk), totals are sums over sites, and the live total is a global
// (`sync()` writes it to the header before the host reads).

// Header fields (f64 each), read by the host by index.
const H_BLOCKS = 0, H_BYTES = 1, H_FREED_BLOCKS = 2, H_FREED_BYTES = 3, H_TEMPORARY = 4, H_LIVE_BLOCKS = 5, H_LIVE_BYTES = 6;
const H_UNKNOWN_FREES = 7, H_FAILED = 8, H_INFERRED = 9, H_PEAK_BYTES = 10, H_PEAK_BLOCKS = 11, H_PEAK_SITE = 12, H_PEAK_CALL = 13;
const H_SITE_CAPACITY = 14, H_SITES_USED = 15;
const HEADER_FIELDS = 16;

// Site fields (f64 each).
const S_BLOCKS = 0, S_BYTES = 1, S_FREED_BLOCKS = 2, S_FREED_BYTES = 3, S_LIVE_BLOCKS = 4, S_LIVE_BYTES = 5, S_PEAK_BLOCKS = 6, S_PEAK_BYTES = 7;
const S_TEMPORARY = 8, S_REALLOCS = 9, S_LONGEST_CHAIN = 10, S_LIFE_CALLS_SUM = 12, S_LIFE_CALLS_MIN = 13, S_LIFE_CALLS_MAX = 14, S_SHRUNK = 15;
const S_HISTOGRAM = 17;
const BUCKETS = 34;
const SITE_FIELDS = S_HISTOGRAM + BUCKETS;

// Slot columns: size f64 at 0, site i32 at 8, born call i32 at 12, chain i32 at 16 (24 bytes).
const SLOT_BYTES = 24;

const KIND_MALLOC = 0, KIND_CALLOC = 1, KIND_REALLOC = 2, KIND_FREE = 3, KIND_NEW = 4;

let header: usize = 0;
let sites: usize = 0;
let siteCapacity: i32 = 0;
let top: usize = 0;

let keys: usize = 0;
let values: usize = 0;
let tableMask: u32 = 0;
let tableShift: u32 = 0;
let tableSize: i32 = 0;

let slots: usize = 0;
let slotCapacity: i32 = 0;
let nextSlot: i32 = 0;
let freeSlot: i32 = -1;

// Sites that allocated at least once, in first-use order: the peak copy walks these only.
let active: usize = 0;
let activeCount: i32 = 0;

let liveBytes: f64 = 0;
let liveBlocks: f64 = 0;
let peakBytes: f64 = 0;

let lastAllocated: i64 = -1;
let callSeq: i32 = 0;
let inCall: bool = false;
let peakPending: bool = false;

function reserve(bytes: usize): usize {
  const at = (top + 7) & ~7;
  const end = at + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    if (memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) unreachable();
  }
  top = end;
  return at;
}

@inline function hget(field: i32): f64 { return load<f64>(header + (<usize>field << 3)); }
@inline function hset(field: i32, value: f64): void { store<f64>(header + (<usize>field << 3), value); }
@inline function hadd(field: i32, delta: f64): void { const p = header + (<usize>field << 3); store<f64>(p, load<f64>(p) + delta); }
@inline function site(id: i32, field: i32): usize { return sites + ((<usize>id * SITE_FIELDS + field) << 3); }
@inline function sadd(id: i32, field: i32, delta: f64): void { const p = site(id, field); store<f64>(p, load<f64>(p) + delta); }

/** Sets up for `capacity` sites (profile ids 0..capacity-1); returns the header's address. */
export function init(capacity: i32): usize {
  top = __heap_base;
  header = reserve(HEADER_FIELDS << 3);
  siteCapacity = capacity;
  sites = reserve(<usize>capacity * SITE_FIELDS << 3);
  memory.fill(header, 0, top - header);
  for (let i = 0; i < capacity; i++) store<f64>(site(i, S_LIFE_CALLS_MIN), Infinity);
  hset(H_SITE_CAPACITY, capacity);
  hset(H_PEAK_CALL, -1);
  tableShift = 32 - 12;
  tableMask = (1 << 12) - 1;
  keys = reserve(4 << 12);
  values = reserve(4 << 12);
  memory.fill(keys, 0, 4 << 12);
  slotCapacity = 1024;
  slots = reserve(<usize>slotCapacity * SLOT_BYTES);
  active = reserve(<usize>capacity << 2);
  activeCount = 0;
  liveBytes = 0;
  liveBlocks = 0;
  peakBytes = 0;
  return header;
}

/** Writes the live totals to the header (the host calls this before reading it). */
export function sync(): void {
  hset(H_LIVE_BYTES, liveBytes);
  hset(H_LIVE_BLOCKS, liveBlocks);
}

export function sitesAddress(): usize { return sites; }
export function siteFields(): i32 { return SITE_FIELDS; }

/** A host call begins (numbered by the host: 1, 2, …) or ends. */
export function beginCall(seq: i32): void { callSeq = seq; inCall = true; }
export function endCall(): void { inCall = false; }

/** Copies every site's live counts as the peak's, if a new peak is pending. */
export function takePeak(): void {
  if (!peakPending) return;
  peakPending = false;
  for (let n = 0; n < activeCount; n++) {
    const i = load<i32>(active + (<usize>n << 2));
    store<f64>(site(i, S_PEAK_BLOCKS), load<f64>(site(i, S_BLOCKS)) - load<f64>(site(i, S_FREED_BLOCKS)));
    store<f64>(site(i, S_PEAK_BYTES), load<f64>(site(i, S_BYTES)) - load<f64>(site(i, S_FREED_BYTES)) - load<f64>(site(i, S_SHRUNK)));
  }
}

@inline function home(key: u32): u32 { return (key * 0x9e3779b1) >> tableShift; }

function tableGet(key: u32): i32 {
  for (let i = home(key); ; i = (i + 1) & tableMask) {
    const at = load<u32>(keys + (<usize>i << 2));
    if (at == key) return load<i32>(values + (<usize>i << 2));
    if (at == 0) return -1;
  }
  return -1; // not reached: the table is never full
}

/** Stores key → slot; returns the slot it replaced, or -1. */
function tableSet(key: u32, slot: i32): i32 {
  if ((tableSize + 1) * 2 > <i32>(tableMask + 1)) tableGrow();
  for (let i = home(key); ; i = (i + 1) & tableMask) {
    const at = load<u32>(keys + (<usize>i << 2));
    if (at == key) {
      const old = load<i32>(values + (<usize>i << 2));
      store<i32>(values + (<usize>i << 2), slot);
      return old;
    }
    if (at == 0) {
      tableSize++;
      store<u32>(keys + (<usize>i << 2), key);
      store<i32>(values + (<usize>i << 2), slot);
      return -1;
    }
  }
  return -1; // not reached: the table is never full
}

function tableDelete(key: u32): i32 {
  let i = home(key);
  for (; ; i = (i + 1) & tableMask) {
    const at = load<u32>(keys + (<usize>i << 2));
    if (at == 0) return -1;
    if (at == key) break;
  }
  const slot = load<i32>(values + (<usize>i << 2));
  tableSize--;
  let hole = i;
  for (let j = (i + 1) & tableMask; load<u32>(keys + (<usize>j << 2)) != 0; j = (j + 1) & tableMask) {
    const h = home(load<u32>(keys + (<usize>j << 2)));
    const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
    if (!between) {
      store<u32>(keys + (<usize>hole << 2), load<u32>(keys + (<usize>j << 2)));
      store<i32>(values + (<usize>hole << 2), load<i32>(values + (<usize>j << 2)));
      hole = j;
    }
  }
  store<u32>(keys + (<usize>hole << 2), 0);
  return slot;
}

function tableGrow(): void {
  const oldKeys = keys;
  const oldValues = values;
  const oldCapacity = tableMask + 1;
  const capacity = oldCapacity << 1;
  keys = reserve(<usize>capacity << 2);
  values = reserve(<usize>capacity << 2);
  memory.fill(keys, 0, <usize>capacity << 2);
  tableMask = capacity - 1;
  tableShift--;
  tableSize = 0;
  for (let i: u32 = 0; i < oldCapacity; i++) {
    const key = load<u32>(oldKeys + (<usize>i << 2));
    if (key != 0) tableSet(key, load<i32>(oldValues + (<usize>i << 2)));
  }
}

function newSlot(): i32 {
  if (freeSlot >= 0) {
    const slot = freeSlot;
    freeSlot = load<i32>(slots + <usize>slot * SLOT_BYTES + 8);
    return slot;
  }
  if (nextSlot == slotCapacity) {
    const grown = reserve(<usize>slotCapacity * 2 * SLOT_BYTES);
    memory.copy(grown, slots, <usize>slotCapacity * SLOT_BYTES);
    slots = grown;
    slotCapacity *= 2;
  }
  return nextSlot++;
}

@inline function bucketOf(bytes: u32): i32 {
  return bytes == 0 ? 0 : min<i32>(BUCKETS - 1, 32 - clz<u32>(bytes));
}

function allocate(id: i32, pointer: u32, bytes: f64, chain: i32): void {
  if (pointer == 0) { hadd(H_FAILED, 1); return; }
  // One probe: a block still recorded at this address had a free we did not see.
  const slot = newSlot();
  const stale = tableSet(pointer, slot);
  if (stale >= 0) {
    hadd(H_INFERRED, 1);
    releaseSlot(stale, false);
  }
  if (load<f64>(site(id, S_BLOCKS)) == 0) {
    store<i32>(active + (<usize>activeCount << 2), id);
    activeCount++;
  }
  sadd(id, S_BLOCKS, 1);
  sadd(id, S_BYTES, bytes);
  sadd(id, S_HISTOGRAM + bucketOf(<u32>bytes), 1);
  if (chain > 0 && <f64>chain > load<f64>(site(id, S_LONGEST_CHAIN))) store<f64>(site(id, S_LONGEST_CHAIN), chain);
  liveBlocks += 1;
  liveBytes += bytes;
  const at = slots + <usize>slot * SLOT_BYTES;
  store<f64>(at, bytes);
  store<i32>(at + 8, id);
  store<i32>(at + 12, callSeq);
  store<i32>(at + 16, chain);
  lastAllocated = pointer;
  notePeak(id);
}

@inline function notePeak(id: i32): void {
  if (liveBytes > peakBytes) {
    peakBytes = liveBytes;
    hset(H_PEAK_BYTES, liveBytes);
    hset(H_PEAK_BLOCKS, liveBlocks);
    hset(H_PEAK_SITE, id);
    hset(H_PEAK_CALL, inCall ? callSeq : -1);
    peakPending = true;
  }
}

function release(pointer: u32, temporary: bool): bool {
  const slot = tableDelete(pointer);
  if (slot < 0) return false;
  releaseSlot(slot, temporary);
  return true;
}

function releaseSlot(slot: i32, temporary: bool): void {
  takePeak();
  const at = slots + <usize>slot * SLOT_BYTES;
  const bytes = load<f64>(at);
  const id = load<i32>(at + 8);
  const calls = <f64>(callSeq - load<i32>(at + 12));
  store<i32>(at + 8, freeSlot);
  freeSlot = slot;
  sadd(id, S_FREED_BLOCKS, 1);
  sadd(id, S_FREED_BYTES, bytes);
  liveBlocks -= 1;
  liveBytes -= bytes;
  if (temporary) sadd(id, S_TEMPORARY, 1);
  if (calls != 0) sadd(id, S_LIFE_CALLS_SUM, calls);
  if (calls < load<f64>(site(id, S_LIFE_CALLS_MIN))) store<f64>(site(id, S_LIFE_CALLS_MIN), calls);
  if (calls > load<f64>(site(id, S_LIFE_CALLS_MAX))) store<f64>(site(id, S_LIFE_CALLS_MAX), calls);
}

function reallocate(id: i32, old: u32, pointer: u32, bytes: f64, freesOld: bool): void {
  const slot = old == 0 ? -1 : tableGet(old);
  if (slot < 0) {
    if (old != 0) hadd(H_UNKNOWN_FREES, 1);
    if (pointer == 0 && bytes == 0) return;
    allocate(id, pointer, bytes, 0);
    return;
  }
  if (pointer == 0) {
    if (bytes == 0 && freesOld) free(old);
    else hadd(H_FAILED, 1);
    return;
  }
  const at = slots + <usize>slot * SLOT_BYTES;
  const owner = load<i32>(at + 8);
  sadd(owner, S_REALLOCS, 1);
  const chain = load<i32>(at + 16) + 1;
  if (pointer == old) {
    const delta = bytes - load<f64>(at);
    if (delta < 0) takePeak();
    store<f64>(at, bytes);
    store<i32>(at + 16, chain);
    if (<f64>chain > load<f64>(site(owner, S_LONGEST_CHAIN))) store<f64>(site(owner, S_LONGEST_CHAIN), chain);
    if (delta > 0) sadd(owner, S_BYTES, delta);
    else sadd(owner, S_SHRUNK, -delta);
    liveBytes += delta;
    notePeak(id);
    return;
  }
  if (freesOld) release(old, false);
  allocate(id, pointer, bytes, chain);
}

function free(pointer: u32): void {
  if (pointer == 0) return;
  if (!release(pointer, <i64>pointer == lastAllocated)) { hadd(H_UNKNOWN_FREES, 1); return; }
  lastAllocated = -1;
}

/** The hook: `alloc(kind, caller, first, second, result)` as the allocator pass calls it (abi.ts). */
export function alloc(kind: i32, caller: i32, first: u32, second: u32, result: u32): void {
  if (caller >= siteCapacity) caller = siteCapacity - 1; // ids past the table share its last row (never with the engine's ids)
  if (kind == KIND_FREE) free(first);
  else if (kind == KIND_NEW || kind == KIND_MALLOC) allocate(caller, result, <f64>first, 0);
  else if (kind == KIND_CALLOC) allocate(caller, result, <f64>first * <f64>second, 0);
  else reallocate(caller, first, result, <f64>second, kind == KIND_REALLOC);
}

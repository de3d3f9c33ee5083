// The allocation recorder: linked as a guest's `__wasm_sandbox.alloc` import, it keeps the
// allocation table and per-site counters in its own memory, so an allocator event is a
// wasm-to-wasm call, never a call into JavaScript. The host reads this memory after each call
// (src/host/profiling/allocation-recorder.ts) and builds the same AllocationReport the JS
// tracker builds (src/profiler/build/allocation-tracker.ts: the definitions live there).
// Sites are calling functions (profile ids); no stacks, no instruction clock.
//
// Memory: [header: HEADER_FIELDS f64] [sites: capacity × SITE_FIELDS f64] then, bump-allocated,
// the table of live blocks (ENTRY_BYTES each, open addressing on the pointer, regrown by copy).
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

// A live block, where the table holds it: its pointer (0: an empty entry), site, the call it was
// born in, its realloc chain, its size. One entry per block, so an event reads one place.
const E_KEY = 0, E_SITE = 4, E_BORN = 8, E_CHAIN = 12, E_BYTES = 16;
const ENTRY_BYTES = 24;

const KIND_MALLOC = 0, KIND_CALLOC = 1, KIND_REALLOC = 2, KIND_FREE = 3, KIND_NEW = 4;

let header: usize = 0;
let sites: usize = 0;
let siteCapacity: i32 = 0;
let top: usize = 0;

let table: usize = 0;
let tableMask: u32 = 0;
let tableShift: u32 = 0;
let tableSize: i32 = 0;

// Sites that allocated at least once, in first-use order: the peak copy walks these only.
let active: usize = 0;
let activeCount: i32 = 0;

let liveBytes: f64 = 0;
let liveBlocks: f64 = 0;
let peakBytes: f64 = 0;

// Memory growth seen at allocator events: (call seq or -1 outside a call, pages, live bytes
// before the event) per point, until the host drains them at the call's end.
let knownPages: i32 = -1;
let growth: usize = 0;
let growthCapacity: i32 = 0;
let growthCount: i32 = 0;
const GROWTH_POINT_BYTES = 24;

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

@inline function hset(field: i32, value: f64): void { store<f64>(header + (<usize>field << 3), value); }
@inline function hadd(field: i32, delta: f64): void { const p = header + (<usize>field << 3); store<f64>(p, load<f64>(p) + delta); }
@inline function siteRow(id: i32): usize { return sites + ((<usize>id * SITE_FIELDS) << 3); }
@inline function add(row: usize, field: i32, delta: f64): void { const p = row + (<usize>field << 3); store<f64>(p, load<f64>(p) + delta); }
@inline function get(row: usize, field: i32): f64 { return load<f64>(row + (<usize>field << 3)); }
@inline function put(row: usize, field: i32, value: f64): void { store<f64>(row + (<usize>field << 3), value); }

const FIRST_TABLE_BITS: u32 = 12;

/** Sets up for `capacity` sites (profile ids 0..capacity-1); returns the header's address. */
export function init(capacity: i32): usize {
  top = __heap_base;
  header = reserve(HEADER_FIELDS << 3);
  siteCapacity = capacity;
  sites = reserve(<usize>capacity * SITE_FIELDS << 3);
  memory.fill(header, 0, top - header);
  for (let i = 0; i < capacity; i++) put(siteRow(i), S_LIFE_CALLS_MIN, Infinity);
  hset(H_SITE_CAPACITY, capacity);
  hset(H_PEAK_CALL, -1);
  tableShift = 32 - FIRST_TABLE_BITS;
  tableMask = (1 << FIRST_TABLE_BITS) - 1;
  table = reserve(<usize>ENTRY_BYTES << FIRST_TABLE_BITS);
  memory.fill(table, 0, <usize>ENTRY_BYTES << FIRST_TABLE_BITS);
  tableSize = 0;
  active = reserve(<usize>capacity << 2);
  activeCount = 0;
  growthCapacity = 64;
  growth = reserve(<usize>growthCapacity * GROWTH_POINT_BYTES);
  growthCount = 0;
  knownPages = -1;
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

/**
 * The memory's size as the host sees it (after instantiation, at a call's end); true when it
 * differs from the last size seen, which the host then records as a growth point itself.
 */
export function notePages(pages: i32): bool {
  const changed = knownPages >= 0 && pages != knownPages;
  knownPages = pages;
  return changed;
}

/** Growth points recorded since the host last cleared them, at `growthAddress()`. */
export function growthPoints(): i32 { return growthCount; }
export function growthAddress(): usize { return growth; }
export function clearGrowth(): void { growthCount = 0; }

function noteGrowth(pages: i32): void {
  if (knownPages >= 0) {
    if (growthCount == growthCapacity) {
      const moved = reserve(<usize>growthCapacity * 2 * GROWTH_POINT_BYTES);
      memory.copy(moved, growth, <usize>growthCount * GROWTH_POINT_BYTES);
      growth = moved;
      growthCapacity *= 2;
    }
    const at = growth + <usize>growthCount * GROWTH_POINT_BYTES;
    store<f64>(at, inCall ? <f64>callSeq : -1);
    store<f64>(at, <f64><u32>pages, 8);
    store<f64>(at, liveBytes, 16);
    growthCount++;
  }
  knownPages = pages;
}

/** A host call begins (numbered by the host: 1, 2, …) or ends. */
export function beginCall(seq: i32): void { callSeq = seq; inCall = true; }
export function endCall(): void { inCall = false; }

/** Copies every site's live counts as the peak's, if a new peak is pending. */
export function takePeak(): void {
  if (!peakPending) return;
  peakPending = false;
  for (let n = 0; n < activeCount; n++) {
    const row = siteRow(load<i32>(active + (<usize>n << 2)));
    put(row, S_PEAK_BLOCKS, get(row, S_BLOCKS) - get(row, S_FREED_BLOCKS));
    put(row, S_PEAK_BYTES, get(row, S_BYTES) - get(row, S_FREED_BYTES) - get(row, S_SHRUNK));
  }
}

@inline function home(key: u32): u32 { return (key * 0x9e3779b1) >> tableShift; }
@inline function entryAt(index: u32): usize { return table + <usize>index * ENTRY_BYTES; }

/** The entry holding `key`, or 0. */
@inline function find(key: u32): usize {
  for (let i = home(key); ; i = (i + 1) & tableMask) {
    const entry = entryAt(i);
    const at = load<u32>(entry, E_KEY);
    if (at == key) return entry;
    if (at == 0) return 0;
  }
  return 0; // not reached: the table is never full
}

/**
 * The entry for `key`, with bit 0 set when it was already there (a block whose free we did not
 * see: the caller releases it first), else a new one with only its key written (entries are
 * 8-aligned). Grows the table first if needed.
 */
@inline function claim(key: u32): usize {
  if ((tableSize + 1) * 2 > <i32>(tableMask + 1)) tableGrow();
  for (let i = home(key); ; i = (i + 1) & tableMask) {
    const entry = entryAt(i);
    const at = load<u32>(entry, E_KEY);
    if (at == key) return entry | 1;
    if (at == 0) {
      tableSize++;
      store<u32>(entry, key, E_KEY);
      return entry;
    }
  }
  return 0; // not reached: the table is never full
}

/** Empties `entry` (found by `find`), shifting later entries of its run back into the hole. */
function remove(entry: usize): void {
  tableSize--;
  let hole = <u32>((entry - table) / ENTRY_BYTES);
  for (let j = (hole + 1) & tableMask; ; j = (j + 1) & tableMask) {
    const next = entryAt(j);
    const key = load<u32>(next, E_KEY);
    if (key == 0) break;
    const h = home(key);
    const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
    if (!between) {
      const to = entryAt(hole);
      store<u64>(to, load<u64>(next));
      store<u64>(to, load<u64>(next, 8), 8);
      store<u64>(to, load<u64>(next, 16), 16);
      hole = j;
    }
  }
  store<u32>(entryAt(hole), 0, E_KEY);
}

function tableGrow(): void {
  const old = table;
  const oldCapacity = tableMask + 1;
  const capacity = oldCapacity << 1;
  table = reserve(<usize>capacity * ENTRY_BYTES);
  memory.fill(table, 0, <usize>capacity * ENTRY_BYTES);
  tableMask = capacity - 1;
  tableShift--;
  for (let n: u32 = 0; n < oldCapacity; n++) {
    const from = old + <usize>n * ENTRY_BYTES;
    const key = load<u32>(from, E_KEY);
    if (key == 0) continue;
    let i = home(key);
    while (load<u32>(entryAt(i), E_KEY) != 0) i = (i + 1) & tableMask;
    memory.copy(entryAt(i), from, ENTRY_BYTES);
  }
}

@inline function bucketOf(bytes: u32): i32 {
  return bytes == 0 ? 0 : min<i32>(BUCKETS - 1, 32 - clz<u32>(bytes));
}

function allocate(id: i32, pointer: u32, bytes: f64, chain: i32): void {
  if (pointer == 0) { hadd(H_FAILED, 1); return; }
  // One probe: a block still recorded at this address had a free we did not see.
  const claimed = claim(pointer);
  const entry = claimed & ~1;
  if (claimed != entry) {
    hadd(H_INFERRED, 1);
    releaseBlock(entry, false);
  }
  const row = siteRow(id);
  if (get(row, S_BLOCKS) == 0) {
    store<i32>(active + (<usize>activeCount << 2), id);
    activeCount++;
  }
  add(row, S_BLOCKS, 1);
  add(row, S_BYTES, bytes);
  add(row, S_HISTOGRAM + bucketOf(<u32>bytes), 1);
  if (chain > 0 && <f64>chain > get(row, S_LONGEST_CHAIN)) put(row, S_LONGEST_CHAIN, chain);
  liveBlocks += 1;
  liveBytes += bytes;
  store<i32>(entry, id, E_SITE);
  store<i32>(entry, callSeq, E_BORN);
  store<i32>(entry, chain, E_CHAIN);
  store<f64>(entry, bytes, E_BYTES);
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

/** Frees the block at `pointer`; false when none is recorded there. */
function release(pointer: u32, temporary: bool): bool {
  const entry = find(pointer);
  if (entry == 0) return false;
  releaseBlock(entry, temporary);
  remove(entry);
  return true;
}

/** Counts the block in `entry` as freed (the entry itself stays: the caller reuses or removes it). */
@inline function releaseBlock(entry: usize, temporary: bool): void {
  if (peakPending) takePeak();
  const bytes = load<f64>(entry, E_BYTES);
  const row = siteRow(load<i32>(entry, E_SITE));
  const calls = <f64>(callSeq - load<i32>(entry, E_BORN));
  add(row, S_FREED_BLOCKS, 1);
  add(row, S_FREED_BYTES, bytes);
  liveBlocks -= 1;
  liveBytes -= bytes;
  if (temporary) add(row, S_TEMPORARY, 1);
  if (calls != 0) add(row, S_LIFE_CALLS_SUM, calls);
  if (calls < get(row, S_LIFE_CALLS_MIN)) put(row, S_LIFE_CALLS_MIN, calls);
  if (calls > get(row, S_LIFE_CALLS_MAX)) put(row, S_LIFE_CALLS_MAX, calls);
}

function reallocate(id: i32, old: u32, pointer: u32, bytes: f64, freesOld: bool): void {
  const entry: usize = old == 0 ? 0 : find(old);
  if (entry == 0) {
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
  const owner = siteRow(load<i32>(entry, E_SITE));
  add(owner, S_REALLOCS, 1);
  const chain = load<i32>(entry, E_CHAIN) + 1;
  if (pointer == old) {
    const delta = bytes - load<f64>(entry, E_BYTES);
    if (delta < 0 && peakPending) takePeak();
    store<f64>(entry, bytes, E_BYTES);
    store<i32>(entry, chain, E_CHAIN);
    if (<f64>chain > get(owner, S_LONGEST_CHAIN)) put(owner, S_LONGEST_CHAIN, chain);
    if (delta > 0) add(owner, S_BYTES, delta);
    else add(owner, S_SHRUNK, -delta);
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

/** The hook: `alloc(kind, caller, first, second, result, pages)` as the allocator pass calls it (abi.ts). */
export function alloc(kind: i32, caller: i32, first: u32, second: u32, result: u32, pages: i32): void {
  if (pages != knownPages) noteGrowth(pages);
  if (caller >= siteCapacity) caller = siteCapacity - 1; // ids past the table share its last row (never with the engine's ids)
  if (kind == KIND_FREE) free(first);
  else if (kind == KIND_NEW || kind == KIND_MALLOC) allocate(caller, result, <f64>first, 0);
  else if (kind == KIND_CALLOC) allocate(caller, result, <f64>first * <f64>second, 0);
  else reallocate(caller, first, result, <f64>second, kind == KIND_REALLOC);
}

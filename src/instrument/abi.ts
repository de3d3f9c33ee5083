/**
 * Every name the instrumentation passes add to a guest, in one place: the imports the host
 * must provide, the globals and exports it reads, and how hook arguments are encoded. Both
 * sides import this file — the passes (which need binaryen) and the host (which must not load
 * binaryen unless it rewrites something) — so it imports nothing.
 */

/** Prefix of every name the host adds; guests cannot be granted imports under it. */
export const RESERVED_PREFIX = '__wasm_sandbox';

/** Import namespace of every host-provided import the passes add. */
export const HOST_MODULE = '__wasm_sandbox';

/** Mutable i32 global: what the guest may still execute before it must call the budget import. */
export const BUDGET_GLOBAL = '__wasm_sandbox_budget';

/** `budget(counter: i32) -> i32`: called when the counter went negative; returns the next allowance or throws. */
export const BUDGET_IMPORT = { module: HOST_MODULE, name: 'budget', internal: '__wasm_sandbox_budget_exhausted' } as const;

/**
 * `enter(profileId: i32, counter: i32)`, `exit(profileId: i32, counter: i32, pendingId: i32,
 * pendingCounter: i32)`: function entry and exit events; `counter` is the budget global's value
 * at the event (0 without fuel or deadlines), from which a recorder derives the instruction
 * clock. `pendingId` ≥ 0 says a deferred entry (HOOK_GLOBALS) came first: that function's, at
 * `pendingCounter` — the exiting function's own when the ids match (a leaf), a callee's that
 * threw past its exit otherwise. With entries eager it is always -1.
 */
export const HOOK_IMPORTS = {
  module: HOST_MODULE,
  enter: { name: 'enter', internal: '__wasm_sandbox_enter' },
  exit: { name: 'exit', internal: '__wasm_sandbox_exit' },
} as const;

/**
 * Deferred entries, for consumers whose clock is the counter (the instructions mode). Mutable
 * i32 globals the hooks pass adds and exports. With `defer_entry` 0 (its initial value: the
 * start function always runs eager) every entry calls `enter`. Set to 1, an entry makes no
 * call: it writes its profile id and counter into `pending_id`/`pending_counter`, and the
 * consumer hears of it at the next event — a callee's entry or a host-boundary `enter` first
 * call `enter(pending_id, pending_counter)`, and the function's own `exit` carries it (a leaf:
 * one call instead of two). `pending_id` is -1 when nothing is pending; the host settles a
 * pending entry the same way before it moves the clock base and after a trap.
 */
export const HOOK_GLOBALS = {
  defer: { name: '__wasm_sandbox_defer_entry' },
  pendingId: { name: '__wasm_sandbox_pending_id' },
  pendingCounter: { name: '__wasm_sandbox_pending_counter' },
} as const;

/**
 * Counter globals (i64), `${prefix}${profileId}` for the function with that profile id. The
 * instructions of a function's entry run (charged once per call, where its call is counted) are
 * not added per call: an immutable `ENTRY_INSTRUCTIONS_PREFIX` global holds them, and a
 * function's instructions are `instr + calls × entry`.
 */
export const CALLS_PREFIX = '__wasm_sandbox_calls_';
export const INSTRUCTIONS_PREFIX = '__wasm_sandbox_instr_';
export const ENTRY_INSTRUCTIONS_PREFIX = '__wasm_sandbox_entry_instr_';

/**
 * `alloc(kind, callerId, first, second, result, pages)` (all i32): one allocator call, and the
 * guest memory's size in pages as it returned (0 without a memory), so a consumer in wasm sees
 * each growth where a JS one would, at the event after it.
 */
export const ALLOCATOR_IMPORT = { module: HOST_MODULE, name: 'alloc', internal: '__wasm_sandbox_alloc' } as const;

/** What the allocator hook's first argument means, by index. */
export const ALLOCATION_KINDS = ['malloc', 'calloc', 'realloc', 'free', 'new', 'renew'] as const;
export type AllocationKind = (typeof ALLOCATION_KINDS)[number];

/**
 * Mutable i32 globals the allocator pass adds (and exports, so the host can reset them after a
 * trap): how many allocator calls are open. An allocator called from inside another (realloc →
 * malloc, `__renew` → `__new`) reports nothing: the outer call is the one event. Frees nested in
 * a C realloc are its own; frees nested in an allocation (a collector sweeping inside `__new`)
 * are real and do report.
 */
export const ALLOCATOR_DEPTH_GLOBALS = { alloc: '__wasm_sandbox_alloc_depth', free: '__wasm_sandbox_free_depth' } as const;

/**
 * How a recognised function's parameters map onto the hook's `first`/`second` (argument
 * indices; -1 = none). All roles report one of ALLOCATION_KINDS.
 */
export interface AllocatorShape {
  readonly kind: AllocationKind;
  readonly first: number;
  readonly second: number;
  /** Added to `first` (AssemblyScript's internal frees see a block header, not the object). */
  readonly firstOffset?: number;
  /** The pointer is written to memory at this argument (posix_memalign), the call returns 0 on success. */
  readonly resultThrough?: number;
  /** Frees inside this call are part of it (a C realloc frees the old block itself). */
  readonly ownsFrees?: boolean;
  /** Only calls made from these functions (last name segment) count. */
  readonly callers?: readonly string[];
}

/** What a name can be declared as in `instrument.allocator`: a kind, or a known calling convention. */
export const ALLOCATOR_ROLES = {
  malloc: { kind: 'malloc', first: 0, second: -1 },
  calloc: { kind: 'calloc', first: 0, second: 1 },
  realloc: { kind: 'realloc', first: 0, second: 1, ownsFrees: true },
  free: { kind: 'free', first: 0, second: -1 },
  new: { kind: 'new', first: 0, second: 1 },
  renew: { kind: 'renew', first: 0, second: 1 },
  /** memalign(alignment, size), aligned_alloc(alignment, size) */
  memalign: { kind: 'malloc', first: 1, second: -1 },
  /** posix_memalign(out, alignment, size) → 0 and *out = pointer */
  posix_memalign: { kind: 'malloc', first: 2, second: -1, resultThrough: 0 },
  /** __rust_alloc(size, align), __rust_alloc_zeroed, __wbindgen_malloc(size, align) */
  rust_alloc: { kind: 'malloc', first: 0, second: -1 },
  /** __rust_dealloc(ptr, size, align), __wbindgen_free(ptr, size, align) */
  rust_dealloc: { kind: 'free', first: 0, second: -1 },
  /** __rust_realloc(ptr, old_size, align, new_size) */
  rust_realloc: { kind: 'realloc', first: 0, second: 3, ownsFrees: true },
  /** __wbindgen_realloc(ptr, old_size, new_size, align) */
  wbindgen_realloc: { kind: 'realloc', first: 0, second: 2, ownsFrees: true },
  /**
   * AssemblyScript's collector freeing an object: tlsf's `insertBlock(root, block)` called by the
   * sweep (`step`, or `__collect` where it is inlined); the object's pointer is block + 20.
   */
  as_sweep_free: { kind: 'free', first: 1, second: -1, firstOffset: 20, callers: ['step', '__collect', 'free'] },
  /** tlsf's `freeBlock(root, block)` when it survived inlining: object pointer = block + 20. */
  as_free_block: { kind: 'free', first: 1, second: -1, firstOffset: 20, callers: ['step', '__collect', 'free'] },
  /** tlsf's `__free(block + 4)` called by the collector's `free(obj)`: object pointer = argument + 16. */
  as_collector_free: { kind: 'free', first: 0, second: -1, firstOffset: 16, callers: ['step', '__collect', 'free'] },
} as const satisfies Record<string, AllocatorShape>;
export type AllocatorRole = keyof typeof ALLOCATOR_ROLES;

/**
 * Memory-access imports the memory pass adds, under HOST_MODULE (internal names are the same).
 * `load(bytes, offset, pointer) -> open` and `store(…)` see one access's address (pointer +
 * offset) and size; `memory_grow_pre(delta) -> delta` and `memory_grow_post(result) -> result`
 * frame each `memory.grow`.
 *
 * A consumer that models caches may let the guest count the commonest accesses itself
 * (MEMORY_GLOBALS): one at the address its stream class's stride predicts (the same delta from
 * that class's previous access as before it, no call event since) that lands within one of the
 * two lines touched last. Such an access makes no call: the guest counts it in `run_<class>`,
 * and in `second` when it was the line before the last (which then becomes the last). Before a
 * class's next report, `run(class, count, second)` hands over that class's count and the
 * second-line count (as f64); bulk operations hand over every class's first. `open`'s bit 0
 * says the accessed line may take such accesses, bit 1 that the line touched before it may too.
 * The guest never coalesces until the host sets the `fit_*` globals, so a consumer that returns
 * 0 sees every access and never a `run`.
 */
export const MEMORY_HOOKS = {
  load: '__wasm_sandbox_load',
  store: '__wasm_sandbox_store',
  run: '__wasm_sandbox_memory_run',
  growBefore: '__wasm_sandbox_memory_grow_pre',
  growAfter: '__wasm_sandbox_memory_grow_post',
} as const;

/**
 * The coalescing state, exported mutable i64 globals: `run_<class>` and `second` (counts not
 * yet reported), `fit_<bytes>` (line bytes − bytes + 1, 0 = never coalesce; set by the host)
 * and `line_mask` (−line bytes). Stream classes are the stride detector's: loads of 1, 2, 4, 8,
 * 16 bytes are 0…4, stores 6…10.
 */
export const MEMORY_GLOBALS = {
  second: '__wasm_sandbox_memory_second',
  lineMask: '__wasm_sandbox_memory_line_mask',
  fitPrefix: '__wasm_sandbox_memory_fit_',
  runPrefix: '__wasm_sandbox_memory_run_',
} as const;

/** Access widths that may coalesce, in stream-class order. */
export const COALESCED_WIDTHS = [1, 2, 4, 8, 16] as const;

/** The stride detector's stream class of a static access (loads 0…4, stores 6…10; 5 and 11 are other sizes). */
export function streamClassOf(bytes: number, isStore: boolean): number {
  const width = COALESCED_WIDTHS.indexOf(bytes as (typeof COALESCED_WIDTHS)[number]);
  return (isStore ? 6 : 0) + (width < 0 ? 5 : width);
}

/** The name the host boundary (calls into host imports) gets in profiles. */
export const HOST_FRAME = '(host)';

/** The instruction oracle's exported i64 counter (oracle-pass.ts; tests and benchmarks only). */
export const ORACLE_COUNTER = '__wasm_sandbox_oracle';

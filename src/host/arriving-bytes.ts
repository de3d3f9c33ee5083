/**
 * Typed arrays whose bytes another thread is still writing. The pool publishes a large request
 * before its caller has finished copying the arguments into the ring, so that the worker copies
 * them into guest memory while they arrive (two copies at once on two cores, not one after the
 * other); the decoder marks such views, and the runtime's copy into guest memory takes them in
 * slices, waiting for each. Unmarked arrays are copied at once, as always.
 */

/** Blocks until at least `bytes` of the view have arrived; returns how many have (≥ `bytes`, ≤ its length). */
export type AwaitBytes = (bytes: number) => number;

const arriving = new WeakMap<ArrayBufferView, AwaitBytes>();
/** Only a pool worker marks views: every other thread skips the lookup. */
let anyMarked = false;

/** Bytes copied between two waits: large enough that the waits cost nothing, small enough to overlap. */
export const ARRIVAL_SLICE_BYTES = 256 * 1024;

export function markArriving(view: ArrayBufferView, awaitBytes: AwaitBytes): void {
  anyMarked = true;
  arriving.set(view, awaitBytes);
}

/** How to wait for `view`'s bytes, or undefined when they are all there. */
export function arrivalOf(view: ArrayBufferView): AwaitBytes | undefined {
  return anyMarked ? arriving.get(view) : undefined;
}

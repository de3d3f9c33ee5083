/**
 * A typed-array argument whose bytes another thread is still writing. The pool publishes a large
 * typed call before its caller has copied the arrays into the ring (and, for the largest, streams
 * them through a window of the ring that is reused as the worker drains it), so that the worker
 * copies them into guest memory while they arrive: two copies at once on two cores, the window
 * staying in cache. The pool's decoder makes these in place of views; the runtime's `__newArray`
 * copies one straight into the guest's allocation. Its bytes can be read once, in order.
 */

export type TypedArrayConstructor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Uint8ClampedArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

export class ArrivingArray {
  constructor(
    /** The typed array it stands for. */
    readonly type: TypedArrayConstructor,
    readonly length: number,
    /** Copies its bytes into `into` from byte `at`, waiting for each slice to arrive. */
    private readonly read: (into: Uint8Array, at: number) => void,
  ) {}

  get byteLength(): number {
    return this.length * this.type.BYTES_PER_ELEMENT;
  }

  /** Its bytes into `into` from byte `at` (blocks until they have all arrived). */
  copyInto(into: Uint8Array, at: number): void {
    if (at < 0 || at + this.byteLength > into.byteLength) throw new RangeError(`an arriving ${this.type.name} of ${this.byteLength} bytes does not fit at ${at}`);
    this.read(into, at);
  }
}

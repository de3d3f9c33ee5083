/**
 * Guest memory from the host: allocates inside a guest through the guest's own allocator, so
 * the host can write input in place (zero-copy) and hand the guest a pointer, then release it.
 *
 *   AssemblyScript (`__new`, `__pin`, `__unpin`): a pinned ArrayBuffer; release unpins it and
 *     the collector frees it at its next sweep.
 *   C (`malloc`, `free`), or a configured pair of export names.
 *
 * Calls go to the instance's exports directly (no call metrics, no limits: an allocator is not
 * a guest call worth profiling). A block's view is rebuilt when memory grew (growth detaches it).
 */
import { GuestAbortError, GuestAllocationFailedError, GuestAllocatorMissingError, InvalidOptionError, WasmSandboxError } from '../errors.js';
import { trapKindOf } from './traps.js';
import type { Sandbox } from './sandbox.js';

export interface GuestHeapOptions {
  /** Export names of an allocator pair, when the guest's are not the standard ones. @default detected */
  readonly allocator?: { readonly allocate: string; readonly free: string };
}

/** AssemblyScript's class id of ArrayBuffer (the runtime's built-in id 1). */
const AS_ARRAYBUFFER_ID = 1;

type Allocate = (bytes: number) => number;

/** Float64Array, Int32Array, …: what `GuestBlock.view` can lay over a block. */
export interface TypedArrayType<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}
type Free = (pointer: number) => void;

/** One allocation inside the guest. `release()` gives it back; using it afterwards throws. */
export class GuestBlock {
  private cached: Uint8Array | undefined;
  private released = false;

  /** @internal made by GuestHeap.allocate */
  constructor(
    private readonly heap: GuestHeap,
    /** Address in the guest's linear memory: pass this to the guest. */
    readonly pointer: number,
    readonly byteLength: number,
  ) {}

  /** The block's bytes, over guest memory itself (valid until memory grows; ask again after). */
  get bytes(): Uint8Array {
    if (this.released) throw new InvalidOptionError(`${this.heap.label}: this guest block was released`);
    const cached = this.cached;
    if (cached !== undefined && cached.buffer.byteLength !== 0) return cached;
    return (this.cached = new Uint8Array(this.heap.memory.buffer, this.pointer, this.byteLength));
  }

  /** The block as another typed array (its pointer must suit the element's alignment). */
  view<T>(Type: TypedArrayType<T>): T {
    if (this.released) throw new InvalidOptionError(`${this.heap.label}: this guest block was released`);
    return new Type(this.heap.memory.buffer, this.pointer, Math.floor(this.byteLength / Type.BYTES_PER_ELEMENT));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.cached = undefined;
    this.heap.releasePointer(this.pointer);
  }
}

export class GuestHeap {
  readonly label: string;
  /** Which allocator: `assemblyscript`, `c`, or `configured`. */
  readonly allocator: 'assemblyscript' | 'c' | 'configured';
  /** @internal */
  readonly memory: WebAssembly.Memory;
  private readonly allocateRaw: Allocate;
  private readonly freeRaw: Free;

  constructor(sandbox: Sandbox, options: GuestHeapOptions = {}) {
    this.label = sandbox.module.label;
    const exports = sandbox.compiledInstance.exports;
    const fn = (name: string): ((...args: number[]) => number) | undefined => {
      const value = exports[name];
      return typeof value === 'function' ? (value as (...args: number[]) => number) : undefined;
    };
    const memory = sandbox.guestMemory;
    if (memory === undefined) throw new GuestAllocatorMissingError(`${this.label} has no memory to allocate in`, []);
    this.memory = memory;
    const configured = options.allocator;
    if (configured !== undefined) {
      const allocate = fn(configured.allocate);
      const free = fn(configured.free);
      if (allocate === undefined || free === undefined) {
        throw new GuestAllocatorMissingError(
          `${this.label} does not export ${[allocate === undefined ? configured.allocate : '', free === undefined ? configured.free : ''].filter(Boolean).join(' or ')} as a function (options.allocator)`,
          [configured.allocate, configured.free],
        );
      }
      this.allocator = 'configured';
      this.allocateRaw = allocate;
      this.freeRaw = free;
      return;
    }
    const asNew = fn('__new');
    const asPin = fn('__pin');
    const asUnpin = fn('__unpin');
    if (asNew !== undefined && asPin !== undefined && asUnpin !== undefined) {
      this.allocator = 'assemblyscript';
      // Pinned, the collector neither moves nor frees it while the host holds it.
      this.allocateRaw = (bytes) => asPin(asNew(bytes, AS_ARRAYBUFFER_ID));
      this.freeRaw = asUnpin;
      return;
    }
    const malloc = fn('malloc');
    const free = fn('free');
    if (malloc !== undefined && free !== undefined) {
      this.allocator = 'c';
      this.allocateRaw = malloc;
      this.freeRaw = free;
      return;
    }
    throw new GuestAllocatorMissingError(
      `${this.label} exports no allocator the host knows: AssemblyScript's __new/__pin/__unpin (build with --exportRuntime) or C's malloc/free; ` +
        'pass options.allocator { allocate, free } with the export names of its pair',
      ['__new', '__pin', '__unpin', 'malloc', 'free'],
    );
  }

  /** `bytes` bytes inside the guest, through its allocator. Throws ERR_GUEST_ALLOCATION_FAILED when it cannot. */
  allocate(bytes: number): GuestBlock {
    return new GuestBlock(this, this.allocatePointer(bytes), bytes);
  }

  /**
   * The same allocation without a GuestBlock, for hot loops: the block object is a JavaScript
   * allocation (10–20 ns here, as much as a small guest allocator's malloc + free). The caller
   * owns the pointer: give it back with `releasePointer` once (twice is the guest allocator's
   * double free), and read it with `bytesAt`.
   */
  allocatePointer(bytes: number): number {
    if (bytes >>> 0 !== bytes) {
      throw new InvalidOptionError(`${this.label}: a guest allocation takes a byte count from 0 to 2^32-1, got ${String(bytes)}`);
    }
    let pointer: number;
    try {
      pointer = this.allocateRaw(bytes) >>> 0;
    } catch (error) {
      throw this.failure(bytes, error);
    }
    if (pointer === 0) throw this.failure(bytes, undefined);
    return pointer;
  }

  /** Bytes of guest memory at `pointer`, over the memory itself (valid until memory grows). Out of bounds is ERR_INVALID_OPTION. */
  bytesAt(pointer: number, byteLength: number): Uint8Array {
    const buffer = this.memory.buffer;
    if (pointer >>> 0 !== pointer || byteLength >>> 0 !== byteLength || pointer + byteLength > buffer.byteLength) {
      throw new InvalidOptionError(
        `${this.label}: ${String(byteLength)} bytes at ${String(pointer)} are not inside guest memory (${buffer.byteLength} bytes)`,
      );
    }
    return new Uint8Array(buffer, pointer, byteLength);
  }

  /** Copies `data` into a new guest block (for input that is not already being built in place). */
  copyIn(data: Uint8Array): GuestBlock {
    const block = this.allocate(data.byteLength);
    block.bytes.set(data);
    return block;
  }

  /** Gives a pointer from `allocatePointer` back to the guest's allocator (`__unpin` for AssemblyScript, `free` for C). */
  releasePointer(pointer: number): void {
    this.freeRaw(pointer);
  }

  private failure(bytes: number, cause: unknown): Error {
    if (cause !== undefined && !(cause instanceof GuestAbortError) && trapKindOf(cause) === undefined && !(cause instanceof WasmSandboxError)) {
      return cause instanceof Error ? cause : new Error(String(cause));
    }
    const limit = `${this.memory.buffer.byteLength / 65536} pages in use`;
    return new GuestAllocationFailedError(
      `${this.label}: the guest's ${this.allocator} allocator could not allocate ${bytes} bytes (${limit}; out of memory under the sandbox's limit?)`,
      bytes,
      cause === undefined ? undefined : { cause },
    );
  }
}

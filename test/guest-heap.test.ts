import { describe, expect, it } from 'vitest';
import { GuestAllocationFailedError, GuestAllocatorMissingError, GuestHeap, InvalidOptionError, WasmHost } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost({ instrumentCacheDir: false });

describe('guest memory from the host (GuestHeap)', () => {
  it("AssemblyScript: a pinned block from the guest's __new, written in place, read by the guest, then released to the collector", async () => {
    const sandbox = (await host.load(guestPath('alloc'))).instantiate();
    const heap = new GuestHeap(sandbox);
    expect(heap.allocator).toBe('assemblyscript');
    const block = heap.allocate(1000);
    block.bytes.fill(3);
    expect(sandbox.call('sumBytes', block.pointer, 1000)).toBe(3000);
    // Pinned: a full collection does not free it (its bytes survive further allocations).
    sandbox.call('__collect');
    sandbox.call('churn', 200, 1000);
    expect(sandbox.call('sumBytes', block.pointer, 1000)).toBe(3000);
    block.release();
    expect(() => block.bytes).toThrow(InvalidOptionError);
  });

  it('C: malloc/free, zero-copy input, views of other types, and the view follows memory growth', async () => {
    const sandbox = (await host.load(guestPath('c-heap'))).instantiate();
    const heap = new GuestHeap(sandbox);
    expect(heap.allocator).toBe('c');
    const block = heap.copyIn(Uint8Array.from([1, 2, 3, 250]));
    expect(sandbox.call('sum', block.pointer, 4)).toBe(256);
    const doubles = heap.allocate(64);
    expect(doubles.pointer % 8).toBe(0);
    doubles.view(Float64Array).set([1.5, 2.5]);
    expect(doubles.view(Float64Array)).toHaveLength(8);
    const big = heap.allocate(200_000); // grows memory: earlier views detach
    expect(big.bytes.byteLength).toBe(200_000);
    expect(block.bytes[3]).toBe(250);
    expect(sandbox.memoryBytes).toBeGreaterThan(200_000);
    for (const b of [block, doubles, big]) b.release();
    // The heap reuses an exactly-sized free block: the same address comes back.
    expect(heap.allocate(200_000).pointer).toBe(big.pointer);
  });

  it('the pointer-level pair: no block object, the same allocator, the same typed errors', async () => {
    const sandbox = (await host.load(guestPath('c-heap'), { memoryLimitPages: 2 })).instantiate();
    const heap = new GuestHeap(sandbox);
    const pointer = heap.allocatePointer(4);
    heap.bytesAt(pointer, 4).set([1, 2, 3, 250]);
    expect(sandbox.call('sum', pointer, 4)).toBe(256);
    heap.releasePointer(pointer);
    // Released, the exactly-sized free block comes back, as through a GuestBlock.
    expect(heap.allocatePointer(4)).toBe(pointer);
    expect(heap.allocate(4).pointer).not.toBe(pointer);
    const memoryBytes = sandbox.memoryBytes;
    expect(() => heap.bytesAt(memoryBytes - 2, 4)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/4 bytes at \d+ are not inside guest memory/) }));
    expect(() => heap.bytesAt(-1, 4)).toThrow(InvalidOptionError);
    expect(heap.bytesAt(memoryBytes - 4, 4)).toHaveLength(4);
    expect(() => heap.allocatePointer(1.5)).toThrow(InvalidOptionError);
    expect(() => heap.allocatePointer(1_000_000)).toThrow(expect.objectContaining({ code: 'ERR_GUEST_ALLOCATION_FAILED', requestedBytes: 1_000_000 }));
    // The heap still serves after a failed allocation.
    expect(heap.allocatePointer(16)).toBeGreaterThan(0);
  });

  it('a configured pair of export names', async () => {
    const sandbox = (await host.load(guestPath('bump-allocator'))).instantiate();
    expect(() => new GuestHeap(sandbox)).toThrow(GuestAllocatorMissingError);
    const c = (await host.load(guestPath('c-heap'))).instantiate();
    const heap = new GuestHeap(c, { allocator: { allocate: 'malloc', free: 'free' } });
    expect(heap.allocator).toBe('configured');
    expect(heap.allocate(16).pointer).toBeGreaterThan(0);
    expect(() => new GuestHeap(c, { allocator: { allocate: 'my_alloc', free: 'free' } })).toThrow(/does not export my_alloc as a function/);
  });

  it('typed errors: no allocator exported, allocation failed under the memory limit', async () => {
    const noRuntime = (await host.load(guestPath('fib'))).instantiate();
    expect(() => new GuestHeap(noRuntime)).toThrow(expect.objectContaining({ code: 'ERR_GUEST_NO_ALLOCATOR', message: expect.stringMatching(/no memory|exports no allocator/) }));
    const c = (await host.load(guestPath('c-heap'), { memoryLimitPages: 2 })).instantiate();
    const failure = (() => {
      try {
        new GuestHeap(c).allocate(1_000_000);
      } catch (error) {
        return error as GuestAllocationFailedError;
      }
      throw new Error('expected ERR_GUEST_ALLOCATION_FAILED');
    })();
    expect(failure).toBeInstanceOf(GuestAllocationFailedError);
    expect(failure).toMatchObject({ code: 'ERR_GUEST_ALLOCATION_FAILED', requestedBytes: 1_000_000 });
    expect(failure.message).toMatch(/c-heap\.wasm: the guest's c allocator could not allocate 1000000 bytes/);
    // AssemblyScript traps (or aborts) when it cannot grow: the same typed error, the trap as its cause.
    const as = (await host.load(guestPath('alloc'), { memoryLimitPages: 4 })).instantiate();
    const asFailure = (() => {
      try {
        new GuestHeap(as).allocate(1_000_000);
      } catch (error) {
        return error as GuestAllocationFailedError;
      }
      throw new Error('expected ERR_GUEST_ALLOCATION_FAILED');
    })();
    expect(asFailure).toMatchObject({ code: 'ERR_GUEST_ALLOCATION_FAILED', requestedBytes: 1_000_000 });
    expect(asFailure.cause).toBeDefined();
    expect(() => new GuestHeap(as).allocate(-1)).toThrow(InvalidOptionError);
  });
});

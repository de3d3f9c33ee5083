/**
 * pointer → slot, for the allocation tracker's hot path: open addressing with linear probing
 * over two Int32Arrays, deletion by backward shift (no tombstones). Pointer 0 marks an empty
 * cell (the tracker never stores a null pointer). A Map did the same at several times the cost
 * per allocator event (bench/profiler.ts).
 */
const EMPTY = 0;

export class PointerTable {
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(capacityBits = 12) {
    this.keys = new Int32Array(1 << capacityBits);
    this.values = new Int32Array(1 << capacityBits);
    this.mask = (1 << capacityBits) - 1;
    this.shift = 32 - capacityBits;
  }

  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The slot stored for `pointer`, or -1. */
  get(pointer: number): number {
    const key = pointer | 0;
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const at = keys[i]!;
      if (at === key) return this.values[i]!;
      if (at === EMPTY) return -1;
    }
  }

  set(pointer: number, slot: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const key = pointer | 0;
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const at = keys[i]!;
      if (at === key) {
        this.values[i] = slot;
        return;
      }
      if (at === EMPTY) {
        keys[i] = key;
        this.values[i] = slot;
        this.size++;
        return;
      }
    }
  }

  /** Removes `pointer`; returns its slot, or -1 when it was not there. */
  delete(pointer: number): number {
    const key = pointer | 0;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const at = keys[i]!;
      if (at === EMPTY) return -1;
      if (at === key) break;
    }
    const slot = values[i]!;
    this.size--;
    // Backward shift: pull later entries of the same run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      // Entry j may move to `hole` if its home is not in the cyclic range (hole, j].
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        keys[hole] = keys[j]!;
        values[hole] = values[j]!;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    return slot;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const bits = 32 - this.shift + 1;
    this.keys = new Int32Array(1 << bits);
    this.values = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.set(oldKeys[i]!, oldValues[i]!);
  }
}

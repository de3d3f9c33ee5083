/**
 * The accesses a guest counted itself instead of reporting (abi.ts MEMORY_GLOBALS): opened for
 * one instance with a line size, and drained into the consumer when the host reads it, since
 * counts wait in the guest until the next report of their class.
 */
import { COALESCED_WIDTHS, MEMORY_GLOBALS, streamClassOf } from '../instrument/abi.js';

/** Stream classes that can coalesce: loads and stores of each width. */
const CLASSES = COALESCED_WIDTHS.flatMap((bytes) => [streamClassOf(bytes, false), streamClassOf(bytes, true)]);

export interface CoalescedSink {
  run(streamClass: number, count: number, second: number): void;
}

export class CoalescedAccesses {
  private readonly runs: (readonly [number, WebAssembly.Global])[] = [];
  private readonly second: WebAssembly.Global;

  /** Lets the guest coalesce accesses within lines of `lineBytes` (a power of two). */
  constructor(exports: WebAssembly.Exports, lineBytes: number) {
    const global = (name: string): WebAssembly.Global => exports[name] as WebAssembly.Global;
    this.second = global(MEMORY_GLOBALS.second);
    for (const c of CLASSES) {
      const run = exports[`${MEMORY_GLOBALS.runPrefix}${c}`];
      if (run instanceof WebAssembly.Global) this.runs.push([c, run]);
    }
    // An access fits a line when its offset into it is below line − bytes + 1 (none when wider).
    for (const bytes of COALESCED_WIDTHS) global(`${MEMORY_GLOBALS.fitPrefix}${bytes}`).value = BigInt(Math.max(0, lineBytes - bytes + 1));
    global(MEMORY_GLOBALS.lineMask).value = -BigInt(lineBytes);
  }

  /** Hands every waiting count to `sink` and zeroes it in the guest. */
  drain(sink: CoalescedSink): void {
    for (const [c, run] of this.runs) {
      const count = run.value as bigint;
      if (count !== 0n) (sink.run(c, Number(count), 0), (run.value = 0n));
    }
    const second = this.second.value as bigint;
    if (second !== 0n) (sink.run(0, 0, Number(second)), (this.second.value = 0n));
  }
}

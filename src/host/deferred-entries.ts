/**
 * A guest's deferred entries (abi.ts HOOK_GLOBALS), switched on for one instance: its entries
 * stop calling the consumer and wait in two globals for the next event. Some moments come
 * without a guest event — a refill of the fuel counter (a pending counter means something only
 * with the clock base of its time), a trap (the pending function is one of the frames it
 * unwound) — and there the host reports the pending entry itself, through the same `enter`.
 */
import { HOOK_GLOBALS } from '../instrument/abi.js';

export class DeferredEntries {
  private readonly id: WebAssembly.Global;
  private readonly counter: WebAssembly.Global;

  constructor(
    exports: WebAssembly.Exports,
    private readonly enter: (id: number, counter: number) => void,
  ) {
    this.id = exports[HOOK_GLOBALS.pendingId.name] as WebAssembly.Global;
    this.counter = exports[HOOK_GLOBALS.pendingCounter.name] as WebAssembly.Global;
    (exports[HOOK_GLOBALS.defer.name] as WebAssembly.Global).value = 1;
  }

  /** Reports the pending entry, if one is pending, as the guest's next event would. */
  readonly settle = (): void => {
    const id = this.id.value as number;
    if (id < 0) return;
    this.id.value = -1;
    this.enter(id, this.counter.value as number);
  };
}

/**
 * One call (or control request) the pool has sent, or will send, and not yet settled: how it
 * settles, and what it needs to be sent again if its worker dies before starting it.
 */
import type { Encoded } from './codec.js';
import { clockNow } from './clock.js';
import type { WorkerLink } from './worker-link.js';

/** Hears of every guest call as it settles: its latency from submit, ms, and its error if it failed. */
export type CallObserver = (latencyMs: number, error: Error | undefined) => void;

/** The pool's one observer slot, which every link (and so every settling call) sees. */
export interface ObserverSlot {
  current: CallObserver | undefined;
}

export interface PendingCall {
  readonly id: number;
  /** Index of the module the call is for; -1 for control requests (profile, close sandbox). */
  readonly module: number;
  /** The link it was sent on (another one if its worker died before starting it). */
  link: WorkerLink;
  /** Position in the link's request ring of the frame holding its claim word; undefined until written. */
  frameAt: number | undefined;
  /** Some of its chunks were written (a streamed request): its worker is gathering it. */
  streaming?: boolean;
  /** When the caller made it, on the pool's clock (clock.ts); 0 for control requests. */
  readonly submittedAt: number;
  /** On the pool's clock (clock.ts). */
  readonly deadline: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Bound to a tenant sandbox's instance: cannot move to another worker. */
  tenant?: boolean;
  /**
   * Its request with bytes of its own, while it waits for ring space or is streamed: sent again
   * from here if its worker dies first. (A request written whole into the ring is read back
   * from the ring instead.) Never a view of the caller's arrays, which may change after the call.
   */
  frame?: Encoded;
  /** Its arrays streamed through a window of the ring: no copy of the whole request exists to send again. */
  unresendable?: boolean;
  /** The kept buffer its streamed request was copied into (`frame` lies in it): given back to its link when it settles. */
  buffer?: Uint8Array;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/** Settles a call once: later outcomes (a late answer, a crash, a deadline) are ignored. */
export function settleCall(inFlight: Map<number, PendingCall>, pending: PendingCall, error: Error | undefined, value?: unknown): void {
  inFlight.delete(pending.id);
  if (pending.settled) return;
  pending.settled = true;
  pending.frame = undefined;
  if (pending.buffer !== undefined) {
    pending.link.giveBack(pending.buffer);
    pending.buffer = undefined;
  }
  if (pending.timer !== undefined) clearTimeout(pending.timer);
  const observer = pending.link.observers.current;
  if (observer !== undefined && pending.module >= 0) observer(clockNow() - pending.submittedAt, error);
  if (error === undefined) pending.resolve(value);
  else pending.reject(error);
}

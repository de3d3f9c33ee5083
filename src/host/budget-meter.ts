/**
 * The host side of fuel and deadlines (see instrument/region-pass.ts): hands the guest its
 * instruction allowance in chunks, accounts what it spent, and stops it — by throwing from
 * the budget import — when fuel runs out, the deadline passes, or the interrupt flag is set.
 *
 * This is the one place in host/ that touches Atomics: the interrupt flag is an Int32Array
 * (over a SharedArrayBuffer when another thread should be able to set it). No watchdog thread
 * is needed for in-process deadlines: the guest polls at least every POLL_CHUNK instructions
 * and the poll itself compares the clock with the deadline.
 */
import { performance } from 'node:perf_hooks';
import { DeadlineExceededError, OutOfFuelError } from '../errors.js';

/** Instructions between polls of the clock and flag when a deadline or flag is armed (≈0.1–1 ms). */
export const POLL_CHUNK = 200_000;
/** Largest allowance one refill hands out (the counter is an i32). */
const MAX_CHUNK = 1 << 30;

export interface BudgetLimits {
  /** Instructions per call (and for instantiation). */
  readonly fuel: number | undefined;
  /** Milliseconds per call (and for instantiation). */
  readonly timeoutMs: number | undefined;
  /** Set element 0 to non-zero to stop the guest at its next poll. */
  readonly interrupt: Int32Array | undefined;
}

export class BudgetMeter {
  /** Instructions charged during the current (or last) call. */
  consumed = 0;
  /** Instructions charged before the current call (earlier calls, and calls made on raw exports). */
  private earlier = 0;
  /** The counter's value at the last accounting: what it held minus what it holds now was executed since. */
  private given = 0;
  /** Whether a call through the sandbox is running: limits apply only then. */
  private armed = false;
  private deadline = Infinity;
  private started = 0;
  private global: WebAssembly.Global | undefined;
  /** `module.wasm: export()` of the call being run, for messages. */
  private where: string;
  /** A recorder's clock base, kept at `earlier + consumed + given` (see `publishClockBase`). */
  private clockBase: WebAssembly.Global | undefined;
  /**
   * A recorder's deferred entry holds a raw counter, which means something only with the base
   * of its time: it is reported before the counter is reset or the base moves.
   */
  private settle: (() => void) | undefined;

  constructor(
    private readonly limits: BudgetLimits,
    label: string,
  ) {
    this.where = label;
  }

  /** The budget import: called by the guest when its allowance went negative. */
  readonly exhausted = (counter: number): number => {
    this.settle?.();
    this.consumed += this.given - counter;
    // Until a new allowance is handed out, the counter's current value is the baseline: if the
    // guest is stopped now, `end()` must not charge this stretch twice.
    this.given = counter;
    const { fuel, timeoutMs, interrupt } = this.limits;
    if (interrupt !== undefined && Atomics.load(interrupt, 0) !== 0) {
      throw new DeadlineExceededError(
        `${this.where}: guest interrupted after ${(performance.now() - this.started).toFixed(1)} ms`,
        undefined,
        performance.now() - this.started,
      );
    }
    if (this.armed) {
      if (fuel !== undefined && this.consumed > fuel) {
        throw new OutOfFuelError(
          `${this.where}: guest ran out of fuel after ${this.consumed} instructions (limit ${fuel}); raise the fuel limit or give it less work`,
          fuel,
          this.consumed,
        );
      }
      if (this.deadline !== Infinity) {
        const now = performance.now();
        if (now > this.deadline) {
          throw new DeadlineExceededError(
            `${this.where}: guest exceeded its deadline of ${timeoutMs} ms (stopped after ${(now - this.started).toFixed(1)} ms)`,
            timeoutMs,
            now - this.started,
          );
        }
      }
    }
    this.given = this.nextChunk();
    this.publish();
    return this.given;
  };

  /**
   * Keeps `global` (mutable f64) at what this meter handed out so far, so that a wasm recorder
   * reads `now()` as `global - counter` from the counter the guest passes with each event,
   * with no call into JavaScript. It changes only where the allowance does (a refill, a call's start).
   */
  publishClockBase(global: WebAssembly.Global): void {
    this.clockBase = global;
    this.publish();
  }

  /** `settle` reports a recorder's deferred entry: called before the base moves (host/deferred-entries.ts). */
  settleBeforeRebase(settle: () => void): void {
    this.settle = settle;
  }

  private publish(): void {
    if (this.clockBase !== undefined) this.clockBase.value = this.earlier + this.consumed + this.given;
  }

  /** Binds the instance's budget global (after instantiation). */
  attach(global: WebAssembly.Global): void {
    this.global = global;
  }

  /** Arms limits for a call (or, before `attach`, for instantiation: the first poll hands out the allowance). */
  begin(where: string): void {
    this.settle?.();
    this.where = where;
    this.account(); // what raw calls (glue code on the instance's exports) ran since the last call
    this.earlier += this.consumed;
    this.consumed = 0;
    this.armed = true;
    this.started = this.limits.timeoutMs === undefined && this.limits.interrupt === undefined ? 0 : performance.now();
    this.deadline = this.limits.timeoutMs === undefined ? Infinity : this.started + this.limits.timeoutMs;
    if (this.global === undefined) {
      this.given = 0; // the module's initial counter value
      this.publish();
      return;
    }
    this.given = this.nextChunk();
    this.global.value = this.given;
    this.publish();
  }

  /**
   * Instructions executed by this instance so far, up to this instant (read by the profiler
   * on every entry/exit event of the instructions mode).
   */
  now(): number {
    const live = this.global === undefined ? 0 : this.given - (this.global.value as number);
    return this.earlier + this.consumed + live;
  }

  /**
   * Accounts what the call spent since the last refill and disarms the limits; returns the
   * call's total. Calls glue code makes straight on the exports afterwards are counted (into
   * the next call's `earlier`) but run without the per-call fuel and deadline.
   */
  end(): number {
    this.account();
    this.armed = false;
    return this.consumed;
  }

  private account(): void {
    if (this.global === undefined) return;
    const counter = this.global.value as number;
    this.consumed += this.given - counter;
    this.given = counter;
    this.publish();
  }

  private nextChunk(): number {
    const { fuel, timeoutMs, interrupt } = this.limits;
    let chunk = timeoutMs === undefined && interrupt === undefined ? MAX_CHUNK : POLL_CHUNK;
    if (this.armed && fuel !== undefined) chunk = Math.min(chunk, Math.max(0, fuel - this.consumed));
    return chunk;
  }
}

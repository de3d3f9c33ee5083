/**
 * Call recovery: what becomes of a link's calls when its worker cannot answer them — a call
 * past its deadline (stopped in place, or its worker terminated), a worker that died (the call
 * it ran fails, calls it had not started are sent again), a worker that ended after idling.
 * It also starts each link's worker, since every recovery ends by starting one again.
 */
import { DeadlineExceededError, PoolClosedError, WorkerCrashedError } from '../errors.js';
import type { GuestModule } from '../host/guest-module.js';
import type { Encoded } from './codec.js';
import { settleCall, type PendingCall } from './pending-call.js';
import { guestText } from '../untrusted-text.js';
import { clockNow } from './clock.js';
import { CLAIM, CONTROL } from './protocol.js';
import type { WorkerLink } from './worker-link.js';
import type { WorkerThreads } from './worker-threads.js';

/** What recovery needs from the pool around it. */
export interface RecoveryHost {
  readonly threads: WorkerThreads;
  readonly moduleIds: readonly string[];
  readonly modules: readonly GuestModule[];
  /** close() is stopping the workers (or cancelled the calls): workers that end are not replaced. */
  readonly stopping: boolean;
  /** Tenant sandboxes whose instances died with their worker. */
  tenantsLost(ids: Iterable<number>): void;
  /** Sends a call a dead worker had not started again (to any link, or the same one). */
  resend(link: WorkerLink, pending: PendingCall, frame: Encoded): void;
}

const FIRST_RESTART_DELAY_MS = 50;
const MAX_RESTART_DELAY_MS = 5_000;

export class CallRecovery {
  restarts = 0;
  crashes = 0;

  constructor(private readonly pool: RecoveryHost) {}

  /** Starts the link's worker on its rings. */
  serve(link: WorkerLink): void {
    link.alive = true;
    link.parked = false;
    link.abandoned = false;
    link.generation++;
    link.task = new AbortController();
    link.serving = this.pool.threads.run(link.serveTask(), link.task.signal).then(
      (result: unknown) => {
        if (result === 'idle') this.idled(link);
        else link.drain(); // stopped by close(): its last words, the metrics it measured
      },
      (error: unknown) => this.crashed(link, error),
    );
  }

  /** A link whose worker ended after idling starts one again before it is given work. */
  wake(link: WorkerLink): void {
    if (link.parked && !link.retired) this.serve(link);
  }

  /** Arms a call's deadline timer. */
  arm(pending: PendingCall, ms: number): void {
    pending.timer = setTimeout(() => this.expire(pending), ms);
  }

  /**
   * A call's deadline passed: reject it now, and make sure of what its worker does about it —
   * it will not start it, or it is stopped in place, or the worker is terminated and replaced.
   */
  private expire(pending: PendingCall): void {
    if (pending.settled) return;
    const timeoutMs = pending.timeoutMs!;
    const submitted = pending.deadline! - timeoutMs;
    // Timers count from the start of the event loop's tick, so they can fire early: only the
    // clock the worker also reads says whether the deadline has passed.
    const left = pending.deadline! - clockNow();
    if (left > 0) {
      this.arm(pending, left);
      return;
    }
    const link = pending.link;
    // Answers already written settle the call with its real outcome.
    link.drain();
    if (pending.settled) return;
    const module = this.pool.modules[pending.module]!;
    const late = (what: string): DeadlineExceededError =>
      new DeadlineExceededError(`${this.pool.moduleIds[pending.module]}: call exceeded its deadline of ${timeoutMs} ms; ${what}`, timeoutMs, clockNow() - submitted);
    if (this.decide(link, pending) !== CLAIM.started) {
      settleCall(link.inFlight, pending, late('it had not started and will not run'));
      link.withdraw(pending);
      return;
    }
    // Started. Published in `current` before it was claimed, and cleared once its answer was
    // written: if it is no longer current, its answer is in the ring.
    if (Atomics.load(link.control, CONTROL.current) === pending.id && module.deadlineRoute === 'instrumented') {
      Atomics.store(link.control, CONTROL.interrupt, 1);
      if (Atomics.load(link.control, CONTROL.current) === pending.id) {
        settleCall(link.inFlight, pending, late('the guest was interrupted in its worker'));
        return;
      }
      // It ended meanwhile: withdraw the flag so that the next call does not see it.
      Atomics.compareExchange(link.control, CONTROL.interrupt, 1, 0);
    } else if (Atomics.load(link.control, CONTROL.current) === pending.id) {
      this.terminate(link);
      settleCall(
        link.inFlight,
        pending,
        late('its worker was terminated and replaced (load the module with instrument: { deadline: true } to stop it without losing the worker)'),
      );
      return;
    }
    link.drain();
    // Its answer is written before `current` clears, so this is for safety only.
    if (!pending.settled) settleCall(link.inFlight, pending, late('it ended as its deadline passed'));
  }

  /**
   * The one decision about a call at its deadline, shared with its worker through the claim
   * word of its request frame: withdrawn now (it will not start), or what the worker decided.
   */
  private decide(link: WorkerLink, pending: PendingCall): number {
    // Not written to the ring yet: it never will be (settled calls are skipped by the outbox).
    if (pending.frameAt === undefined) return CLAIM.withdrawn;
    const ring = link.requests;
    // Overwritten by later frames: consumed, so claimed (and answered) long ago.
    if (!ring.intact(pending.frameAt)) return CLAIM.started;
    const was = ring.claim(pending.frameAt, CLAIM.queued, CLAIM.withdrawn);
    return was === CLAIM.queued ? CLAIM.withdrawn : was;
  }

  /**
   * Gives up on the link's worker (a runaway that cannot be stopped in place, or close):
   * its calls are recovered and a replacement starts now, without waiting for the thread to exit.
   */
  terminate(link: WorkerLink, reason = 'terminated to stop a call past its deadline'): void {
    if (!link.alive || link.abandoned) return;
    link.abandoned = true;
    this.pool.threads.abandon(link.thread, link.task, new Error(reason));
  }

  /** The worker ended after idling: start one again when work arrives (or if it already has). */
  private idled(link: WorkerLink): void {
    link.drain(); // its last words: the metrics it measured
    link.thread = undefined;
    link.renewReady();
    if (this.pool.stopping) return;
    if (link.inFlight.size > 0 || link.outbox.length > 0 || link.requests.used() > 0) this.serve(link);
    else link.parked = true;
  }

  /**
   * A worker that ends before its hello would most likely end so again (its worker script or a
   * served module's imports cannot load, its memory limit is below what rebuilding the modules
   * needs): the calls it held fail now, and the next start waits, twice as long after each
   * failure in a row (50 ms to 5 s), so the pool never spins restarting and every call settles.
   */
  private failedToStart(link: WorkerLink, reason: string, held: readonly PendingCall[]): void {
    link.startFailures++;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (link.startFailures - 1));
    const why = `the pool's worker could not start (${reason}); it starts again in ${delayMs} ms`;
    link.failedToStart(new WorkerCrashedError(why));
    for (const pending of held) settleCall(link.inFlight, pending, new WorkerCrashedError(`${this.pool.moduleIds[pending.module] ?? 'pool'}: ${why}`));
    link.reset(link.abandoned);
    link.restartTimer = setTimeout(() => {
      link.restartTimer = undefined;
      if (this.pool.stopping) return;
      this.restarts++;
      this.serve(link);
    }, delayMs);
  }

  /**
   * piscina lost a worker before it took a task: a start failed, and the serve task it was
   * meant for would wait in piscina's queue for good. Links still waiting for their hello
   * give that task up (it fails as a start, which backs off and tries again).
   */
  lostStarting(links: readonly WorkerLink[], error: Error): void {
    if (this.pool.stopping) return;
    for (const link of links) {
      if (link.alive && link.thread === undefined && !link.parked && !link.abandoned) link.task.abort(error);
    }
  }

  /** close(): a start waiting after a failed one is not made. */
  cancelRestarts(links: readonly WorkerLink[]): void {
    for (const link of links) {
      if (link.restartTimer !== undefined) clearTimeout(link.restartTimer);
      link.restartTimer = undefined;
    }
  }

  /**
   * The worker died: answers it wrote before dying are delivered, the call it was running is
   * rejected with ERR_WORKER_CRASHED, and calls it had not started go to its replacement.
   */
  private crashed(link: WorkerLink, error: unknown): void {
    link.alive = false;
    this.crashes++;
    // What it wrote before dying first: its hello may still be in the ring (a worker that dies
    // right after starting, on a loaded machine), and then it did start.
    link.drain();
    // Ended before its hello: it could not start (its thread was not running calls yet).
    const neverStarted = link.thread === undefined;
    const thread = link.thread ?? '?';
    // An aborted task carries why the worker was given up on as its cause.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    // A worker's last error may quote anything its imports threw: escaped and bounded like guest text.
    const reason = guestText(cause instanceof Error ? cause.message : String(cause));
    const running = Atomics.load(link.control, CONTROL.current);
    const held = link.inFlight.get(running);
    const moduleId = (pending: PendingCall): string => this.pool.moduleIds[pending.module] ?? 'pool';
    if (held !== undefined) {
      settleCall(link.inFlight, held, new WorkerCrashedError(`${moduleId(held)}: worker thread ${thread} died while running this call (${reason}); other calls were not affected`));
    }
    link.dropOutbox(); // their calls are in inFlight too, and go out again below
    // Their requests, taken now: the rings are emptied or replaced below.
    const unstarted = [...link.inFlight.values()]
      .filter((p) => !p.settled)
      .sort((a, b) => a.id - b.id)
      .map((pending) => ({ pending, request: link.unsentRequest(pending) }));
    link.inFlight.clear();
    if (this.pool.stopping) {
      for (const { pending } of unstarted) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call completed'));
      return;
    }
    // Tenant sandboxes lived in the dead worker: their state is gone.
    this.pool.tenantsLost(link.tenants);
    link.tenants.clear();
    if (link.retired) {
      // Out of service after a live change of the thread count: not replaced; its calls move on.
      for (const { pending, request } of unstarted) {
        if (request !== undefined && pending.module >= 0) this.pool.resend(link, pending, request);
        else settleCall(link.inFlight, pending, new WorkerCrashedError(`${moduleId(pending)}: worker thread ${thread} died as it took this call (${reason}); other calls were not affected`));
      }
      return;
    }
    if (neverStarted) {
      this.failedToStart(link, reason, unstarted.map((u) => u.pending));
      return;
    }
    link.reset(link.abandoned);
    this.restarts++;
    this.serve(link);
    // Requests are answered in order: everything after the call it was running never started.
    for (const { pending, request } of unstarted) {
      if (pending.tenant === true) {
        settleCall(link.inFlight, pending, new WorkerCrashedError(`${moduleId(pending)}: this sandbox's instance was lost with its worker (${reason}); open a new sandbox`));
      } else if (request !== undefined) {
        this.pool.resend(link, pending, request);
      } else {
        // Consumed by the worker, so it had begun with it (no answer came).
        settleCall(link.inFlight, pending, new WorkerCrashedError(`${moduleId(pending)}: worker thread ${thread} died as it took this call (${reason}); other calls were not affected`));
      }
    }
  }
}

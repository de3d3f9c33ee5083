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
import { CONTROL } from './protocol.js';
import type { WorkerLink } from './worker-link.js';
import type { WorkerThreads } from './worker-threads.js';

/** What recovery needs from the pool around it. */
export interface RecoveryHost {
  readonly threads: WorkerThreads;
  readonly moduleIds: readonly string[];
  readonly modules: readonly GuestModule[];
  readonly closing: boolean;
  /** Tenant sandboxes whose instances died with their worker. */
  tenantsLost(ids: Iterable<number>): void;
  /** Sends a call a dead worker had not started again. */
  resend(link: WorkerLink, pending: PendingCall, frame: Encoded): void;
}

export class CallRecovery {
  restarts = 0;
  crashes = 0;

  constructor(private readonly pool: RecoveryHost) {}

  /** Starts the link's worker on its rings. */
  serve(link: WorkerLink): void {
    link.alive = true;
    link.parked = false;
    link.serving = this.pool.threads.run(link.task()).then(
      (result: unknown) => {
        if (result === 'idle') this.idled(link);
      },
      (error: unknown) => this.crashed(link, error),
    );
  }

  /** A link whose worker ended after idling starts one again before it is given work. */
  wake(link: WorkerLink): void {
    if (link.parked) this.serve(link);
  }

  /** A call's deadline passed: reject it now; stop the guest in place, or replace the worker. */
  expire(link: WorkerLink, pending: PendingCall, timeoutMs: number): void {
    if (pending.settled) return;
    const id = this.pool.moduleIds[pending.module];
    // The worker writes a call's answer before it clears `current`: read `current` first, then
    // take any answers already written (they settle the call with its real outcome).
    const running = Atomics.load(link.control, CONTROL.current) === pending.id;
    link.drain();
    if (pending.settled) return;
    const instrumented = this.pool.modules[pending.module]!.deadlineRoute === 'instrumented';
    // Not current and not answered: not started, and the worker will see its deadline and skip it.
    const what = !running
      ? 'it had not started and will not run'
      : instrumented
        ? 'the guest was interrupted in its worker'
        : 'its worker was terminated and replaced (load the module with instrument: { deadline: true } to stop it without losing the worker)';
    settleCall(link.inFlight, pending, new DeadlineExceededError(`${id}: call exceeded its deadline of ${timeoutMs} ms; ${what}`, timeoutMs, timeoutMs));
    if (!running) return;
    if (instrumented) {
      Atomics.store(link.control, CONTROL.interrupt, 1);
      // It ended meanwhile: do not leave the flag for the next call (which clears it when it starts).
      if (Atomics.load(link.control, CONTROL.current) !== pending.id) Atomics.compareExchange(link.control, CONTROL.interrupt, 1, 0);
    } else if (Atomics.load(link.control, CONTROL.current) === pending.id) {
      this.terminate(link);
    }
  }

  terminate(link: WorkerLink): void {
    this.pool.threads.terminate(link.thread);
  }

  /** The worker ended after idling: start one again when work arrives (or if it already has). */
  private idled(link: WorkerLink): void {
    link.drain(); // its last words: the metrics it measured
    link.thread = undefined;
    link.renewReady();
    if (this.pool.closing) return;
    if (link.inFlight.size > 0 || link.outbox.length > 0 || link.requests.used() > 0) this.serve(link);
    else link.parked = true;
  }

  /**
   * The worker died: answers it wrote before dying are delivered, the call it was running is
   * rejected with ERR_WORKER_CRASHED, and calls it had not started go to its replacement.
   */
  private crashed(link: WorkerLink, error: unknown): void {
    link.alive = false;
    this.crashes++;
    link.drain();
    const reason = error instanceof Error ? error.message : String(error);
    const running = Atomics.load(link.control, CONTROL.current);
    const held = link.inFlight.get(running);
    const moduleId = (pending: PendingCall): string => this.pool.moduleIds[pending.module] ?? 'pool';
    if (held !== undefined) {
      settleCall(link.inFlight, held, new WorkerCrashedError(`${moduleId(held)}: worker thread ${link.thread ?? '?'} died while running this call (${reason}); other calls were not affected`));
    }
    link.dropOutbox(); // their calls are in inFlight too, and go out again below
    const unstarted = [...link.inFlight.values()].filter((p) => !p.settled).sort((a, b) => a.id - b.id);
    link.inFlight.clear();
    if (this.pool.closing) {
      for (const pending of unstarted) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call completed'));
      return;
    }
    // Tenant sandboxes lived in the dead worker: their state is gone.
    this.pool.tenantsLost(link.tenants);
    link.tenants.clear();
    link.reset();
    this.restarts++;
    this.serve(link);
    // Requests are answered in order: everything after the call it was running never started.
    for (const pending of unstarted) {
      if (pending.tenant === true) {
        settleCall(link.inFlight, pending, new WorkerCrashedError(`${moduleId(pending)}: this sandbox's instance was lost with its worker (${reason}); open a new sandbox`));
      } else {
        const frame = pending.frame ?? pending.reencode?.();
        if (frame !== undefined) this.pool.resend(link, pending, frame);
      }
    }
  }
}

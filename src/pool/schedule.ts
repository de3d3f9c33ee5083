/**
 * Scheduling: which worker a call goes to, and which worker a new tenant sandbox lives on.
 * A strategy is a pure function of what the pool knows about each worker; it touches no
 * thread. (Calls of a tenant sandbox always go to the worker holding its instance.)
 */

/** What a scheduler sees of one worker. */
export interface WorkerLoad {
  /** Calls sent to it (or waiting for its ring) and not yet answered. */
  readonly outstanding: number;
  /** Tenant sandboxes whose instances it holds. */
  readonly tenants: number;
  /**
   * Its thread is starting (at pool start, or replacing one that died) and will not answer
   * until it has: calls sent to it wait that long. A worker that ended idle is not starting:
   * sending it a call is how it is started again.
   */
  readonly starting: boolean;
}

/** Picks the index of a worker (an integer in [0, workers.length)). */
export type Scheduler = (workers: readonly WorkerLoad[]) => number;

/** The first of `workers` with the least of `measure`, among those not starting when there are any. */
export function least<T extends { readonly starting: boolean }>(workers: readonly T[], measure: (worker: T) => number): number {
  let best = -1;
  for (let i = 0; i < workers.length; i++) {
    const worker = workers[i]!;
    if (worker.starting) continue;
    if (best < 0 || measure(worker) < measure(workers[best]!)) best = i;
  }
  if (best >= 0) return best;
  best = 0;
  for (let i = 1; i < workers.length; i++) if (measure(workers[i]!) < measure(workers[best]!)) best = i;
  return best;
}

/** What `leastLoaded` measures (the pool applies it to its links directly, with no load objects per call). */
export const outstandingOf = (worker: { readonly outstanding: number }): number => worker.outstanding;

/** For calls: the worker with the fewest outstanding calls, preferring workers that can answer now. */
export const leastLoaded: Scheduler = (workers) => least(workers, outstandingOf);

/** For tenant sandboxes: the worker holding the fewest, preferring workers that can answer now. */
export const fewestTenants: Scheduler = (workers) => least(workers, (w) => w.tenants);

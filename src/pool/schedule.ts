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
}

/** Picks the index of a worker. */
export type Scheduler = (workers: readonly WorkerLoad[]) => number;

/** The first worker with the least of `measure`. */
function least(workers: readonly WorkerLoad[], measure: (worker: WorkerLoad) => number): number {
  let best = 0;
  for (let i = 1; i < workers.length; i++) if (measure(workers[i]!) < measure(workers[best]!)) best = i;
  return best;
}

/** For calls: the worker with the fewest outstanding calls. */
export const leastLoaded: Scheduler = (workers) => least(workers, (w) => w.outstanding);

/** For tenant sandboxes: the worker holding the fewest. */
export const fewestTenants: Scheduler = (workers) => least(workers, (w) => w.tenants);

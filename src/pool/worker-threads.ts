/**
 * The platform adapter for the pool's threads: piscina starts workers (resource limits, idle
 * retirement, a replacement after a death) and runs each link's long-lived serve task on one.
 * A worker the pool gives up on is abandoned: its task is aborted, which makes piscina drop it
 * and start a replacement at once, whether or not the thread has exited yet (V8 can take
 * minutes to terminate a thread inside some guest operations); its exit is watched from here.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { InvalidOptionError } from '../errors.js';
import { within } from './clock.js';
import type { ResolvedPoolOptions } from './options.js';
import type { ServeTask } from './protocol.js';

/** The compiled worker: beside this file in dist/, or dist/'s copy when running from sources (tests). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = join(dirname(here), 'worker.js');
  if (existsSync(beside)) return beside;
  const fromSource = join(dirname(here), '..', '..', 'dist', 'src', 'pool', 'worker.js');
  if (existsSync(fromSource)) return fromSource;
  throw new InvalidOptionError(`the pool's worker script is missing (${beside}); run npm run build`);
}

export class WorkerThreads {
  private readonly piscina: Piscina;
  /** Workers abandoned and not exited yet, with their thread ids (a Worker forgets it on exit). */
  private readonly ending = new Map<Worker, { readonly threadId: number; readonly exited: Promise<void> }>();

  constructor(options: ResolvedPoolOptions) {
    // piscina loads with the first pool, not with the package (in-process users never need it).
    const { Piscina: PiscinaClass } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    this.piscina = new PiscinaClass({
      filename: workerFile(),
      minThreads: options.idleTimeoutMs === undefined ? options.threads : 0,
      // Live changes of the thread count start (and stop) serve tasks within this bound.
      maxThreads: options.maxThreads,
      concurrentTasksPerWorker: 1,
      idleTimeout: options.idleTimeoutMs ?? Number.POSITIVE_INFINITY,
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    // piscina emits a worker's error when the worker held no task (it died starting up, out of
    // memory under resourceLimits): unheard, that 'error' event would end the process. The task
    // that worker was started for stays in piscina's queue, and piscina starts no other worker
    // for it: the pool is told, and gives up on the tasks of workers that have not started.
    this.piscina.on('error', (error: unknown) => this.lostStarting(error instanceof Error ? error : new Error(String(error))));
  }

  private lostStarting: (error: Error) => void = () => undefined;

  /** `listener` hears of a worker that died before it took a task. */
  onWorkerLostStarting(listener: (error: Error) => void): void {
    this.lostStarting = listener;
  }

  /** Runs a serve task on a worker; settles when the task ends ('idle', 'stopped'), its worker dies, or `signal` aborts it. */
  run(task: ServeTask, signal: AbortSignal): Promise<unknown> {
    return this.piscina.run(task, { signal });
  }

  /**
   * Gives up on the worker with this thread id: aborting its task rejects it now (with
   * `reason` as the cause) and piscina starts a replacement; the thread is terminated and
   * watched until it exits.
   */
  abandon(threadId: number | undefined, task: AbortController, reason: Error): void {
    const worker = this.piscina.threads.find((t) => t.threadId === threadId);
    if (worker !== undefined && !this.ending.has(worker)) this.watch(worker);
    task.abort(reason);
  }

  private watch(worker: Worker): void {
    const threadId = worker.threadId;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.ending.set(worker, { threadId, exited });
    void exited.then(() => this.ending.delete(worker));
  }

  /** Threads alive now (abandoned ones excepted). */
  get count(): number {
    return this.piscina.threads.length;
  }

  /**
   * Terminates every thread and waits at most `timeoutMs` for them (and those abandoned before)
   * to exit; returns the thread ids of those still running.
   */
  async close(timeoutMs: number): Promise<number[]> {
    for (const worker of this.piscina.threads) this.watch(worker);
    void this.piscina.destroy();
    await within(timeoutMs, Promise.all([...this.ending.values()].map((e) => e.exited)));
    return [...this.ending.values()].map((e) => e.threadId);
  }
}

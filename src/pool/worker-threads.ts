/**
 * The platform adapter for the pool's threads: piscina starts workers (resource limits, idle
 * retirement, a replacement after a death) and runs each link's long-lived serve task on one.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InvalidOptionError } from '../errors.js';
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

  constructor(options: ResolvedPoolOptions) {
    this.piscina = new Piscina({
      filename: workerFile(),
      minThreads: options.idleTimeoutMs === undefined ? options.threads : 0,
      maxThreads: options.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: options.idleTimeoutMs ?? Number.POSITIVE_INFINITY,
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
  }

  /** Runs a serve task on a worker; settles when the task ends ('idle', 'stopped') or its worker dies. */
  run(task: ServeTask): Promise<unknown> {
    return this.piscina.run(task);
  }

  /** Asks the worker with this thread id to end (a runaway guest that cannot be stopped in place). */
  terminate(threadId: number | undefined): void {
    const thread = this.piscina.threads.find((t) => t.threadId === threadId);
    void thread?.terminate();
  }

  /** Threads alive now. */
  get count(): number {
    return this.piscina.threads.length;
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}

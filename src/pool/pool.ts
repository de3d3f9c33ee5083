/**
 * A pool of worker threads serving guest calls through shared-memory rings. This file is the
 * façade; the parts it stands on:
 *
 *   caller ──► WasmPool (this file: calls, tenant sandboxes, profile, close)
 *                │  pool-modules.ts  the modules served: ids, export indexes, exports refused
 *                │  pool-metrics.ts  workers' profiles and last words, queue waits, merged
 *                │  schedule.ts      which worker a call goes to (a pure strategy)
 *                │  worker-link.ts   one worker's rings, control words and transport
 *                │  recovery.ts      deadlines, deaths and idle ends: what becomes of the calls
 *                │  worker-threads.ts piscina, which starts and replaces the threads
 *                ▼  options.ts       the options, each default written once
 *   worker.ts (in each thread) ◄── codec.ts frames on ring-buffer.ts rings (protocol.ts)
 *
 * Compiled modules are sent once and never recompiled. Each worker runs one long-lived serve
 * task on its own request/response ring pair.
 */
import { fromErrorData, InvalidOptionError, PoolClosedError, PoolSaturatedError, SandboxClosedError, WorkerCrashedError } from '../errors.js';
import type { GuestModule } from '../host/guest-module.js';
import { WasmHost } from '../host/host.js';
import type { PoolProfile } from '../profiler/model/pool-profile.js';
import { encode, encodeNumericCall, encodeTypedCall, isNumeric, type Encoded, type TypedCall } from './codec.js';
import { moduleOptions, resolvePoolOptions, type CallOptions, type PoolOptions, type ResolvedPoolOptions } from './options.js';
import { settleCall, type PendingCall } from './pending-call.js';
import { CONTROL, Kind, type CallRequest, type CloseSandbox, type ProfileRequest, type Response, type WorkerModule } from './protocol.js';
import { clockNow, within } from './clock.js';
import { PoolMetrics, type ProfileReply } from './pool-metrics.js';
import { PoolModules } from './pool-modules.js';
import { CallRecovery } from './recovery.js';
import { fewestTenants } from './schedule.js';
import { WorkerLink, type QueueBudget } from './worker-link.js';
import { WorkerThreads } from './worker-threads.js';

export type { CallOptions, PoolModuleOptions, PoolOptions } from './options.js';
export type { PoolProfile } from '../profiler/model/pool-profile.js';

export interface PoolSandbox {
  readonly id: number;
  readonly module: string;
  call(exportName: string, ...args: unknown[]): Promise<unknown>;
  invoke(exportName: string, args: readonly unknown[], options?: Omit<CallOptions, 'sandbox'>): Promise<unknown>;
  /** Drops the instance in its worker. */
  close(): Promise<void>;
}

/** What `close()` reports once every worker has been stopped or given up on. */
export interface PoolCloseReport {
  /** Thread ids of workers that were terminated but had not exited when close() gave up waiting. */
  readonly unstoppedThreads: readonly number[];
}

export class WasmPool {
  private readonly links: WorkerLink[];
  private readonly ids: readonly string[];
  private readonly served: PoolModules;
  private readonly metrics: PoolMetrics;
  private nextId = 1;
  /** Calls refused with ERR_POOL_SATURATED (the analyzer's pool-saturation rule reads it). */
  private saturated = 0;
  private nextTenant = 1;
  private readonly tenants = new Map<number, { link: WorkerLink; lost: boolean }>();
  private readonly budget: QueueBudget;
  /** close() was called: no new calls. */
  private closing = false;
  /** close() has drained the calls (or cancelled them) and is stopping the workers. */
  private stopping = false;
  private closed: Promise<PoolCloseReport> | undefined;
  private readonly recovery: CallRecovery;

  /** @internal use createPool */
  constructor(
    private readonly threads: WorkerThreads,
    modules: readonly GuestModule[],
    specs: readonly WorkerModule[],
    private readonly options: ResolvedPoolOptions,
  ) {
    this.served = new PoolModules(specs.map((s) => s.id), modules);
    this.ids = this.served.ids;
    this.metrics = new PoolMetrics(this.ids, modules);
    this.budget = { queued: 0, max: options.maxQueue };
    const settings = {
      ringBytes: options.ringBytes,
      spinMs: options.callerSpinMicros / 1000,
      workerSpin: options.workerSpin,
      idleMs: options.idleTimeoutMs,
      modules: specs,
    };
    const pool = this;
    this.recovery = new CallRecovery({
      threads,
      moduleIds: this.ids,
      modules,
      get stopping() {
        return pool.stopping;
      },
      tenantsLost: (ids) => {
        for (const id of ids) {
          const tenant = this.tenants.get(id);
          if (tenant !== undefined) tenant.lost = true;
        }
      },
      // A control request asks its own link's worker; a call goes wherever it is answered soonest.
      // (A scheduler that fails here must not lose the call: it stays with its link's replacement.)
      resend: (link, pending, frame) => this.submit(pending.module < 0 ? link : this.pickOr(link), frame, pending, true),
    });
    this.links = Array.from({ length: options.threads }, (_, i) => new WorkerLink(i, settings, this.budget, (link, response) => this.handle(link, response)));
    threads.onWorkerLostStarting((error) => this.recovery.lostStarting(this.links, error));
    for (const link of this.links) this.recovery.serve(link);
  }

  /** Call ids stay in 1..2^31-1: they travel as u32 and are published in an Int32Array. */
  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** A call already written to the ring: wait for its answer. */
  private track(link: WorkerLink, id: number, module: number, tenant: boolean, timeout: number | undefined, deadline: number | undefined): Promise<unknown> {
    this.recovery.wake(link);
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { id, module, link, frameAt: undefined, deadline, timeoutMs: timeout, resolve, reject, timer: undefined, settled: false, tenant };
      if (timeout !== undefined) this.recovery.arm(pending, timeout);
      link.track(pending);
    });
  }

  /** Writes (or queues) a frame on a link, starting its worker again if it had ended idle. */
  private submit(link: WorkerLink, frame: Encoded, pending: PendingCall | undefined, force = false): boolean {
    this.recovery.wake(link);
    return link.submit(frame, pending, force);
  }

  /**
   * Resolves when every worker has started and rebuilt its modules (calls may be made before);
   * rejects with ERR_WORKER_CRASHED when a worker ended before it had (it is started again later).
   */
  async ready(): Promise<void> {
    for (const link of this.links) link.pump();
    await Promise.all(this.links.map((l) => l.ready));
  }

  /** Calls `exportName` of module `moduleId` on a worker. */
  call(moduleId: string, exportName: string, ...args: unknown[]): Promise<unknown> {
    return this.invoke(moduleId, exportName, args);
  }

  /** The msgpack form of a call: any arguments, signatures with explicit ids, fuel. */
  private request(id: number, module: number, exportName: string, args: readonly unknown[], now: number, deadline: number | undefined, options: CallOptions): CallRequest {
    return {
      k: Kind.Call, id, m: module, e: exportName, a: [...args], t: now,
      ...(options.signature === undefined ? {} : { s: options.signature }),
      ...(options.fuel === undefined ? {} : { f: options.fuel }),
      ...(deadline === undefined ? {} : { d: deadline }),
      ...(options.sandbox === undefined ? {} : { x: options.sandbox }),
    };
  }

  invoke(moduleId: string, exportName: string, args: readonly unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.closing) return Promise.reject(new PoolClosedError('the pool is closed; create a new one'));
    const index = this.served.indexOf(moduleId);
    if (index < 0) return Promise.reject(this.served.notFound(moduleId));
    const refused = this.served.refusal(index, exportName);
    if (refused !== undefined) return Promise.reject(refused);
    const tenant = options.sandbox === undefined ? undefined : this.tenants.get(options.sandbox);
    if (options.sandbox !== undefined && tenant === undefined) {
      return Promise.reject(new SandboxClosedError(`sandbox ${options.sandbox} is closed; open a new one`, options.sandbox));
    }
    if (tenant !== undefined && tenant.lost) {
      return Promise.reject(new WorkerCrashedError(`${moduleId}: this sandbox's instance was lost with its worker; open a new sandbox`));
    }
    let link: WorkerLink;
    try {
      link = tenant?.link ?? this.pick();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.takeId();
    const now = clockNow();
    const timeout = options.timeoutMs ?? this.options.timeoutMs;
    const deadline = timeout === undefined ? undefined : now + timeout;
    let frame: Encoded;
    try {
      // Binary layouts name the export by index and carry no fuel; msgpack carries anything.
      const exportIndex = options.fuel === undefined ? this.served.exportIndex(index, exportName) : undefined;
      if (exportIndex !== undefined && options.signature === undefined && isNumeric(args)) {
        const call = { id, module: index, exportIndex, t: now, d: deadline, sandbox: options.sandbox ?? 0, args: args as readonly (number | bigint)[] };
        // The hot path: straight into the ring when nothing is queued ahead and there is room.
        if (link.writeInPlace(call)) return this.track(link, id, index, tenant !== undefined, timeout, deadline);
        frame = encodeNumericCall(call);
      } else {
        // Typed calls under a plain signature: the binary typed layout.
        const typed =
          exportIndex === undefined || options.signature === undefined
            ? undefined
            : encodeTypedCall({ id, module: index, exportIndex, t: now, d: deadline, sandbox: options.sandbox ?? 0, args, signature: options.signature as TypedCall['signature'] });
        frame = typed ?? encode(this.request(id, index, exportName, args, now, deadline, options));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { id, module: index, link, frameAt: undefined, deadline, timeoutMs: timeout, resolve, reject, timer: undefined, settled: false, tenant: tenant !== undefined };
      if (!this.submit(link, frame, pending)) {
        this.saturated++;
        reject(new PoolSaturatedError(`the pool's queue is full (${this.options.maxQueue} calls waiting for ring space); retry later or raise maxQueue`));
        return;
      }
      if (timeout !== undefined) this.recovery.arm(pending, timeout);
    });
  }

  /**
   * A tenant sandbox: its own instance of `moduleId`, on one worker, kept between calls until
   * closed. Its state is lost if that worker dies (calls then fail with ERR_WORKER_CRASHED).
   */
  openSandbox(moduleId: string): PoolSandbox {
    if (this.closing) throw new PoolClosedError('the pool is closed; create a new one');
    if (this.served.indexOf(moduleId) < 0) throw this.served.notFound(moduleId);
    const link = this.links[fewestTenants(this.links.map((l) => l.load()))]!;
    const id = this.nextTenant++;
    const tenant = { link, lost: false };
    this.tenants.set(id, tenant);
    link.tenants.add(id);
    return {
      id,
      module: moduleId,
      call: (exportName: string, ...args: unknown[]) => this.invoke(moduleId, exportName, args, { sandbox: id }),
      invoke: (exportName: string, args: readonly unknown[], options: Omit<CallOptions, 'sandbox'> = {}) =>
        this.invoke(moduleId, exportName, args, { ...options, sandbox: id }),
      close: async () => {
        if (!this.tenants.delete(id)) return;
        tenant.link.tenants.delete(id);
        if (tenant.lost || this.closing) return;
        await this.ask(tenant.link, (requestId) => ({ k: Kind.CloseSandbox, id: requestId, x: id }));
      },
    };
  }

  /** Sends a control request (not a guest call) to one worker; resolves with its answer. */
  private ask(link: WorkerLink, request: (id: number) => ProfileRequest | CloseSandbox): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { id: this.takeId(), module: -1, link, frameAt: undefined, deadline: undefined, timeoutMs: undefined, resolve, reject, timer: undefined, settled: false };
      this.submit(link, encode(request(pending.id)), pending, true);
    });
  }

  /** Per-module profiles merged across workers, queue waits, and worker restarts. */
  async profile(): Promise<PoolProfile> {
    // Once close() is stopping the workers, what they measured is in `retired` (their last words).
    const replies = this.stopping
      ? []
      : await Promise.all(this.links.map((link) => (this.ask(link, (id) => ({ k: Kind.Profile, id })) as Promise<ProfileReply>).catch(() => undefined)));
    const { modules, queueWait } = this.metrics.merge(this.links, replies);
    const counts = this.links.map((l) => l.spinCounts());
    const sum = (pick: (c: (typeof counts)[number]) => number): number => counts.reduce((n, c) => n + pick(c), 0);
    const spin = {
      workerSpin: this.options.workerSpin,
      workerRounds: sum((c) => c.workerRounds),
      workerEmptyRounds: sum((c) => c.workerEmptyRounds),
      callerSpinMicros: this.options.callerSpinMicros,
      callerRounds: sum((c) => c.callerRounds),
      callerEmptyRounds: sum((c) => c.callerEmptyRounds),
    };
    return { modules, queueWait, workers: { threads: this.links.length, restarts: this.recovery.restarts, crashes: this.recovery.crashes }, saturated: this.saturated, spin };
  }

  /**
   * Stops the workers: calls already made finish first, on a replacement if their worker dies
   * (`cancel`: they are rejected with ERR_POOL_CLOSED instead). Then workers get
   * `closeTimeoutMs` to end, are terminated, and get as long again to exit; the report names
   * those still running (V8 can take minutes to stop a thread inside some guest operations,
   * and the process cannot exit before they do).
   */
  close(options: { cancel?: boolean } = {}): Promise<PoolCloseReport> {
    if (this.closed === undefined) {
      this.closing = true;
      this.closed = this.shutdown(options.cancel === true);
    }
    return this.closed;
  }

  private async shutdown(cancel: boolean): Promise<PoolCloseReport> {
    if (cancel) {
      this.stopping = true;
      for (const link of this.links) {
        for (const pending of link.inFlight.values()) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call completed'));
        for (const { pending } of link.outbox) if (pending !== undefined) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call started'));
        link.dropOutbox();
      }
    } else {
      // Calls made before close() finish, on a replacement if their worker dies meanwhile.
      await this.drained();
      this.stopping = true;
    }
    this.recovery.cancelRestarts(this.links);
    const timeout = this.options.closeTimeoutMs;
    if (!cancel) {
      for (const link of this.links) {
        if (link.parked || !link.alive) continue;
        Atomics.store(link.control, CONTROL.stopping, 1);
        link.submit(encode({ k: Kind.Stop }), undefined, true);
      }
      await within(timeout, Promise.allSettled(this.links.map((l) => l.serving)));
    }
    // Whatever has not ended is terminated: a guest that cannot be stopped must not keep close() waiting.
    return { unstoppedThreads: await this.threads.close(timeout) };
  }

  /** Resolves once no link holds a call (a call resent after a death moves between links). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.links.every((link) => link.inFlight.size === 0 && link.outbox.length === 0)) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  private pickOr(fallback: WorkerLink): WorkerLink {
    try {
      return this.pick();
    } catch {
      return fallback;
    }
  }

  private pick(): WorkerLink {
    const index = this.options.scheduler(this.links.map((l) => l.load()));
    const link = Number.isInteger(index) ? this.links[index] : undefined;
    if (link === undefined) throw new InvalidOptionError(`options.scheduler returned ${String(index)}; it must return a worker index in [0, ${this.links.length})`);
    return link;
  }

  /** An answer from a worker: settles its call (or records what the worker said of itself). */
  private handle(link: WorkerLink, response: Response): void {
    if (response.k === Kind.Hello) {
      link.greeted(response.thread);
      return;
    }
    if (response.k === Kind.Retired) {
      this.metrics.retire(link, response.p);
      return;
    }
    const pending = link.inFlight.get(response.id);
    if (pending === undefined) return;
    if (response.k === Kind.ProfileReply) {
      settleCall(link.inFlight, pending, undefined, this.metrics.reply(link, response.p));
      return;
    }
    this.metrics.waited(pending.module, response.q);
    if (response.k === Kind.Ok) settleCall(link.inFlight, pending, undefined, response.v);
    else settleCall(link.inFlight, pending, fromErrorData(response.e));
  }
}

/** Loads and compiles the modules once, starts the workers, and returns the pool. */
export async function createPool(options: PoolOptions): Promise<WasmPool> {
  const resolved = resolvePoolOptions(options);
  const host = options.host ?? new WasmHost();
  const loaded = await Promise.all(
    Object.entries(options.modules).map(async ([id, value]) => {
      const { source, isolation, importsModule, ...load } = moduleOptions(value);
      const module = await host.load(source, { label: id, ...load });
      const worker: WorkerModule = { id, module: module.transferable(), isolation: isolation ?? 'reuse', importsModule };
      return { module, worker };
    }),
  );
  return new WasmPool(new WorkerThreads(resolved), loaded.map((l) => l.module), loaded.map((l) => l.worker), resolved);
}

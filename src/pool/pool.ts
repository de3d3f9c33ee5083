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
import { guestText } from '../untrusted-text.js';
import type { GuestModule } from '../host/guest-module.js';
import { WasmHost } from '../host/host.js';
import { checkUnknownImports } from '../host/imports.js';
import type { PoolProfile } from '../profiler/model/pool-profile.js';
import type { MetricsSnapshot } from '../profiler/model/metrics-snapshot.js';
import type { LiveSettings, PoolSettings, SettingChange, TuningLog } from '../profiler/model/tuning.js';
import { encode, encodeNumericCall, encodeTypedCall, isNumeric, type Encoded, type TypedCall } from './codec.js';
import { checkLiveSettings, moduleOptions, resolvePoolOptions, type CallOptions, type PoolOptions, type ResolvedPoolOptions } from './options.js';
import { settleCall, type CallObserver, type ObserverSlot, type PendingCall } from './pending-call.js';
import { CONTROL, Kind, type CallRequest, type CloseSandbox, type ProfileRequest, type Response, type WorkerModule } from './protocol.js';
import { clockNow, within } from './clock.js';
import { PoolMetrics, type ProfileReply } from './pool-metrics.js';
import { PoolModules } from './pool-modules.js';
import { CallRecovery } from './recovery.js';
import { fewestTenants, least, leastLoaded, outstandingOf } from './schedule.js';
import { WorkerLink, type LinkSettings, type QueueBudget } from './worker-link.js';
import { WorkerThreads } from './worker-threads.js';

export type { CallOptions, PoolModuleOptions, PoolOptions } from './options.js';
export type { PoolProfile } from '../profiler/model/pool-profile.js';
export type { CallObserver } from './pending-call.js';

/** Live setting changes kept for `profile()`: the latest ones. */
const KEPT_CHANGES = 256;

/** What the pool's load looks like now, cheap to read often (the tuner samples it). */
export interface PoolLoad {
  /** Guest calls made since the pool started. */
  readonly submitted: number;
  /** Calls sent (or queued) and not yet settled, across every worker. */
  readonly outstanding: number;
}

export interface PoolSandbox {
  readonly id: number;
  readonly module: string;
  call(exportName: string, ...args: unknown[]): Promise<unknown>;
  invoke(exportName: string, args: readonly unknown[], options?: Omit<CallOptions, 'sandbox'>): Promise<unknown>;
  /** Drops the instance in its worker. */
  close(): Promise<void>;
}

/**
 * A tenant's handle, also the pool's record of it: methods on a prototype rather than closures,
 * since a process may hold tens of thousands of tenants (bench/pool measures each one's memory).
 */
class TenantHandle implements PoolSandbox {
  /** Its worker died: the instance and its state are gone (calls reject with a WorkerCrashedError). */
  lost = false;

  constructor(
    private readonly pool: WasmPool,
    readonly id: number,
    readonly module: string,
    /** @internal the worker holding its instance */
    readonly link: WorkerLink,
  ) {}

  call(exportName: string, ...args: unknown[]): Promise<unknown> {
    return this.pool.invoke(this.module, exportName, args, { sandbox: this.id });
  }

  invoke(exportName: string, args: readonly unknown[], options: Omit<CallOptions, 'sandbox'> = {}): Promise<unknown> {
    return this.pool.invoke(this.module, exportName, args, { ...options, sandbox: this.id });
  }

  close(): Promise<void> {
    return this.pool.closeTenant(this);
  }
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
  private readonly measured: PoolMetrics;
  private nextId = 1;
  /** Calls refused with ERR_POOL_SATURATED (the analyzer's pool-saturation rule reads it). */
  private saturated = 0;
  private nextTenant = 1;
  private readonly tenants = new Map<number, TenantHandle>();
  private readonly budget: QueueBudget;
  /** close() was called: no new calls. */
  private closing = false;
  /** close() has drained the calls (or cancelled them) and is stopping the workers. */
  private stopping = false;
  private closed: Promise<PoolCloseReport> | undefined;
  private readonly recovery: CallRecovery;
  /** What every link reads; the live settings are changed in place. */
  private readonly live: LinkSettings;
  /** Links taken out of service by a live change, until their workers have stopped. */
  private readonly retiring = new Set<WorkerLink>();
  private readonly changes: SettingChange[] = [];
  private readonly observers: ObserverSlot = { current: undefined };
  private submitted = 0;
  /** As given (the links read it in ms). */
  private callerSpinMicros: number;
  private nextLinkIndex = 0;
  /** Live changes, one at a time. */
  private configuring: Promise<unknown> = Promise.resolve();
  private tuningSource: (() => TuningLog) | undefined;

  /** @internal use createPool */
  constructor(
    private readonly threads: WorkerThreads,
    modules: readonly GuestModule[],
    specs: readonly WorkerModule[],
    private readonly options: ResolvedPoolOptions,
  ) {
    this.served = new PoolModules(specs.map((s) => s.id), modules);
    this.ids = this.served.ids;
    this.measured = new PoolMetrics(this.ids, modules);
    this.budget = { queued: 0, max: options.maxQueue };
    const settings: LinkSettings = {
      ringBytes: options.ringBytes,
      spinMs: options.callerSpinMicros / 1000,
      workerSpin: options.workerSpin,
      wakeBatch: options.wakeBatch,
      idleMs: options.idleTimeoutMs,
      modules: specs,
    };
    this.live = settings;
    this.callerSpinMicros = options.callerSpinMicros;
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
    this.links = Array.from({ length: options.threads }, () => this.newLink());
    threads.onWorkerLostStarting((error) => this.recovery.lostStarting(this.links, error));
    for (const link of this.links) this.recovery.serve(link);
  }

  private newLink(): WorkerLink {
    return new WorkerLink(this.nextLinkIndex++, this.live, this.budget, (link, response) => this.handle(link, response), this.observers);
  }

  /** Every link with a worker: those serving, and those retiring after a live change. */
  private allLinks(): WorkerLink[] {
    return this.retiring.size === 0 ? this.links : [...this.links, ...this.retiring];
  }

  /** The settings in force now. */
  settings(): PoolSettings {
    return {
      threads: this.links.length,
      callerSpinMicros: this.callerSpinMicros,
      workerSpin: this.live.workerSpin,
      wakeBatch: this.live.wakeBatch,
      ringBytes: this.options.ringBytes,
      minThreads: this.options.minThreads,
      maxThreads: this.options.maxThreads,
    };
  }

  /**
   * Changes live settings while the pool serves; resolves with the settings in force once every
   * change has taken effect. Spin budgets and the wake-up batch apply to the next batch each
   * worker serves. A higher thread count starts workers; a lower one takes workers out of the
   * scheduler, lets the calls they hold finish, then stops them (their metrics stay in
   * `profile()`); no call is lost or run twice. Workers holding tenant sandboxes are never
   * stopped: if too few workers hold none, the change fails with ERR_INVALID_OPTION. Each change
   * is logged (`profile().settingChanges`) under `by`.
   */
  configure(changes: Partial<LiveSettings>, by = 'user'): Promise<PoolSettings> {
    const run = this.configuring.then(() => this.applySettings(changes, by));
    this.configuring = run.catch(() => undefined);
    return run;
  }

  private async applySettings(changes: Partial<LiveSettings>, by: string): Promise<PoolSettings> {
    if (this.closing) throw new PoolClosedError('the pool is closed; create a new one');
    checkLiveSettings(changes, 'settings');
    const { threads } = changes;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= this.options.minThreads && threads <= this.options.maxThreads)) {
      throw new InvalidOptionError(`settings.threads must be an integer in [${this.options.minThreads}, ${this.options.maxThreads}] (the pool's minThreads, maxThreads), got ${String(threads)}`);
    }
    const before = this.settings();
    const log = (setting: keyof LiveSettings, to: number): void => {
      if (before[setting] === to) return;
      this.changes.push({ atMs: Date.now(), setting, from: before[setting], to, by });
      if (this.changes.length > KEPT_CHANGES) this.changes.shift();
    };
    if (changes.callerSpinMicros !== undefined) {
      this.live.spinMs = changes.callerSpinMicros / 1000;
      this.callerSpinMicros = changes.callerSpinMicros;
      log('callerSpinMicros', changes.callerSpinMicros);
    }
    if (changes.workerSpin !== undefined || changes.wakeBatch !== undefined) {
      this.live.workerSpin = changes.workerSpin ?? this.live.workerSpin;
      this.live.wakeBatch = changes.wakeBatch ?? this.live.wakeBatch;
      for (const link of this.allLinks()) link.writeLiveSettings();
      if (changes.workerSpin !== undefined) log('workerSpin', changes.workerSpin);
      if (changes.wakeBatch !== undefined) log('wakeBatch', changes.wakeBatch);
    }
    if (threads !== undefined && threads !== this.links.length) {
      if (threads > this.links.length) {
        while (this.links.length < threads) {
          const link = this.newLink();
          this.links.push(link);
          this.recovery.serve(link);
        }
      } else {
        const free = this.links.filter((l) => l.tenants.size === 0);
        const stop = this.links.length - threads;
        if (free.length < stop) {
          throw new InvalidOptionError(`settings.threads cannot go below ${this.links.length - free.length}: the other workers hold tenant sandboxes`);
        }
        const leaving = free.slice(-stop);
        for (const link of leaving) {
          this.links.splice(this.links.indexOf(link), 1);
          link.retired = true;
          this.retiring.add(link);
        }
        await Promise.all(leaving.map((link) => this.retire(link)));
      }
      log('threads', threads);
    }
    return this.settings();
  }

  /** A link out of the scheduler: its calls finish (or move on if its worker dies), then its worker stops. */
  private async retire(link: WorkerLink): Promise<void> {
    await this.drained([link]);
    if (link.alive && !link.parked && !this.stopping) {
      Atomics.store(link.control, CONTROL.stopping, 1);
      link.submit(encode({ k: Kind.Stop }), undefined, true);
      await link.serving;
    }
    // A profile request written behind the Stop frame is never answered: its asker hears it stopped
    // (profile() then takes what the worker measured from its last words).
    for (const pending of [...link.inFlight.values()]) settleCall(link.inFlight, pending, new WorkerCrashedError('the worker stopped after a live change of the thread count'));
    this.recovery.cancelRestarts([link]);
    this.retiring.delete(link);
  }

  /** Counters cheap enough to read every millisecond. */
  load(): PoolLoad {
    let outstanding = 0;
    for (const link of this.links) outstanding += link.outstanding;
    for (const link of this.retiring) outstanding += link.outstanding;
    return { submitted: this.submitted, outstanding };
  }

  /** `observer` hears of every guest call as it settles (one at a time; undefined removes it). */
  observeCalls(observer: CallObserver | undefined): void {
    this.observers.current = observer;
  }

  /** `source` gives the tuner's log that `profile()` carries (undefined removes it). */
  reportTuning(source: (() => TuningLog) | undefined): void {
    this.tuningSource = source;
  }

  /** Call ids stay in 1..2^31-1: they travel as u32 and are published in an Int32Array. */
  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** A call already written to the ring: wait for its answer. */
  private track(link: WorkerLink, id: number, module: number, tenant: boolean, now: number, timeout: number | undefined, deadline: number | undefined): Promise<unknown> {
    this.recovery.wake(link);
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { id, module, link, frameAt: undefined, submittedAt: now, deadline, timeoutMs: timeout, resolve, reject, timer: undefined, settled: false, tenant };
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
    this.submitted++;
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
        if (link.writeInPlace(call)) return this.track(link, id, index, tenant !== undefined, now, timeout, deadline);
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
      const pending: PendingCall = { id, module: index, link, frameAt: undefined, submittedAt: now, deadline, timeoutMs: timeout, resolve, reject, timer: undefined, settled: false, tenant: tenant !== undefined };
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
    const tenant = new TenantHandle(this, this.nextTenant++, moduleId, link);
    this.tenants.set(tenant.id, tenant);
    link.tenants.add(tenant.id);
    return tenant;
  }

  /** @internal TenantHandle.close: forgets the tenant, then drops its instance in its worker. */
  async closeTenant(tenant: TenantHandle): Promise<void> {
    if (!this.tenants.delete(tenant.id)) return;
    tenant.link.tenants.delete(tenant.id);
    if (tenant.lost || this.closing) return;
    await this.ask(tenant.link, (requestId) => ({ k: Kind.CloseSandbox, id: requestId, x: tenant.id }));
  }

  /** Sends a control request (not a guest call) to one worker; resolves with its answer. */
  private ask(link: WorkerLink, request: (id: number) => ProfileRequest | CloseSandbox): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { id: this.takeId(), module: -1, link, frameAt: undefined, submittedAt: 0, deadline: undefined, timeoutMs: undefined, resolve, reject, timer: undefined, settled: false };
      this.submit(link, encode(request(pending.id)), pending, true);
    });
  }

  /** Per-module profiles merged across workers, queue waits, and worker restarts. */
  async profile(): Promise<PoolProfile> {
    // Once close() is stopping the workers, what they measured is in `retired` (their last words).
    const links = this.allLinks();
    const replies = this.stopping
      ? []
      : await Promise.all(links.map((link) => (link.retired && !link.alive ? Promise.resolve(undefined) : (this.ask(link, (id) => ({ k: Kind.Profile, id })) as Promise<ProfileReply>).catch(() => undefined))));
    const { modules, queueWait } = this.measured.merge(links, replies);
    const tuning = this.tuningSource?.();
    const settings = this.settings();
    const counts = links.map((l) => l.spinCounts());
    const sum = (pick: (c: (typeof counts)[number]) => number): number => counts.reduce((n, c) => n + pick(c), 0);
    const spin = {
      workerSpin: settings.workerSpin,
      workerRounds: sum((c) => c.workerRounds),
      workerEmptyRounds: sum((c) => c.workerEmptyRounds),
      callerSpinMicros: settings.callerSpinMicros,
      callerRounds: sum((c) => c.callerRounds),
      callerEmptyRounds: sum((c) => c.callerEmptyRounds),
    };
    return {
      modules,
      queueWait,
      workers: { threads: this.links.length, restarts: this.recovery.restarts, crashes: this.recovery.crashes },
      saturated: this.saturated,
      spin,
      settings,
      settingChanges: [...this.changes],
      ...(tuning === undefined ? {} : { tuning }),
    };
  }

  /**
   * Cumulative metrics of the whole pool for a scrape: every worker's, merged (a worker that
   * ended or crashed keeps counting through what it last reported), with the queue's gauges.
   */
  async metrics(): Promise<MetricsSnapshot> {
    const profile = await this.profile();
    const modules = Object.values(profile.modules);
    let inFlight = 0;
    for (const link of this.allLinks()) for (const pending of link.inFlight.values()) if (pending.module >= 0) inFlight++;
    return {
      kind: 'pool',
      modules,
      cache: (modules[0] ?? this.served.modules[0]?.profile())?.cache,
      pool: { queued: this.budget.queued, inFlight, ...profile.workers, queueWait: profile.queueWait },
    };
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
      for (const link of this.allLinks()) {
        for (const pending of link.inFlight.values()) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call completed'));
        for (const { pending } of link.outbox) if (pending !== undefined) settleCall(link.inFlight, pending, new PoolClosedError('the pool was closed before this call started'));
        link.dropOutbox();
      }
    } else {
      // Calls made before close() finish, on a replacement if their worker dies meanwhile.
      await this.drained();
      this.stopping = true;
    }
    const links = this.allLinks();
    this.recovery.cancelRestarts(links);
    const timeout = this.options.closeTimeoutMs;
    if (!cancel) {
      for (const link of links) {
        if (link.parked || !link.alive) continue;
        Atomics.store(link.control, CONTROL.stopping, 1);
        link.submit(encode({ k: Kind.Stop }), undefined, true);
      }
      await within(timeout, Promise.allSettled(links.map((l) => l.serving)));
    }
    // Whatever has not ended is terminated: a guest that cannot be stopped must not keep close() waiting.
    return { unstoppedThreads: await this.threads.close(timeout) };
  }

  /** Resolves once no link (of `links`; default: all) holds a call (a call resent after a death moves between links). */
  private drained(links?: readonly WorkerLink[]): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if ((links ?? this.allLinks()).every((link) => link.inFlight.size === 0 && link.outbox.length === 0)) resolve();
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
    // The default scheduler reads the links themselves: no load objects on every call.
    const scheduler = this.options.scheduler;
    const index = scheduler === leastLoaded ? least(this.links, outstandingOf) : scheduler(this.links.map((l) => l.load()));
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
      this.measured.retire(link, response.p);
      return;
    }
    const pending = link.inFlight.get(response.id);
    if (pending === undefined) return;
    if (response.k === Kind.ProfileReply) {
      settleCall(link.inFlight, pending, undefined, this.measured.reply(link, response.p));
      return;
    }
    this.measured.waited(pending.module, response.q);
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
      const { source, isolation, importsModule, unknownImports, ...load } = moduleOptions(value);
      checkUnknownImports(unknownImports, `modules.${guestText(id)}.unknownImports`);
      const module = await host.load(source, { label: id, ...load });
      const worker: WorkerModule = { id, module: module.transferable(), isolation: isolation ?? 'reuse', importsModule, unknownImports: unknownImports ?? 'refuse' };
      return { module, worker };
    }),
  );
  return new WasmPool(new WorkerThreads(resolved), loaded.map((l) => l.module), loaded.map((l) => l.worker), resolved);
}

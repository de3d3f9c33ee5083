/**
 * A pool of worker threads serving guest calls through shared-memory rings. piscina runs the
 * worker lifecycle (start, resource limits, replacement); each worker runs one long-lived
 * serve task on its own request/response ring pair. Compiled modules are sent once and never
 * recompiled. The caller's thread spins a bounded few microseconds for a response, then waits
 * with Atomics.waitAsync: it never blocks on Atomics.wait.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import {
  DeadlineExceededError,
  InvalidOptionError,
  PoolClosedError,
  PoolSaturatedError,
  RemoteError,
  WasmExportNotFoundError,
  WorkerCrashedError,
} from '../errors.js';
import type { GuestModule } from '../host/guest-module.js';
import { WasmHost, type LoadOptions } from '../host/host.js';
import type { ModuleSource } from '../host/source.js';
import type { TypedSignature } from '../host/typed-call.js';
import { CallRecorder } from '../profiler/call-recorder.js';
import type { LatencySummary } from '../profiler/latency-histogram.js';
import { mergeModuleProfiles, type ModuleProfile } from '../profiler/module-profile.js';
import {
  decode,
  decodeNumericAnswer,
  encode,
  encodeNumericCall,
  encodeTypedCall,
  isNumeric,
  numericCallBytes,
  splitIntoChunks,
  writeNumericCall,
  type Encoded,
  type TypedCall,
} from './codec.js';
import {
  CONTROL,
  Kind,
  type CallRequest,
  type CloseSandbox,
  type Isolation,
  type ProfileRequest,
  type Response,
  type ServeTask,
  type WorkerModule,
} from './protocol.js';
import { DATA_SEQ, RingBuffer, SPACE_SEQ } from './ring-buffer.js';

export interface PoolModuleOptions extends LoadOptions {
  readonly source: ModuleSource;
  /** `reuse` keeps one instance per worker (state persists); `fresh` instantiates per call. @default 'reuse' */
  readonly isolation?: Isolation;
  /** ES module (path or URL) whose default export is the imports object, or a function of the module id returning it. */
  readonly importsModule?: string;
}

export interface PoolOptions {
  /** Modules by id: a source, or a source with options. */
  readonly modules: Readonly<Record<string, ModuleSource | PoolModuleOptions>>;
  /** @default 2 */
  readonly threads?: number;
  /**
   * Bytes per ring (a power of two; two rings per worker). Requests larger than half a ring are
   * streamed in chunks, which costs about half the bandwidth. @default 4 MiB
   */
  readonly ringBytes?: number;
  /** Calls that may wait for ring space; beyond it, ERR_POOL_SATURATED. @default 1024 */
  readonly maxQueue?: number;
  /** Iterations a worker spins on an empty ring before sleeping. @default 2000 */
  readonly workerSpin?: number;
  /** Microseconds the caller spins for a response before waiting asynchronously. @default 20 */
  readonly callerSpinMicros?: number;
  /** Default per-call deadline. @default none */
  readonly timeoutMs?: number;
  /**
   * Workers with no call for this long (and no tenant sandbox) end, and threads are started
   * again on demand. @default never: workers stay warm
   */
  readonly idleTimeoutMs?: number;
  readonly resourceLimits?: ResourceLimits;
  /** Host used to load and compile the modules (once, in this thread). @default a new host */
  readonly host?: WasmHost;
}

export interface CallOptions {
  /** @internal a tenant sandbox id (use `pool.openSandbox`) */
  readonly sandbox?: number;
  readonly timeoutMs?: number;
  /** AssemblyScript-typed call (strings, arrays out); typed arrays in are inferred without it. */
  readonly signature?: TypedSignature;
  /** Fuel for the call (modules loaded with `instrument: { fuel: true }`). */
  readonly fuel?: number;
}

export interface PoolSandbox {
  readonly id: number;
  readonly module: string;
  call(exportName: string, ...args: unknown[]): Promise<unknown>;
  invoke(exportName: string, args: readonly unknown[], options?: Omit<CallOptions, 'sandbox'>): Promise<unknown>;
  /** Drops the instance in its worker. */
  close(): Promise<void>;
}

export interface PoolProfile {
  /** Per-module profiles from every worker, histograms merged. */
  readonly modules: Readonly<Record<string, ModuleProfile>>;
  /** Time from `call()` to the worker starting the call, per module. */
  readonly queueWait: Readonly<Record<string, LatencySummary>>;
  readonly workers: { readonly threads: number; readonly restarts: number; readonly crashes: number };
}

interface Pending {
  readonly id: number;
  readonly module: number;
  /** Bound to a tenant sandbox's instance: cannot move to another worker. */
  tenant?: boolean;
  /** Kept until settled: a call a dead worker had not started is sent again. */
  frame?: Encoded;
  /** For calls written straight into the ring: rebuilds the frame if it must be sent again. */
  reencode?: () => Encoded;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/** Atomics.waitAsync (Node 20 has it; TypeScript's ES2022 lib does not declare it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** This file's compiled worker: beside it in dist/, or dist/'s copy when running from sources (tests). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = join(dirname(here), 'worker.js');
  if (existsSync(beside)) return beside;
  const fromSource = join(dirname(here), '..', '..', 'dist', 'src', 'pool', 'worker.js');
  if (existsSync(fromSource)) return fromSource;
  throw new InvalidOptionError(`the pool's worker script is missing (${beside}); run npm run build`);
}

/** The caller's thread spins for answers only with at most this many calls outstanding. */
const SPIN_MAX_OUTSTANDING = 16;

class Slot {
  requests!: RingBuffer;
  responses!: RingBuffer;
  control!: Int32Array;
  thread: number | undefined;
  readonly inFlight = new Map<number, Pending>();
  /** Tenant sandboxes living on this slot's worker. */
  readonly tenants = new Set<number>();
  /** Encoded requests waiting for ring space, in order. */
  readonly outbox: { readonly frame: Encoded; readonly pending: Pending | undefined }[] = [];
  pumping = false;
  notifyScheduled = false;
  /** Resolved when the current worker has rebuilt its modules and said hello. */
  ready!: Promise<void>;
  markReady: () => void = () => undefined;
  alive = true;
  /** The worker ended after idling; the next call starts one again on the same rings. */
  parked = false;
  serving: Promise<void> = Promise.resolve();

  constructor(readonly index: number, readonly ringBytes: number) {
    this.reset();
  }

  /** A new worker is coming: `ready` waits for its hello. */
  renewReady(): void {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Fresh rings at start; after a worker died, the same rings emptied (first touch of new shared memory is slow). */
  reset(): void {
    this.renewReady();
    if (this.requests === undefined) {
      this.requests = new RingBuffer(RingBuffer.allocate(this.ringBytes));
      this.responses = new RingBuffer(RingBuffer.allocate(this.ringBytes));
      this.control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
    } else {
      this.requests.clear();
      this.responses.clear();
      this.control.fill(0);
    }
    this.thread = undefined;
  }
}

/** Answers are due, frames wait for ring space, or a worker is starting up. */
function needsPump(slot: Slot): boolean {
  return slot.alive && (slot.inFlight.size > 0 || slot.outbox.length > 0 || (slot.thread === undefined && !slot.parked));
}

export class WasmPool {
  private readonly slots: Slot[];
  private readonly ids: string[];
  /** Per module: export name → index in its inspection, for binary calls. */
  private readonly exportIndex: Map<string, number>[];
  private readonly queue: Map<string, CallRecorder>;
  private nextId = 1;
  private nextTenant = 1;
  private readonly tenants = new Map<number, { slot: Slot; lost: boolean }>();
  private queued = 0;
  private closing = false;
  private restarts = 0;
  private crashes = 0;
  /** Metrics of workers that ended after idling, per module, merged as they come (bounded). */
  private readonly retired: (ModuleProfile | undefined)[] = [];
  private readonly spinMs: number;

  /** @internal use createPool */
  constructor(
    private readonly piscina: Piscina,
    private readonly modules: readonly GuestModule[],
    private readonly specs: readonly WorkerModule[],
    private readonly options: Required<Pick<PoolOptions, 'threads' | 'ringBytes' | 'maxQueue' | 'workerSpin' | 'callerSpinMicros'>> & {
      timeoutMs: number | undefined;
      idleTimeoutMs: number | undefined;
    },
  ) {
    this.ids = specs.map((s) => s.id);
    this.exportIndex = modules.map((m) => new Map(m.inspect().exports.map((e, i) => [e.name, i])));
    this.queue = new Map(this.ids.map((id) => [id, new CallRecorder(`${id} queue wait`, { mode: 'every', thresholdNs: 1, sampleInterval: 1, warmup: 1 })]));
    this.spinMs = options.callerSpinMicros / 1000;
    this.slots = Array.from({ length: options.threads }, (_, i) => new Slot(i, options.ringBytes));
    for (const slot of this.slots) this.serve(slot);
  }

  /** Call ids stay in 1..2^31-1: they travel as u32 and are published in an Int32Array. */
  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** A call already written to the ring: wait for its answer (and re-encode it if its worker dies). */
  private track(slot: Slot, id: number, module: number, tenant: boolean, timeout: number | undefined, reencode: () => Encoded): Promise<unknown> {
    if (slot.parked) this.serve(slot);
    this.scheduleNotify(slot);
    return new Promise((resolve, reject) => {
      const pending: Pending = { id, module, resolve, reject, timer: undefined, settled: false, tenant, reencode };
      slot.inFlight.set(id, pending);
      if (timeout !== undefined) pending.timer = setTimeout(() => this.expire(slot, pending, timeout), timeout);
      this.pump(slot);
    });
  }

  /** Resolves when every worker has started and rebuilt its modules (calls may be made before). */
  async ready(): Promise<void> {
    for (const slot of this.slots) this.pump(slot);
    await Promise.all(this.slots.map((s) => s.ready));
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
    const index = this.ids.indexOf(moduleId);
    if (index < 0) {
      return Promise.reject(new WasmExportNotFoundError(`the pool has no module ${JSON.stringify(moduleId)}; modules: ${this.ids.join(', ')}`, moduleId, this.ids));
    }
    const tenant = options.sandbox === undefined ? undefined : this.tenants.get(options.sandbox);
    if (options.sandbox !== undefined && tenant === undefined) {
      return Promise.reject(new InvalidOptionError(`sandbox ${options.sandbox} is closed; open a new one`));
    }
    if (tenant !== undefined && tenant.lost) {
      return Promise.reject(new WorkerCrashedError(`${moduleId}: this sandbox's instance was lost with its worker; open a new sandbox`));
    }
    const slot = tenant?.slot ?? this.pick();
    const id = this.takeId();
    const now = performance.timeOrigin + performance.now();
    const timeout = options.timeoutMs ?? this.options.timeoutMs;
    const deadline = timeout === undefined ? undefined : now + timeout;
    let frame: Encoded;
    try {
      // Binary layouts name the export by index and carry no fuel; msgpack carries anything.
      const exportIndex = options.fuel === undefined ? this.exportIndex[index]!.get(exportName) : undefined;
      if (exportIndex !== undefined && options.signature === undefined && isNumeric(args)) {
        const call = { id, module: index, exportIndex, t: now, d: deadline, sandbox: options.sandbox ?? 0, args: args as readonly (number | bigint)[] };
        // The hot path: straight into the ring when nothing is queued ahead and there is room.
        const bytes = numericCallBytes(args.length);
        const at = slot.outbox.length === 0 ? slot.requests.reserve(bytes) : -1;
        if (at >= 0) {
          writeNumericCall(slot.requests.view, at, call);
          slot.requests.commit(bytes);
          return this.track(slot, id, index, tenant !== undefined, timeout, () => encodeNumericCall(call));
        }
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
      const pending: Pending = { id, module: index, resolve, reject, timer: undefined, settled: false, tenant: tenant !== undefined };
      if (!this.submit(slot, frame, pending)) {
        reject(new PoolSaturatedError(`the pool's queue is full (${this.options.maxQueue} calls waiting for ring space); retry later or raise maxQueue`));
        return;
      }
      if (timeout !== undefined) pending.timer = setTimeout(() => this.expire(slot, pending, timeout), timeout);
    });
  }

  /**
   * A tenant sandbox: its own instance of `moduleId`, on one worker, kept between calls until
   * closed. Its state is lost if that worker dies (calls then fail with ERR_WORKER_CRASHED).
   */
  openSandbox(moduleId: string): PoolSandbox {
    if (this.closing) throw new PoolClosedError('the pool is closed; create a new one');
    if (!this.ids.includes(moduleId)) throw new WasmExportNotFoundError(`the pool has no module ${JSON.stringify(moduleId)}; modules: ${this.ids.join(', ')}`, moduleId, this.ids);
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.tenants.size < slot.tenants.size) slot = s;
    const id = this.nextTenant++;
    const tenant = { slot, lost: false };
    this.tenants.set(id, tenant);
    slot.tenants.add(id);
    return {
      id,
      module: moduleId,
      call: (exportName: string, ...args: unknown[]) => this.invoke(moduleId, exportName, args, { sandbox: id }),
      invoke: (exportName: string, args: readonly unknown[], options: Omit<CallOptions, 'sandbox'> = {}) =>
        this.invoke(moduleId, exportName, args, { ...options, sandbox: id }),
      close: async () => {
        if (!this.tenants.delete(id)) return;
        tenant.slot.tenants.delete(id);
        if (tenant.lost || this.closing) return;
        await this.ask(tenant.slot, (requestId) => ({ k: Kind.CloseSandbox, id: requestId, x: id }));
      },
    };
  }

  /** Sends a control request (not a guest call) to one worker; resolves with its answer. */
  private ask(slot: Slot, request: (id: number) => ProfileRequest | CloseSandbox): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { id: this.takeId(), module: -1, resolve, reject, timer: undefined, settled: false };
      this.submit(slot, encode(request(pending.id)), pending, true);
    });
  }

  /** Per-module profiles merged across workers, queue waits, and worker restarts. */
  async profile(): Promise<PoolProfile> {
    const replies = await Promise.all(
      this.slots.map((slot) =>
        (this.ask(slot, (id) => ({ k: Kind.Profile, id })) as Promise<(ModuleProfile | undefined)[]>).catch(() => [] as (ModuleProfile | undefined)[]),
      ),
    );
    const modules: Record<string, ModuleProfile> = {};
    this.ids.forEach((id, i) => {
      const parts = [...replies, this.retired].map((r) => r[i]).filter((p): p is ModuleProfile => p !== undefined && p.instances > 0);
      const local = this.modules[i]!.profile();
      modules[id] = parts.length === 0 ? local : { ...mergeModuleProfiles(parts), cache: local.cache, coldStart: local.coldStart };
    });
    const queueWait: Record<string, LatencySummary> = {};
    for (const [id, recorder] of this.queue) queueWait[id] = recorder.snapshot().latency;
    return { modules, queueWait, workers: { threads: this.slots.length, restarts: this.restarts, crashes: this.crashes } };
  }

  /** Stops the workers: in-flight calls finish first (`cancel`: they are rejected with ERR_POOL_CLOSED). */
  async close(options: { cancel?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (options.cancel === true) {
      for (const slot of this.slots) {
        for (const pending of slot.inFlight.values()) this.settle(slot, pending, new PoolClosedError('the pool was closed before this call completed'));
        for (const { pending } of slot.outbox) if (pending !== undefined) this.settle(slot, pending, new PoolClosedError('the pool was closed before this call started'));
        slot.outbox.length = 0;
      }
    } else {
      await Promise.all(this.slots.map((slot) => this.drained(slot)));
    }
    for (const slot of this.slots) {
      if (slot.parked) continue;
      Atomics.store(slot.control, CONTROL.stopping, 1);
      this.submit(slot, encode({ k: Kind.Stop }), undefined, true);
      // A guest that cannot be stopped must not keep close() waiting.
      if (options.cancel === true) this.terminate(slot);
    }
    await Promise.race([Promise.allSettled(this.slots.map((s) => s.serving)), new Promise((r) => setTimeout(r, 2000))]);
    await this.piscina.destroy();
  }

  private pick(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) if (slot.inFlight.size + slot.outbox.length < best.inFlight.size + best.outbox.length) best = slot;
    return best;
  }

  /** Writes (or queues) a frame; false when the bounded queue is full. */
  private submit(slot: Slot, frame: Encoded, pending: Pending | undefined, force = false): boolean {
    if (slot.parked) this.serve(slot);
    if (pending !== undefined) {
      pending.frame = frame;
      slot.inFlight.set(pending.id, pending);
    }
    if (frame.byteLength > slot.requests.maxPayload) {
      if (pending === undefined) throw new RangeError('control frames always fit a ring');
      // Larger than a frame: stream it in chunks behind whatever is already queued.
      if (!force && this.queued >= this.options.maxQueue) {
        slot.inFlight.delete(pending.id);
        return false;
      }
      for (const chunk of splitIntoChunks(pending.id, frame, slot.requests.maxPayload)) {
        slot.outbox.push({ frame: chunk, pending });
        this.queued++;
      }
      this.flush(slot);
      this.pump(slot);
      return true;
    }
    if (slot.outbox.length === 0 && slot.requests.tryWrite(frame.parts) === 'ok') {
      this.scheduleNotify(slot);
    } else {
      if (!force && this.queued >= this.options.maxQueue) {
        if (pending !== undefined) slot.inFlight.delete(pending.id);
        return false;
      }
      slot.outbox.push({ frame, pending });
      this.queued++;
    }
    this.pump(slot);
    return true;
  }

  /** One wake-up per slot per tick, however many frames were written in it. */
  private scheduleNotify(slot: Slot): void {
    if (slot.notifyScheduled) return;
    slot.notifyScheduled = true;
    queueMicrotask(() => {
      slot.notifyScheduled = false;
      Atomics.notify(slot.requests.header, DATA_SEQ);
    });
  }

  private flush(slot: Slot): void {
    while (slot.outbox.length > 0) {
      const next = slot.outbox[0]!;
      if (next.pending?.settled === true) {
        slot.outbox.shift();
        this.queued--;
        continue;
      }
      if (slot.requests.tryWrite(next.frame.parts) !== 'ok') break;
      slot.outbox.shift();
      this.queued--;
      this.scheduleNotify(slot);
    }
  }

  /** Reads responses while calls are outstanding: spin briefly, then wait asynchronously. */
  private pump(slot: Slot): void {
    if (slot.pumping) return;
    slot.pumping = true;
    void (async () => {
      try {
        while (needsPump(slot)) {
          const seq = Atomics.load(slot.responses.header, DATA_SEQ);
          if (this.drain(slot) > 0) {
            // Let the callers whose calls just settled run (and submit more) before spinning.
            await null;
            continue;
          }
          // Spin only while latency is what matters (few calls outstanding); with many in flight
          // the answers come in batches and the core is better left to the workers.
          if (slot.inFlight.size <= SPIN_MAX_OUTSTANDING) {
            const spinUntil = performance.now() + this.spinMs;
            while (performance.now() < spinUntil && slot.responses.used() === 0);
          }
          if (slot.responses.used() > 0) continue;
          // With frames waiting for ring space, wake when the worker frees some (it consumes
          // request chunks without answering until the last one); otherwise on an answer.
          const waited =
            slot.outbox.length > 0
              ? waitAsync(slot.requests.header, SPACE_SEQ, Atomics.load(slot.requests.header, SPACE_SEQ), 5)
              : waitAsync(slot.responses.header, DATA_SEQ, seq, 100);
          if (waited.async) await waited.value;
          this.flush(slot);
        }
      } finally {
        slot.pumping = false;
      }
      if (needsPump(slot)) this.pump(slot);
    })();
  }

  /** Handles every response available; returns how many. */
  private drain(slot: Slot): number {
    let handled = 0;
    for (let frame = slot.responses.peek(); frame.status === 'ok'; frame = slot.responses.peek()) {
      const numeric = decodeNumericAnswer(frame.payload);
      const response: Response = numeric === undefined ? decode<Response>(frame.payload) : { k: Kind.Ok, id: numeric.id, v: numeric.value, q: numeric.q, r: numeric.r };
      slot.responses.consume(frame.frameBytes);
      handled++;
      this.handle(slot, response);
    }
    this.flush(slot);
    return handled;
  }

  private handle(slot: Slot, response: Response): void {
    if (response.k === Kind.Hello) {
      slot.thread = response.thread;
      slot.markReady();
      return;
    }
    if (response.k === Kind.Retired) {
      response.p.forEach((part, i) => {
        if (part === undefined || part.instances === 0) return;
        const kept = this.retired[i];
        this.retired[i] = kept === undefined ? part : mergeModuleProfiles([kept, part]);
      });
      return;
    }
    const pending = slot.inFlight.get(response.id);
    if (pending === undefined) return;
    if (response.k === Kind.ProfileReply) {
      this.settle(slot, pending, undefined, response.p);
      return;
    }
    const recorder = this.queue.get(this.ids[pending.module]!);
    recorder?.timed(0, Math.max(0, response.q));
    if (response.k === Kind.Ok) this.settle(slot, pending, undefined, response.v);
    else this.settle(slot, pending, new RemoteError({ code: response.c, name: response.n, message: response.msg, ...(response.x === undefined ? {} : { fields: response.x }) }));
  }

  private settle(slot: Slot, pending: Pending, error: Error | undefined, value?: unknown): void {
    slot.inFlight.delete(pending.id);
    if (pending.settled) return;
    pending.settled = true;
    pending.frame = undefined;
    pending.reencode = undefined;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (error === undefined) pending.resolve(value);
    else pending.reject(error);
  }

  /** A call's deadline passed: reject it now; stop the guest in place, or replace the worker. */
  private expire(slot: Slot, pending: Pending, timeoutMs: number): void {
    if (pending.settled) return;
    const id = this.ids[pending.module];
    // The worker writes a call's answer before it clears `current`: read `current` first, then
    // take any answers already written (they settle the call with its real outcome).
    const running = Atomics.load(slot.control, CONTROL.current) === pending.id;
    this.drain(slot);
    if (pending.settled) return;
    const instrumented = this.modules[pending.module]!.deadlineRoute === 'instrumented';
    // Not current and not answered: not started, and the worker will see its deadline and skip it.
    const what = !running
      ? 'it had not started and will not run'
      : instrumented
        ? 'the guest was interrupted in its worker'
        : 'its worker was terminated and replaced (load the module with instrument: { deadline: true } to stop it without losing the worker)';
    this.settle(slot, pending, new DeadlineExceededError(`${id}: call exceeded its deadline of ${timeoutMs} ms; ${what}`, timeoutMs, timeoutMs));
    if (!running) return;
    if (instrumented) {
      Atomics.store(slot.control, CONTROL.interrupt, 1);
      // It ended meanwhile: do not leave the flag for the next call (which clears it when it starts).
      if (Atomics.load(slot.control, CONTROL.current) !== pending.id) Atomics.compareExchange(slot.control, CONTROL.interrupt, 1, 0);
    } else if (Atomics.load(slot.control, CONTROL.current) === pending.id) {
      this.terminate(slot);
    }
  }

  private terminate(slot: Slot): void {
    const thread = this.piscina.threads.find((t) => t.threadId === slot.thread);
    void thread?.terminate();
  }

  private drained(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!slot.alive || (slot.inFlight.size === 0 && slot.outbox.length === 0)) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  private serve(slot: Slot): void {
    const task: ServeTask = {
      requests: slot.requests.buffer,
      responses: slot.responses.buffer,
      control: slot.control.buffer as SharedArrayBuffer,
      modules: this.specs,
      spin: this.options.workerSpin,
      idleMs: this.options.idleTimeoutMs,
    };
    slot.alive = true;
    slot.parked = false;
    slot.serving = this.piscina.run(task).then(
      (result: unknown) => {
        if (result === 'idle') this.idled(slot);
      },
      (error: unknown) => this.crashed(slot, error),
    );
  }

  /** The worker ended after idling: start one again when work arrives (or if it already has). */
  private idled(slot: Slot): void {
    this.drain(slot); // its last words: the metrics it measured
    slot.thread = undefined;
    slot.renewReady();
    if (this.closing) return;
    if (slot.inFlight.size > 0 || slot.outbox.length > 0 || slot.requests.used() > 0) this.serve(slot);
    else slot.parked = true;
  }

  /**
   * The worker died: answers it wrote before dying are delivered, the call it was running is
   * rejected with ERR_WORKER_CRASHED, and calls it had not started go to its replacement.
   */
  private crashed(slot: Slot, error: unknown): void {
    slot.alive = false;
    this.crashes++;
    this.drain(slot);
    const reason = error instanceof Error ? error.message : String(error);
    const running = Atomics.load(slot.control, CONTROL.current);
    const held = slot.inFlight.get(running);
    if (held !== undefined) {
      this.settle(slot, held, new WorkerCrashedError(`${this.ids[held.module] ?? 'pool'}: worker thread ${slot.thread ?? '?'} died while running this call (${reason}); other calls were not affected`));
    }
    this.queued -= slot.outbox.length;
    slot.outbox.length = 0; // their calls are in inFlight too, and go out again below
    const unstarted = [...slot.inFlight.values()].filter((p) => !p.settled).sort((a, b) => a.id - b.id);
    slot.inFlight.clear();
    if (this.closing) {
      for (const pending of unstarted) this.settle(slot, pending, new PoolClosedError('the pool was closed before this call completed'));
      return;
    }
    // Tenant sandboxes lived in the dead worker: their state is gone.
    for (const id of slot.tenants) {
      const tenant = this.tenants.get(id);
      if (tenant !== undefined) tenant.lost = true;
    }
    slot.tenants.clear();
    slot.reset();
    this.restarts++;
    this.serve(slot);
    // Requests are answered in order: everything after the call it was running never started.
    for (const pending of unstarted) {
      if (pending.tenant === true) {
        this.settle(slot, pending, new WorkerCrashedError(`${this.ids[pending.module] ?? 'pool'}: this sandbox's instance was lost with its worker (${reason}); open a new sandbox`));
      } else {
        const frame = pending.frame ?? pending.reencode?.();
        if (frame !== undefined) this.submit(slot, frame, pending, true);
      }
    }
  }
}

function spec(value: ModuleSource | PoolModuleOptions): PoolModuleOptions {
  return typeof value === 'object' && value !== null && 'source' in value ? value : { source: value };
}

/** Loads and compiles the modules once, starts the workers, and returns the pool. */
export async function createPool(options: PoolOptions): Promise<WasmPool> {
  const threads = options.threads ?? 2;
  const ringBytes = options.ringBytes ?? 4 * 1024 * 1024;
  const maxQueue = options.maxQueue ?? 1024;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidOptionError(`options.threads must be a positive integer, got ${String(threads)}`);
  if (!Number.isInteger(ringBytes) || ringBytes < 4096 || (ringBytes & (ringBytes - 1)) !== 0) {
    throw new InvalidOptionError(`options.ringBytes must be a power of two ≥ 4096, got ${String(ringBytes)}`);
  }
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new InvalidOptionError(`options.maxQueue must be a non-negative integer, got ${String(maxQueue)}`);
  for (const name of ['timeoutMs', 'idleTimeoutMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
      throw new InvalidOptionError(`options.${name} must be a positive finite number, got ${String(value)}`);
    }
  }
  const entries = Object.entries(options.modules);
  if (entries.length === 0) throw new InvalidOptionError('options.modules must name at least one module');
  const host = options.host ?? new WasmHost();
  const loaded = await Promise.all(
    entries.map(async ([id, value]) => {
      const { source, isolation, importsModule, ...load } = spec(value);
      const module = await host.load(source, { label: id, ...load });
      const worker: WorkerModule = { id, module: module.transferable(), isolation: isolation ?? 'reuse', importsModule };
      return { module, worker };
    }),
  );
  const piscina = new Piscina({
    filename: workerFile(),
    minThreads: options.idleTimeoutMs === undefined ? threads : 0,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: options.idleTimeoutMs ?? Number.POSITIVE_INFINITY,
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
  });
  return new WasmPool(
    piscina,
    loaded.map((l) => l.module),
    loaded.map((l) => l.worker),
    {
      threads,
      ringBytes,
      maxQueue,
      workerSpin: options.workerSpin ?? 2000,
      callerSpinMicros: options.callerSpinMicros ?? 20,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
    },
  );
}

/**
 * The pool's side of one worker: its request/response ring pair and control words, the calls
 * it holds, the frames waiting for ring space, and the transport that moves them — write or
 * queue a frame, wake the worker once per tick, and read answers (spin a bounded few
 * microseconds, then wait with Atomics.waitAsync; the caller's thread never blocks, but for a
 * bounded wait while a large call's arrays stream through a window of the ring).
 * What an answer means is decided by whoever the link hands it to.
 */
import { decode, decodeNumericAnswer, decodeNumericAnswerAt, encode, numericCallBytes, splitIntoChunks, writeNumericCall, type Encoded, type NumericAnswer, type NumericCall } from './codec.js';
import type { ObserverSlot, PendingCall } from './pending-call.js';
import { CLAIM, CONTROL, Kind, type Request, type Response, type ServeTask, type WorkerModule } from './protocol.js';
import { StreamWriter, STREAM_WORDS } from './argument-stream.js';
import { KeptBuffers } from './kept-buffers.js';
import { DATA_SEQ, HEADER_BYTES, RingBuffer, SPACE_SEQ } from './ring-buffer.js';
import type { WorkerLoad } from './schedule.js';
import { threadNow } from './clock.js';

/** Atomics.waitAsync (Node 20 has it; TypeScript's ES2022 lib does not declare it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** The caller's thread spins for answers only with at most this many calls outstanding. */
const SPIN_MAX_OUTSTANDING = 16;
/** Polls of the answer ring per clock read while the caller spins (a clock read costs ≈70–100 ns here, a poll ≈10). */
const SPIN_POLLS_PER_CLOCK_READ = 8;
/** A frame this large is announced to its worker as soon as it is written (its copy already took ≥ 10 µs). */
const WAKE_NOW_BYTES = 64 * 1024;

/** Frames waiting for ring space, counted across every link against `maxQueue`. */
export interface QueueBudget {
  queued: number;
  readonly max: number;
}

/**
 * What every link reads, one object shared by the pool's links. The spin budgets and the wake-up
 * batch are live settings: the pool changes them in place (`pool.configure`), and the worker's
 * own copies in its control words with `writeLiveSettings`.
 */
export interface LinkSettings {
  readonly ringBytes: number;
  /** Milliseconds the caller spins for an answer before waiting asynchronously. */
  spinMs: number;
  workerSpin: number;
  wakeBatch: number;
  readonly idleMs: number | undefined;
  readonly modules: readonly WorkerModule[];
}

const RESOLVED = Promise.resolve();

/**
 * A filled request larger than this goes through a window of this size (argument-stream.ts):
 * about what stays in this machine's caches between the caller's copy and the worker's.
 */
const STREAM_WINDOW_BYTES = 2 * 1024 * 1024;
/** A window smaller than this (a small ring) is not worth its hand-backs: the request goes whole or in chunks. */
const MIN_STREAM_WINDOW_BYTES = 64 * 1024;
/**
 * How long the caller's thread waits for its worker to hand window space back, without any,
 * before it keeps the rest of the arrays and goes on writing them asynchronously: the worker
 * first allocates the arrays in guest memory (the guest's allocator zeroes them), so the
 * patience grows with their size, at 1 GiB/s.
 */
const streamPatienceMs = (bytes: number): number => 5 + bytes / (1024 * 1024 * 1024 / 1000);

/** At most this many bytes of copies' buffers are kept free per link (kept-buffers.ts). */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

/**
 * A frame whose bytes are its own (in `into` when given). Encoded frames view the caller's
 * typed arrays (raw bytes) so that a frame written at once costs one copy, into the ring; one
 * that must wait is copied.
 */
function owned(frame: Encoded, into?: Uint8Array): Encoded {
  if (frame.rawBytes === 0) return frame;
  const bytes = into === undefined ? new Uint8Array(frame.byteLength) : into.subarray(0, frame.byteLength);
  let at = 0;
  for (const part of frame.parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return { parts: [bytes], byteLength: bytes.byteLength, rawBytes: 0 };
}

/** A numeric answer as the response its handler takes. */
function okResponse(answer: NumericAnswer): Response {
  return { k: Kind.Ok, id: answer.id, v: answer.value, q: answer.q };
}

export class WorkerLink {
  requests!: RingBuffer;
  responses!: RingBuffer;
  control!: Int32Array;
  thread: number | undefined;
  readonly inFlight = new Map<number, PendingCall>();
  /** Tenant sandboxes living on this link's worker. */
  readonly tenants = new Set<number>();
  /** Encoded requests waiting for ring space, in order; `last`: the frame that completes its request. */
  readonly outbox: {
    readonly frame: Encoded;
    readonly pending: PendingCall | undefined;
    readonly last: boolean;
    /** The kept buffer the frame was copied into, given back once the frame is in the ring. */
    readonly buffer?: Uint8Array;
  }[] = [];
  private keptBuffers: KeptBuffers | undefined;
  private pumping = false;
  /** Scratch for drain's in-place reads of numeric answers. */
  private readonly answer: NumericAnswer = { id: 0, q: 0, value: undefined };
  /** Spins of this link's past workers (their control words are zeroed when a worker is replaced), and of the caller. */
  private readonly spins = { workerRounds: 0, workerEmptyRounds: 0, callerRounds: 0, callerEmptyRounds: 0 };
  private notifyScheduled = false;
  /** Resolved when the current worker has rebuilt its modules and said hello; rejected if it could not start. */
  ready!: Promise<void>;
  private markReady: () => void = () => undefined;
  private markFailed: (error: Error) => void = () => undefined;
  /** Workers in a row that ended before their hello (reset by a hello): the restart backs off. */
  startFailures = 0;
  /** The next start after a failed one, while it waits. */
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  alive = true;
  /** The worker ended after idling; the next call starts one again on the same rings. */
  parked = false;
  serving: Promise<void> = Promise.resolve();
  /** Aborts the current serve task: how the pool gives up on a worker without waiting for it to exit. */
  task: AbortController = new AbortController();
  /** The current worker was given up on (it may still be running). */
  abandoned = false;
  /** Counts the rings' renewals and emptyings: a stream written later stops at the next. */
  private ringEpoch = 0;
  /** Counts the workers this link has had: which one a profile reply came from. */
  generation = 0;
  /** Taken out of service by a live change of the thread count: its worker is stopped once its calls are done, never replaced. */
  retired = false;

  constructor(
    readonly index: number,
    private readonly settings: LinkSettings,
    private readonly budget: QueueBudget,
    private readonly onResponse: (link: WorkerLink, response: Response) => void,
    /** Hears of calls as they settle (the pool's, shared by its links). */
    readonly observers: ObserverSlot = { current: undefined },
  ) {
    this.reset();
  }

  /** A new worker is coming: `ready` waits for its hello. */
  renewReady(): void {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.markFailed = reject;
    });
    this.ready.catch(() => undefined); // only a caller of pool.ready() needs to hear of it
  }

  /** The worker said hello: it has rebuilt its modules. */
  greeted(thread: number): void {
    this.thread = thread;
    this.startFailures = 0;
    this.markReady();
  }

  /** The worker ended before its hello: whoever waits for it to be ready hears why. */
  failedToStart(error: Error): void {
    this.markFailed(error);
  }

  /**
   * Fresh rings at start, and after a worker was abandoned (it may still run and touch them);
   * after a worker died, the same rings emptied (first touch of new shared memory is slow).
   */
  reset(fresh = false): void {
    this.renewReady();
    this.ringEpoch++;
    if (this.requests === undefined || fresh) {
      if (this.control !== undefined) this.keepSpinCounts();
      this.requests = new RingBuffer(RingBuffer.allocate(this.settings.ringBytes));
      this.responses = new RingBuffer(RingBuffer.allocate(this.settings.ringBytes));
      this.control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
    } else {
      this.requests.clear();
      this.responses.clear();
      this.keepSpinCounts();
      this.control.fill(0);
    }
    this.writeLiveSettings();
    this.setWaiting(this.waiting);
    this.thread = undefined;
  }

  /** Whether the pump waits asynchronously (CONTROL.callerWaiting), kept across a worker's control words being renewed. */
  private waiting = false;

  private setWaiting(waiting: boolean): void {
    this.waiting = waiting;
    Atomics.store(this.control, CONTROL.callerWaiting, waiting ? 1 : 0);
  }

  /** The worker's live settings, in the control words it reads once per batch. */
  writeLiveSettings(): void {
    Atomics.store(this.control, CONTROL.workerSpin, this.settings.workerSpin);
    Atomics.store(this.control, CONTROL.wakeBatch, this.settings.wakeBatch);
  }

  private keepSpinCounts(): void {
    this.spins.workerRounds += Atomics.load(this.control, CONTROL.spinRounds);
    this.spins.workerEmptyRounds += Atomics.load(this.control, CONTROL.emptySpinRounds);
  }

  /** How often this link's workers and its caller spun, and how often for nothing. */
  spinCounts(): { workerRounds: number; workerEmptyRounds: number; callerRounds: number; callerEmptyRounds: number } {
    const live = this.control === undefined ? { rounds: 0, empty: 0 } : { rounds: Atomics.load(this.control, CONTROL.spinRounds), empty: Atomics.load(this.control, CONTROL.emptySpinRounds) };
    return { ...this.spins, workerRounds: this.spins.workerRounds + live.rounds, workerEmptyRounds: this.spins.workerEmptyRounds + live.empty };
  }

  /** The serve task its worker runs: this link's rings and the modules. */
  serveTask(): ServeTask {
    return {
      requests: this.requests.buffer,
      responses: this.responses.buffer,
      control: this.control.buffer as SharedArrayBuffer,
      modules: this.settings.modules,
      idleMs: this.settings.idleMs,
    };
  }

  /** Calls in flight and frames queued: the load a scheduler compares. */
  get outstanding(): number {
    return this.inFlight.size + this.outbox.length;
  }

  /** Its worker is starting and will not answer until it has (schedule.ts WorkerLoad). */
  get starting(): boolean {
    return this.thread === undefined && !this.parked;
  }

  /** What a scheduler sees of this link. */
  load(): WorkerLoad {
    return { outstanding: this.outstanding, tenants: this.tenants.size, starting: this.starting };
  }

  /** Answers are due, frames wait for ring space, or a worker is starting up. */
  private needsPump(): boolean {
    return this.alive && (this.inFlight.size > 0 || this.outbox.length > 0 || (this.thread === undefined && !this.parked));
  }

  /**
   * The hot path: a numbers-only call written straight into the request ring, when nothing is
   * queued ahead of it and there is room; false when it must be queued instead.
   */
  writeInPlace(call: NumericCall): boolean {
    if (this.outbox.length > 0) return false;
    const bytes = numericCallBytes(call.args.length);
    const at = this.requests.reserve(bytes);
    if (at < 0) return false;
    writeNumericCall(this.requests.view, at, call);
    this.requests.commit(bytes);
    return true;
  }

  /** A call already written to the ring (the hot path, at `lastFrame`): wait for its answer. */
  track(pending: PendingCall): void {
    pending.frameAt = this.requests.lastFrame;
    this.scheduleNotify();
    this.inFlight.set(pending.id, pending);
    this.pump();
  }

  /** Writes (or queues) a frame; false when the bounded queue is full. */
  submit(frame: Encoded, pending: PendingCall | undefined, force = false): boolean {
    if (pending !== undefined) {
      pending.frame = undefined;
      pending.link = this;
      pending.frameAt = undefined;
      pending.streaming = false;
      pending.unresendable = false;
      this.inFlight.set(pending.id, pending);
    }
    if (pending !== undefined && frame.fill !== undefined && this.outbox.length === 0 && this.fillInPlace(frame, frame.fill, pending)) {
      pending.frameAt = this.requests.lastFrame;
      this.pump();
      return true;
    }
    if (frame.byteLength > this.requests.maxPayload) {
      if (pending === undefined) throw new RangeError('control frames always fit a ring');
      // Larger than a frame: stream it in chunks behind whatever is already queued.
      if (!force && this.budget.queued >= this.budget.max) {
        this.inFlight.delete(pending.id);
        return false;
      }
      // Copied once now: later chunks go out after the call has returned to its caller. Into
      // a kept buffer, held until the call settles (it is what is sent again if its worker dies).
      const buffer = frame.rawBytes === 0 ? undefined : this.buffers().take(frame.byteLength);
      const whole = owned(frame, buffer);
      if (buffer !== undefined) pending.buffer = buffer;
      pending.frame = whole;
      const chunks = splitIntoChunks(pending.id, whole, this.requests.maxPayload);
      chunks.forEach((chunk, i) => this.outbox.push({ frame: chunk, pending, last: i === chunks.length - 1 }));
      this.budget.queued += chunks.length;
      this.flush();
      this.pump();
      return true;
    }
    if (this.outbox.length === 0 && this.requests.tryWrite(frame.parts) === 'ok') {
      if (pending !== undefined) pending.frameAt = this.requests.lastFrame;
      // A large frame took its copy's time already: its worker starts on it now, not after
      // whatever else runs in this tick (notifyNow() below: the wake-up is due only if it sleeps).
      if (frame.byteLength >= WAKE_NOW_BYTES) this.notifyNow(true);
      else this.scheduleNotify();
    } else {
      if (!force && this.budget.queued >= this.budget.max) {
        if (pending !== undefined) this.inFlight.delete(pending.id);
        return false;
      }
      // It waits: a copy, since the caller may change its arrays once the call has returned.
      // Large ones into buffers used again (kept-buffers.ts).
      const buffer = frame.rawBytes === 0 ? undefined : this.buffers().take(frame.byteLength);
      const kept = owned(frame, buffer);
      if (pending !== undefined) pending.frame = kept;
      this.outbox.push(buffer === undefined ? { frame: kept, pending, last: true } : { frame: kept, pending, last: true, buffer });
      this.budget.queued++;
    }
    this.pump();
    return true;
  }

  /**
   * A large typed call written so that its worker copies the arrays into guest memory while
   * they arrive (codec.ts kind 4, argument-stream.ts): the head and strings first, published
   * with nothing arrived and the worker woken; then the arrays' bytes, slice by slice. With
   * this call alone on the link (its worker takes it next) and arrays larger than a window,
   * they go through a window the worker hands back as it copies: the caller's thread waits for
   * room, a bounded while; past that it keeps the rest and writes it asynchronously. Otherwise
   * the whole frame goes in, if it fits. False when the ring has no room for it now.
   */
  private fillInPlace(frame: Encoded, fill: { readonly wordsAt: number; readonly streamStart: number }, pending: PendingCall): boolean {
    const ring = this.requests;
    const total = frame.byteLength - fill.streamStart;
    let window = total;
    if (total > STREAM_WINDOW_BYTES && this.inFlight.size === 1 && Atomics.load(this.control, CONTROL.current) === 0) {
      window = Math.min(STREAM_WINDOW_BYTES, (ring.maxPayload - fill.streamStart) & ~7);
      if (window < MIN_STREAM_WINDOW_BYTES) window = total;
    }
    const bytes = fill.streamStart + window;
    if (bytes > ring.maxPayload) return false;
    const at = ring.reserve(bytes);
    if (at < 0) return false;
    // The head and the strings, then the stream's parts (arrays and the padding between them).
    let offset = 0;
    let part = 0;
    for (; offset < fill.streamStart; part++) {
      ring.data.set(frame.parts[part]!, at + offset);
      offset += frame.parts[part]!.byteLength;
    }
    const words = ring.words;
    const first = (HEADER_BYTES + at + fill.wordsAt) >> 2;
    Atomics.store(words, first + STREAM_WORDS.arrived, 0);
    Atomics.store(words, first + STREAM_WORDS.window, window);
    ring.commit(bytes);
    this.notifyScheduled = false; // this wake-up is the one any pending notify promised
    this.wakeWorker();
    const writer = new StreamWriter({ data: ring.data, base: at + fill.streamStart, window, words, at: first }, frame.parts.slice(part), total);
    if (window < total) {
      // Its ring bytes never hold the whole request: a worker that dies before starting it cannot be given it again.
      pending.unresendable = true;
      if (writer.pump(streamPatienceMs(total)) === 'stalled') {
        writer.keepRest();
        this.streamLater(writer);
      }
    } else {
      writer.pump(0);
    }
    return true;
  }

  /** Goes on writing a stream whose worker fell behind, each time it hands space back, until done, drained or its rings are renewed. */
  private streamLater(writer: StreamWriter): void {
    const rings = this.ringEpoch;
    const words = this.requests.words;
    const step = (): void => {
      if (!this.alive || this.ringEpoch !== rings || writer.pump(0) !== 'stalled') return;
      const wait = waitAsync(words, writer.consumedIndex, writer.consumed(), 100);
      if (wait.async) void wait.value.then(step);
      else setImmediate(step);
    };
    step();
  }

  /**
   * The request of a call this link's worker did not start, with bytes of its own, to send it
   * again: kept aside while it waited or streamed, else read back from the request ring
   * (undefined if the ring no longer holds it).
   */
  unsentRequest(pending: PendingCall): Encoded | undefined {
    const at = pending.frameAt;
    if (at !== undefined) {
      // Withdrawn from the old worker first (a worker given up on may still be running): sent
      // again only if the old one had not claimed it, so it runs at most once.
      if (!this.requests.intact(at) || this.requests.claim(at, CLAIM.queued, CLAIM.withdrawn) !== CLAIM.queued) return undefined;
    }
    if (pending.frame !== undefined) return pending.frame;
    if (at === undefined || pending.unresendable === true) return undefined;
    const bytes = this.requests.copyFrame(at);
    return { parts: [bytes], byteLength: bytes.byteLength, rawBytes: 0 };
  }

  /**
   * A call given up on before its request was whole in the ring: its frames still queued are
   * dropped (the outbox skips settled calls), and a worker gathering its chunks is told to let
   * them go.
   */
  withdraw(pending: PendingCall): void {
    if (pending.streaming === true && pending.frameAt === undefined) this.submit(encode({ k: Kind.Abandon, id: pending.id } satisfies Request), undefined, true);
  }

  /** The buffers this link copies waiting and streamed requests into (made on first use). */
  private buffers(): KeptBuffers {
    return (this.keptBuffers ??= new KeptBuffers(WAKE_NOW_BYTES, 4, MAX_KEPT_BYTES));
  }

  /** @internal settleCall: a settled call's kept buffer, free for the next copy. */
  giveBack(buffer: Uint8Array): void {
    this.buffers().give(buffer);
  }

  /** Forgets every queued frame (their calls are settled or sent elsewhere by the caller). */
  dropOutbox(): void {
    this.budget.queued -= this.outbox.length;
    this.outbox.length = 0;
  }

  /**
   * One wake-up per link per tick, however many frames were written in it. A promise job, not
   * queueMicrotask (which costs ≈3× as much in Node: it validates and wraps its callback).
   */
  scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    void RESOLVED.then(this.notifyTask);
  }

  private readonly notifyTask = (): void => this.notifyNow();

  /** The wake-up scheduleNotify promised, if it is still due (the pump may send it first); `due`: one is due anyway. */
  private notifyNow(due = false): void {
    if (!this.notifyScheduled && !due) return;
    this.notifyScheduled = false;
    this.wakeWorker();
  }

  /** Wakes the worker if it sleeps (CONTROL.sleeping): a wake-up with nobody waiting still costs 0.1–0.3 µs. */
  private wakeWorker(): void {
    const control = this.control as Int32Array | undefined;
    if (control === undefined || Atomics.load(control, CONTROL.sleeping) !== 0) Atomics.notify(this.requests.header, DATA_SEQ);
  }

  /**
   * Writes queued frames while they fit. Their worker is woken at once, not by a promise job:
   * a flush runs after answers were taken, behind the callers those answers resumed, and each
   * of those may spend a millisecond copying a large call of its own before the job runs (1 MiB
   * calls, 16 in flight: the worker slept 4–12 ms with three frames waiting in its ring).
   */
  flush(): void {
    let wrote = false;
    while (this.outbox.length > 0) {
      const next = this.outbox[0]!;
      if (next.pending?.settled === true) {
        this.outbox.shift();
        this.budget.queued--;
        if (next.buffer !== undefined) this.buffers().give(next.buffer);
        continue;
      }
      if (this.requests.tryWrite(next.frame.parts) !== 'ok') break;
      if (next.pending !== undefined) {
        if (next.last) next.pending.frameAt = this.requests.lastFrame;
        else next.pending.streaming = true;
      }
      if (next.buffer !== undefined) {
        // Whole in the ring now: sent again from there if its worker dies, as a frame written
        // at once is (unsentRequest), so its buffer is free for the next copy.
        if (next.pending !== undefined && next.pending.frame === next.frame) next.pending.frame = undefined;
        this.buffers().give(next.buffer);
      }
      this.outbox.shift();
      this.budget.queued--;
      // The first large frame is taken up while the next ones are copied in.
      if (!wrote && next.frame.byteLength >= WAKE_NOW_BYTES) this.notifyNow(true);
      wrote = true;
    }
    if (wrote) this.notifyNow(true);
  }

  /** Reads responses while calls are outstanding: spin briefly, then wait asynchronously. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void (async () => {
      try {
        // Not inside the call that started the pump: the calls made in the same tick are
        // submitted (and scheduled by their load) before any answer is taken.
        await null;
        while (this.needsPump()) {
          // Both words read before the drain and its retry of queued frames: an answer, or room
          // freed, after this read makes the wait below return at once (read later, room freed
          // between a failed write and the read was a wake-up lost: a 5 ms stall).
          const seq = Atomics.load(this.responses.header, DATA_SEQ);
          const spaceSeq = Atomics.load(this.requests.header, SPACE_SEQ);
          if (this.drain() > 0) {
            // Let the callers whose calls just settled run (and submit more) before spinning.
            await null;
            continue;
          }
          // Spin only while latency is what matters (few calls outstanding); with many in flight
          // the answers come in batches and the core is better left to the workers.
          if (this.inFlight.size <= SPIN_MAX_OUTSTANDING) {
            // The spin runs before this tick's microtasks: a worker that went to sleep must
            // hear of the request now, not from the wake-up queued behind this loop.
            this.notifyNow();
            const spinMs = this.settings.spinMs;
            const answered = this.spinForAnswer(spinMs);
            if (spinMs > 0) {
              this.spins.callerRounds++;
              if (!answered) this.spins.callerEmptyRounds++;
            }
            if (answered) continue;
          } else if (this.responses.used() > 0) continue;
          // With frames waiting for ring space, wake when the worker frees some (it consumes
          // request chunks without answering until the last one); otherwise on an answer.
          // The flag first, then the wait on the word read before the drain: a worker that did
          // not see the flag published before that read, so the wait returns at once.
          this.setWaiting(true);
          const waited =
            this.outbox.length > 0
              ? waitAsync(this.requests.header, SPACE_SEQ, spaceSeq, 5)
              : waitAsync(this.responses.header, DATA_SEQ, seq, 100);
          if (waited.async) await waited.value;
          this.setWaiting(false);
          this.flush();
        }
      } finally {
        this.pumping = false;
      }
      if (this.needsPump()) this.pump();
    })();
  }

  /**
   * Spins until an answer is in the ring or `ms` have passed; whether one is. The ring is polled
   * a few times between clock reads: a read of the clock costs as much as several polls, and an
   * answer seen one clock read late is a clock read added to its round trip.
   */
  private spinForAnswer(ms: number): boolean {
    const ring = this.responses;
    if (ring.used() !== 0) return true;
    if (ms <= 0) return false;
    const until = threadNow() + ms;
    for (;;) {
      for (let i = 0; i < SPIN_POLLS_PER_CLOCK_READ; i++) if (ring.used() !== 0) return true;
      if (threadNow() >= until) return ring.used() !== 0;
    }
  }

  /** Hands every response available to the link's handler; returns how many. */
  drain(): number {
    let handled = 0;
    const ring = this.responses;
    for (;;) {
      let response: Response;
      // The common answer, a number, read where it lies: no views, no intermediate objects.
      const at = ring.peekInPlace();
      if (at >= 0 && decodeNumericAnswerAt(ring.view, at, ring.peekedLength, this.answer)) {
        response = okResponse(this.answer);
        ring.consume(ring.peekedFrameBytes);
      } else {
        const frame = ring.peek();
        if (frame.status !== 'ok') break;
        const numeric = decodeNumericAnswer(frame.payload);
        response = numeric === undefined ? decode<Response>(frame.payload) : okResponse(numeric);
        ring.consume(frame.frameBytes);
      }
      handled++;
      this.onResponse(this, response);
    }
    this.flush();
    return handled;
  }
}

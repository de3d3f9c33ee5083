/**
 * The worker side of the pool (run by piscina): rebuilds the modules it was sent without
 * compiling them, then serves calls from its request ring until told to stop — spinning a
 * bounded number of iterations on an empty ring, then sleeping on it with Atomics.wait.
 */
import { threadId } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { DeadlineExceededError, InvalidOptionError, ResultTooLargeError, toErrorData } from '../errors.js';
import { guestText } from '../untrusted-text.js';
import { GuestModule } from '../host/guest-module.js';
import type { GrantedImports } from '../host/imports.js';
import type { FastCall, Sandbox } from '../host/sandbox.js';
import type { TypedSignature } from '../host/typed-call.js';
import type { ModuleProfile } from '../profiler/model/module-profile.js';
import {
  decode,
  decodeChunk,
  decodeNumericCall,
  decodeNumericCallAt,
  decodeTypedCall,
  encode,
  encodeNumericAnswer,
  isNumericValue,
  NUMERIC_ANSWER_BYTES,
  writeNumericAnswer,
  type Encoded,
  type NumericCall,
  type TypedCall,
} from './codec.js';
import { clockNow } from './clock.js';
import { CLAIM, CONTROL, Kind, type CallRequest, type Request, type Response, type ServeTask, type WorkerModule } from './protocol.js';
import { DATA_SEQ, RingBuffer, SPACE_SEQ, type ReadResult } from './ring-buffer.js';

/** Streamed requests up to this size are gathered in a buffer the worker keeps. */
const MAX_KEPT_GATHERING = 64 * 1024 * 1024;

/** Stands for a frame read in place (readInPlace) in the batch loop, which runs while frames are 'ok'; its payload is never read. */
const NO_PAYLOAD = new Uint8Array(0);
const IN_PLACE: ReadResult = Object.freeze({ status: 'ok', payload: NO_PAYLOAD, frameBytes: 0, frame: 0 });

/** The worker spins on an empty ring only after batches of at most this many calls. */
const SPIN_MAX_BATCH = 8;

/** Frames this large wake a caller waiting for ring space as soon as they are consumed. */
const LARGE_FRAME = 64 * 1024;

interface Served {
  readonly spec: WorkerModule;
  readonly module: GuestModule;
  readonly imports: GrantedImports | undefined;
  /** Its imports module failed to load here: every call of the module fails with this. */
  readonly importsFailed: InvalidOptionError | undefined;
  sandbox: Sandbox | undefined;
  /** Fast-path functions of the current sandbox, by export name (reuse isolation). */
  fast: Map<string, FastCall>;
}

async function importsFor(spec: WorkerModule): Promise<GrantedImports | undefined> {
  if (spec.importsModule === undefined) return undefined;
  const url = /^[a-z]+:/i.test(spec.importsModule) ? spec.importsModule : pathToFileURL(spec.importsModule).href;
  const exported = ((await import(url)) as { default: unknown }).default;
  return (typeof exported === 'function' ? (exported as (id: string) => GrantedImports)(spec.id) : exported) as GrantedImports;
}

/**
 * A served module with its granted imports. An imports module that throws (or cannot be found)
 * fails that module's calls, typed, not the worker: a worker that cannot start would be
 * replaced by one that cannot start either.
 */
async function serving(spec: WorkerModule, module: GuestModule): Promise<Served> {
  let imports: GrantedImports | undefined;
  let importsFailed: InvalidOptionError | undefined;
  try {
    imports = await importsFor(spec);
  } catch (error) {
    const why = guestText(error instanceof Error ? error.message : String(error));
    importsFailed = new InvalidOptionError(`modules.${guestText(spec.id)}.importsModule (${guestText(spec.importsModule ?? '')}) failed to load in the pool's worker: ${why}`, { cause: error });
  }
  return { spec, module, imports, importsFailed, sandbox: undefined, fast: new Map() };
}

function write(ring: RingBuffer, message: Response, what = 'the answer'): void {
  writeFrame(ring, encode(message), (message as { id?: number }).id ?? 0, what);
}

/** Writes an answer, waiting for room; one too large for any frame is answered with ERR_POOL_RESULT_TOO_LARGE instead. */
function writeFrame(ring: RingBuffer, frame: Encoded, id: number, what: string): void {
  for (;;) {
    const space = Atomics.load(ring.header, SPACE_SEQ);
    const status = ring.tryWrite(frame.parts);
    if (status === 'ok') return;
    if (status === 'too-large') {
      const needed = 2 ** Math.ceil(Math.log2(2 * (frame.byteLength + 64)));
      const error = new ResultTooLargeError(
        `${what} is ${frame.byteLength} bytes, more than a frame of the ${ring.capacity}-byte response ring carries (${ring.maxPayload}); raise ringBytes to ${needed} or return less`,
        frame.byteLength,
        ring.capacity,
      );
      ring.tryWrite(encode({ k: Kind.Err, id, e: toErrorData(error), q: 0 } satisfies Response).parts);
      return;
    }
    Atomics.wait(ring.header, SPACE_SEQ, space, 50);
  }
}

/** A new instance of a served module: its granted imports, the pool's interrupt flag when instrumented. */
function instantiate(served: Served, control: Int32Array, fuel?: number): Sandbox {
  if (served.importsFailed !== undefined) throw served.importsFailed;
  return served.module.instantiate({
    // A worker can be terminated: a guest blocked in memory.atomic.wait cannot wedge the pool.
    allowBlockingWaits: true,
    ...(served.imports === undefined ? {} : { imports: served.imports }),
    unknownImports: served.spec.unknownImports,
    ...(served.module.deadlineRoute === 'instrumented' ? { interrupt: control } : {}),
    ...(fuel === undefined ? {} : { fuel }),
  });
}

function run(served: Served, request: CallRequest, control: Int32Array, numeric: boolean): unknown {
  const fresh = served.spec.isolation === 'fresh';
  const sandbox =
    !fresh && served.sandbox !== undefined && served.sandbox.discardedBy === undefined ? served.sandbox : instantiate(served, control, request.f);
  if (!fresh && served.sandbox !== sandbox) {
    served.sandbox = sandbox;
    served.fast = new Map();
  }
  if (request.s !== undefined) return sandbox.typed(request.e, request.s)(...request.a);
  if (numeric && !fresh) {
    // Numbers only (checked by the caller's encoder): the sandbox's fast path, cached per export.
    let fn = served.fast.get(request.e);
    if (fn === undefined) {
      fn = sandbox.fn(request.e);
      served.fast.set(request.e, fn);
    }
    const a = request.a;
    return a.length <= 6 ? fn(a[0], a[1], a[2], a[3], a[4], a[5]) : fn(...a);
  }
  return sandbox.call(request.e, ...request.a);
}

export default async function serve(task: ServeTask): Promise<string> {
  const requests = new RingBuffer(task.requests);
  const responses = new RingBuffer(task.responses);
  const control = new Int32Array(task.control);
  const served: Served[] = [];
  for (const spec of task.modules) {
    const module = GuestModule.fromTransferable(spec.module, (message, values) => {
      process.stderr.write(`trace: ${message} ${values.join(', ')}\n`);
    });
    served.push(await serving(spec, module));
  }
  const exportNames = served.map((s) => s.module.inspect().exports.map((e) => e.name));
  write(responses, { k: Kind.Hello, thread: threadId });
  Atomics.notify(responses.header, DATA_SEQ);

  const assembling = new Map<number, { bytes: Uint8Array; received: number }>();
  /**
   * Streamed requests are gathered here, kept between requests: a fresh buffer per request paid
   * the first touch of every page (16 MiB took longer to allocate than to copy). Requests are
   * handled synchronously and arguments are copied into guest memory, so nothing outlives it.
   */
  let gathering = new Uint8Array(0);
  /** Tenant sandboxes by id: each its own instance, kept until closed. */
  const tenants = new Map<number, Sandbox>();
  const runTenant = (target: Served, request: CallRequest, control: Int32Array): unknown => {
    let sandbox = tenants.get(request.x!);
    if (sandbox === undefined || sandbox.discardedBy !== undefined) {
      sandbox = instantiate(target, control);
      tenants.set(request.x!, sandbox);
    }
    return request.s !== undefined ? sandbox.typed(request.e, request.s)(...request.a) : sandbox.call(request.e, ...request.a);
  };

  /** This worker's metrics per module (undefined where it never ran the module). */
  const profiles = (): (ModuleProfile | undefined)[] =>
    served.map((s) => (s.sandbox === undefined && s.spec.isolation === 'reuse' ? undefined : s.module.profile()));

  /**
   * Runs one request whose claim word is in the request frame at `frame`; its answer goes to the
   * response ring. 'skipped': the pool withdrew the call at its deadline (no answer is due).
   */
  const handle = (payload: Uint8Array, frame: number, numeric = decodeNumericCall(payload)): 'answered' | 'skipped' | 'stop' => {
    const binary = numeric ?? decodeTypedCall(payload);
    const stream = numeric === undefined ? (binary as TypedCall | undefined)?.stream : undefined;
    if (stream === undefined) return answer(payload, frame, numeric, binary);
    try {
      return answer(payload, frame, numeric, binary);
    } finally {
      stream.finish(); // its caller stops writing what this call did not read
    }
  };
  const answer = (payload: Uint8Array, frame: number, numeric: NumericCall | undefined, binary: NumericCall | TypedCall | undefined): 'answered' | 'skipped' | 'stop' => {
    const request: Request =
      binary === undefined
        ? decode<Request>(payload)
        : {
            k: Kind.Call, id: binary.id, m: binary.module, e: exportNames[binary.module]?.[binary.exportIndex] ?? '', a: binary.args as unknown[], t: binary.t,
            d: binary.d,
            x: binary.sandbox === 0 ? undefined : binary.sandbox,
            s: numeric === undefined ? ((binary as TypedCall).signature as TypedSignature) : undefined,
          };
    if (request.k === Kind.Stop) return 'stop';
    if (request.k === Kind.Abandon) {
      assembling.delete(request.id);
      return 'skipped';
    }
    if (request.k === Kind.CloseSandbox) {
      tenants.delete(request.x);
      write(responses, { k: Kind.Ok, id: request.id, v: undefined, q: 0 });
      return 'answered';
    }
    if (request.k === Kind.Profile) {
      write(responses, { k: Kind.ProfileReply, id: request.id, p: profiles() });
    } else {
      // Interrupts meant for the previous call are cleared; the call is published in `current`
      // before it is claimed, so a pool that finds it claimed 'started' and no longer current
      // knows its answer is in the ring.
      Atomics.store(control, CONTROL.interrupt, 0);
      Atomics.store(control, CONTROL.current, request.id);
      const started = clockNow();
      const expired = request.d !== undefined && started > request.d;
      // One decision per call, shared with the pool: whoever claims the frame first decides.
      if (requests.claim(frame, CLAIM.queued, expired ? CLAIM.expired : CLAIM.started) !== CLAIM.queued) {
        Atomics.store(control, CONTROL.current, 0);
        return 'skipped';
      }
      const target = served[request.m];
      let response: Response;
      try {
        if (target === undefined) throw new InvalidOptionError(`no module #${request.m} in this pool`);
        if (expired) {
          // Worded as when the pool decides it: the caller sees one message per outcome.
          const timeoutMs = Math.round((request.d! - request.t) * 1000) / 1000;
          throw new DeadlineExceededError(`${target.spec.id}: call exceeded its deadline of ${timeoutMs} ms; it had not started and will not run`, timeoutMs, started - request.t);
        }
        const value = request.x === undefined ? run(target, request, control, numeric !== undefined) : runTenant(target, request, control);
        response = { k: Kind.Ok, id: request.id, v: value, q: started - request.t };
      } catch (error) {
        response = { k: Kind.Err, id: request.id, e: toErrorData(error), q: started - request.t };
      }
      if (response.k === Kind.Ok && isNumericValue(response.v)) {
        // In place when the ring has room, through a buffer (waiting for room) when not.
        const at = responses.reserve(NUMERIC_ANSWER_BYTES);
        if (at >= 0) {
          writeNumericAnswer(responses.view, at, response.id, response.q, response.v);
          responses.commit(NUMERIC_ANSWER_BYTES);
        } else {
          writeFrame(responses, encodeNumericAnswer(response.id, response.q, response.v), response.id, 'the answer');
        }
      } else {
        write(responses, response, `${target?.spec.id ?? 'pool'}: the result of ${request.e}()`);
      }
      // Cleared only once the answer is in the ring: "not current and no answer" means not started.
      Atomics.store(control, CONTROL.current, 0);
    }
    return 'answered';
  };

  /** Wakes the pool waiting on `index` of a ring, if it waits (protocol.ts CONTROL.callerWaiting): a wake-up costs ≈0.1–0.3 µs. */
  const wakeCaller = (header: Int32Array, index: number): void => {
    if (Atomics.load(control, CONTROL.callerWaiting) !== 0) Atomics.notify(header, index);
  };
  // Spin only after small batches (latency-bound callers): a pipelining caller wakes us anyway,
  // and on a small machine our spinning takes the core it needs to send the next batch.
  // Both budgets are live settings the pool may change while this worker serves (CONTROL words).
  let lastBatch = 1;
  // The next frame when it is a numbers-only call lying whole in the ring, decoded in place.
  const readInPlace = (): NumericCall | undefined => {
    const at = requests.peekInPlace();
    return at < 0 ? undefined : decodeNumericCallAt(requests.view, at, requests.peekedLength);
  };
  for (;;) {
    const seq = Atomics.load(requests.header, DATA_SEQ);
    let frame = requests.peek();
    const spin = lastBatch <= SPIN_MAX_BATCH ? Atomics.load(control, CONTROL.workerSpin) : 0;
    if (frame.status === 'empty' && spin > 0) {
      for (let i = 0; frame.status === 'empty' && i < spin; i++) frame = requests.peek();
      // Counted per spin, not per poll: two shared adds on a path that has just spun thousands of polls.
      Atomics.add(control, CONTROL.spinRounds, 1);
      if (frame.status === 'empty') Atomics.add(control, CONTROL.emptySpinRounds, 1);
    }
    if (frame.status === 'empty') {
      // `seq` was read before the last look at the ring: a request published since makes the
      // wait return at once, whether or not its caller saw this flag (protocol.ts CONTROL.sleeping).
      Atomics.store(control, CONTROL.sleeping, 1);
      const woke = Atomics.wait(requests.header, DATA_SEQ, seq, task.idleMs);
      Atomics.store(control, CONTROL.sleeping, 0);
      // Idle long enough, holding no tenant's state: let piscina retire this thread.
      if (woke === 'timed-out' && tenants.size === 0 && assembling.size === 0 && requests.used() === 0) {
        // The pool keeps what this worker measured: its recorders end with it.
        write(responses, { k: Kind.Retired, p: profiles() });
        Atomics.notify(responses.header, DATA_SEQ);
        return 'idle';
      }
      continue;
    }
    if (frame.status === 'corrupt') throw new Error(`request ring corrupt: ${frame.reason}`);
    let inPlace = readInPlace();
    if (inPlace !== undefined) frame = IN_PLACE;
    let answered = 0;
    const wakeBatch = Math.max(1, Atomics.load(control, CONTROL.wakeBatch));
    // A batch: everything published so far, one wake-up for the caller at the end.
    while (frame.status === 'ok') {
      let outcome: 'answered' | 'skipped' | 'stop' | 'gathering';
      const chunk = inPlace === undefined ? decodeChunk(frame.payload) : undefined;
      if (inPlace !== undefined) {
        // A numbers-only call read where it lies (the common case): no views of its payload.
        outcome = handle(NO_PAYLOAD, requests.peekedFrame, inPlace);
        requests.consume(requests.peekedFrameBytes);
      } else if (chunk !== undefined) {
        // Part of a request too large for one frame: gather it, answer when it is whole.
        let whole = assembling.get(chunk.id);
        if (whole === undefined) {
          // One streamed request at a time per worker (a request's chunks are queued together);
          // the kept buffer is bounded so that one huge request does not pin its size forever.
          const reuse = assembling.size === 0 && chunk.total <= MAX_KEPT_GATHERING;
          if (reuse && gathering.byteLength < chunk.total) gathering = new Uint8Array(chunk.total);
          const bytes = reuse ? gathering.subarray(0, chunk.total) : new Uint8Array(chunk.total);
          whole = { bytes, received: 0 };
          assembling.set(chunk.id, whole);
        }
        whole.bytes.set(chunk.bytes, chunk.offset);
        whole.received += chunk.bytes.byteLength;
        if (whole.received < chunk.total) {
          requests.consume(frame.frameBytes);
          outcome = 'gathering';
        } else {
          // The last chunk carries the call's claim word: it stays in the ring until handled.
          assembling.delete(chunk.id);
          outcome = handle(whole.bytes, frame.frame);
          requests.consume(frame.frameBytes);
        }
        wakeCaller(requests.header, SPACE_SEQ); // the caller may be waiting to send the next chunk
      } else {
        outcome = handle(frame.payload, frame.frame); // a view into the ring: consumed once handled
        requests.consume(frame.frameBytes);
        // A large frame freed room a queued call may be waiting for.
        if (frame.frameBytes >= LARGE_FRAME) wakeCaller(requests.header, SPACE_SEQ);
      }
      if (outcome === 'stop') {
        // Its last words, as when it ends idle: what it measured outlives it in the pool.
        write(responses, { k: Kind.Retired, p: profiles() });
        Atomics.notify(responses.header, DATA_SEQ);
        return 'stopped';
      }
      if (outcome === 'answered') {
        answered++;
        // Now and again in a long batch, wake the caller so that it can take answers
        // (and send more work) while this batch runs on.
        if (answered % wakeBatch === 0) {
          wakeCaller(responses.header, DATA_SEQ);
          wakeCaller(requests.header, SPACE_SEQ);
        }
      }
      inPlace = readInPlace();
      frame = inPlace === undefined ? requests.peek() : IN_PLACE;
    }
    if (frame.status === 'corrupt') throw new Error(`request ring corrupt: ${frame.reason}`);
    if (answered > 0) wakeCaller(responses.header, DATA_SEQ);
    // A caller with calls queued for ring space sleeps on SPACE_SEQ, not on the answers.
    wakeCaller(requests.header, SPACE_SEQ);
    lastBatch = answered;
  }
}

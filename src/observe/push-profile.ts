/**
 * Pushes a profile to a continuous-profiling server in Pyroscope's ingest shape:
 *
 *   POST {url}/ingest?name=<app>{k=v,…}&from=<unix s>&until=<unix s>&format=pprof
 *   multipart/form-data, field `profile`: the gzipped pprof we already export
 *
 * Guest function names travel as the pprof's strings. A failed push is retried a bounded
 * number of times (network errors, timeouts, 429 and 5xx; a 4xx other than 429 is final) and
 * then rejects with `ProfilePushError`; nothing here throws past the returned promise.
 */
import { InvalidOptionError, ProfilePushError } from '../errors.js';
import { toPprof } from '../profiler/export/pprof.js';
import { createNode, CALL_TREE_SCHEMA, finishRoot, recomputeTotals, type CallTree } from '../profiler/model/call-tree.js';
import type { ModuleProfile } from '../profiler/model/module-profile.js';
import { shorten } from '../untrusted-text.js';

export interface PushProfileOptions {
  /** Application name, the series the server files the profile under, e.g. `checkout.wasm.cpu`. */
  readonly name: string;
  /** Pyroscope labels, e.g. `{ region: 'eu', module: 'fib' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Start and end of what the profile covers. @default until = now, from = until − 10 s */
  readonly from?: Date;
  readonly until?: Date;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Sent as `X-Scope-OrgID` (Grafana / Pyroscope multi-tenancy). */
  readonly tenant?: string;
  /** Attempts in all, the first included. @default 3 */
  readonly attempts?: number;
  /** Per attempt. @default 10000 */
  readonly timeoutMs?: number;
  /** First retry delay, doubled after each failure. @default 200 */
  readonly retryDelayMs?: number;
}

export interface PushResult {
  readonly status: number;
  readonly attempts: number;
  readonly bytes: number;
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export async function pushProfile(url: string | URL, profile: CallTree | ModuleProfile, options: PushProfileOptions): Promise<PushResult> {
  const target = ingestUrl(url, options);
  const pprof = toPprof(isCallTree(profile) ? profile : flatTree(profile));
  const attempts = positiveInteger(options.attempts ?? 3, 'options.attempts');
  const timeoutMs = positiveInteger(options.timeoutMs ?? 10_000, 'options.timeoutMs');
  let delay = options.retryDelayMs ?? 200;
  const headers: Record<string, string> = {};
  if (options.basicAuth !== undefined) {
    headers['authorization'] = `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  }
  if (options.tenant !== undefined) headers['x-scope-orgid'] = options.tenant;
  let status: number | undefined;
  let reason = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const form = new FormData();
    form.append('profile', new Blob([pprof as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), 'profile.pprof');
    try {
      const response = await fetch(target, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(timeoutMs) });
      status = response.status;
      const text = await response.text().catch(() => '');
      if (response.ok) return { status, attempts: attempt, bytes: pprof.byteLength };
      reason = `HTTP ${status}${text === '' ? '' : `: ${shorten(text.trim(), 200)}`}`;
    } catch (error) {
      status = undefined;
      reason = shorten(error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error), 200);
    }
    // A client error other than 429 will not change by asking again.
    if (status !== undefined && status < 500 && status !== 429) return fail(attempt);
    if (attempt < attempts) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
  return fail(attempts);

  function fail(made: number): never {
    throw new ProfilePushError(`pushing profile "${shorten(options.name, 80)}" to ${target.origin} failed after ${made} attempt${made === 1 ? '' : 's'}: ${reason}`, status, made);
  }
}

function ingestUrl(url: string | URL, options: PushProfileOptions): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new InvalidOptionError(`pushProfile: ${JSON.stringify(shorten(String(url), 120))} is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new InvalidOptionError(`pushProfile: the server URL must be http or https, got ${base.protocol}`);
  if (typeof options.name !== 'string' || options.name === '' || /[{}\s]/.test(options.name)) {
    throw new InvalidOptionError('pushProfile: options.name must be a non-empty application name without braces or spaces');
  }
  const labels = Object.entries(options.labels ?? {}).map(([key, value]) => {
    if (!LABEL_NAME.test(key)) throw new InvalidOptionError(`pushProfile: label name ${JSON.stringify(shorten(key, 80))} must match ${LABEL_NAME.source}`);
    // Values are free text; the characters of the name syntax itself are replaced.
    return `${key}=${shorten(String(value), 120).replace(/[{},=\s]/g, '_')}`;
  });
  const until = options.until ?? new Date();
  const from = options.from ?? new Date(until.getTime() - 10_000);
  const target = new URL(base.pathname.replace(/\/+$/, '') + '/ingest', base);
  target.searchParams.set('name', labels.length === 0 ? options.name : `${options.name}{${labels.join(',')}}`);
  target.searchParams.set('from', String(Math.floor(from.getTime() / 1000)));
  target.searchParams.set('until', String(Math.ceil(until.getTime() / 1000)));
  target.searchParams.set('format', 'pprof');
  return target;
}

function isCallTree(profile: CallTree | ModuleProfile): profile is CallTree {
  return (profile as CallTree).root !== undefined;
}

/** A module profile carries its top functions, not a tree: each becomes one frame with its self weight. */
function flatTree(profile: ModuleProfile): CallTree {
  const functions = profile.functions;
  if (functions === undefined) {
    throw new InvalidOptionError(`pushProfile: the profile of ${shorten(profile.module.label, 80)} has no guest functions (profile it with a GuestProfiler or by sampling first)`);
  }
  const root = createNode('(root)');
  for (const f of functions.top) {
    const node = createNode(f.name, f.functionIndex);
    node.self = f.self;
    node.calls = f.calls;
    root.children.push(node);
  }
  const tree: CallTree = { schema: CALL_TREE_SCHEMA, mode: functions.mode, unit: functions.unit, root, notes: ['top functions by self weight, without their callers'] };
  recomputeTotals(root);
  finishRoot(root);
  return tree;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(`pushProfile: ${field} must be a positive integer, got ${String(value)}`);
  return value;
}

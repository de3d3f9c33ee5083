// pushProfile against a local HTTP server standing in for Pyroscope's ingest endpoint: the body
// is read by a real multipart parser (undici's, behind Request.formData) and the pprof decoded.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { afterEach, describe, expect, it } from 'vitest';
import { GuestProfiler, pushProfile, WasmHost, type CallTree } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

interface Received {
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly form: FormData;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/** A server answering each request with the next status of `statuses` (the last one repeats). */
async function ingestServer(statuses: number[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(request.url!, 'http://localhost');
      new Request(url, { method: 'POST', headers: { 'content-type': request.headers['content-type']! }, body })
        .formData()
        .then((form) => {
          received.push({ url, headers: request.headers, form });
          const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
          response.writeHead(status).end(status === 200 ? '' : 'try later');
        });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function profiledTree(): Promise<CallTree> {
  const host = new WasmHost();
  const module = await host.load(guestPath('fib'), { instrument: { hooks: true, fuel: true } });
  const profiler = new GuestProfiler(module, 'instructions');
  profiler.instantiate().call('fib', 15);
  return profiler.tree();
}

async function decodedProfile(form: FormData): Promise<Profile> {
  const file = form.get('profile');
  expect(file).toBeInstanceOf(Blob);
  return Profile.decode(gunzipSync(new Uint8Array(await (file as Blob).arrayBuffer())));
}

describe('pushProfile (Pyroscope ingest)', () => {
  it('posts the gzipped pprof with guest function names, labels, time range, auth and tenant', async () => {
    const tree = await profiledTree();
    const ingest = await ingestServer([200]);
    const from = new Date('2026-12-01T10:00:00Z');
    const until = new Date('2026-12-01T10:00:30Z');
    const result = await pushProfile(ingest.url, tree, {
      name: 'fib.wasm.instructions',
      labels: { region: 'eu-west', 'host.name': 'a{b}=c' },
      from,
      until,
      basicAuth: { username: 'u', password: 'p' },
      tenant: 'team-7',
    });
    expect(result).toMatchObject({ status: 200, attempts: 1 });
    const [request] = ingest.received;
    expect(request!.url.pathname).toBe('/ingest');
    expect(request!.url.searchParams.get('name')).toBe('fib.wasm.instructions{region=eu-west,host.name=a_b__c}');
    expect(request!.url.searchParams.get('from')).toBe(String(from.getTime() / 1000));
    expect(request!.url.searchParams.get('until')).toBe(String(until.getTime() / 1000));
    expect(request!.url.searchParams.get('format')).toBe('pprof');
    expect(request!.headers['authorization']).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(request!.headers['x-scope-orgid']).toBe('team-7');

    const profile = await decodedProfile(request!.form);
    const strings = profile.stringTable.strings;
    const names = new Set(profile.function.map((f) => strings[Number(f.name)]));
    expect(names.has('assembly/fib/fib')).toBe(true);
    // Every instruction of the tree is in the samples, exactly.
    const total = profile.sample.reduce((n, s) => n + Number(s.value[0]), 0);
    expect(total).toBe(tree.root.total);
  });

  it('retries 503s a bounded number of times, then succeeds', async () => {
    const ingest = await ingestServer([503, 503, 200]);
    const result = await pushProfile(ingest.url, await profiledTree(), { name: 'app', retryDelayMs: 5 });
    expect(result).toMatchObject({ status: 200, attempts: 3 });
    expect(ingest.received).toHaveLength(3);
  });

  it('fails typed: a 4xx at once, a 5xx after its attempts, a refused connection with no status', async () => {
    const tree = await profiledTree();
    const bad = await ingestServer([400]);
    const rejected = await pushProfile(bad.url, tree, { name: 'app', retryDelayMs: 5 }).catch((e: unknown) => e as { code: string; status?: number; attempts?: number; message: string });
    expect(rejected).toMatchObject({ code: 'ERR_PROFILE_PUSH', status: 400, attempts: 1 });
    expect(bad.received).toHaveLength(1);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;

    const down = await ingestServer([502]);
    const exhausted = await pushProfile(down.url, tree, { name: 'app', attempts: 2, retryDelayMs: 5 }).catch((e: unknown) => e as { code: string; status?: number; attempts?: number });
    expect(exhausted).toMatchObject({ code: 'ERR_PROFILE_PUSH', status: 502, attempts: 2 });
    const { url } = down;
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;

    const refused = await pushProfile(url, tree, { name: 'app', attempts: 2, retryDelayMs: 5 }).catch((e: unknown) => e as { code: string; status?: number; attempts?: number; message: string });
    expect(refused).toMatchObject({ code: 'ERR_PROFILE_PUSH', status: undefined, attempts: 2 });
    expect(refused.message).toMatch(/ECONNREFUSED|fetch failed/);
    // Options are checked before anything is sent.
    await expect(pushProfile('ftp://x', tree, { name: 'app' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(pushProfile(url, tree, { name: 'a b' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(pushProfile(url, tree, { name: 'app', labels: { 'bad label': 'x' } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

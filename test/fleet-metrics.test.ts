// Fleet metrics end to end: a real host and a real pool, scraped over loopback by a real HTTP
// client, the exposition read by a real Prometheus text parser; OpenTelemetry through the SDK's
// in-memory exporter.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { createPool, prometheusRegistry, registerOpenTelemetry, serveMetrics, WasmHost, type MetricsServer, type WasmPool } from '../src/index.js';
import { distIndexUrl, guestPath } from './helpers/guests.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';

/** The typed error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

interface PromSample {
  readonly labels?: Record<string, string>;
  readonly value?: string;
  readonly buckets?: Record<string, string>;
  readonly count?: string;
  readonly sum?: string;
}
interface PromFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: PromSample[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
let server: MetricsServer | undefined;
let pool: WasmPool | undefined;
let prometheus: PrometheusServer | undefined;
afterEach(async () => {
  await prometheus?.stop();
  prometheus = undefined;
  await server?.close();
  server = undefined;
  await pool?.close({ cancel: true });
  pool = undefined;
});

async function scrape(url: string): Promise<Map<string, PromFamily>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Map(parsePrometheus(await response.text()).map((f) => [f.name, f]));
}

function value(families: Map<string, PromFamily>, name: string, labels: Record<string, string>): number | undefined {
  const sample = families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample === undefined ? undefined : Number(sample.value ?? sample.count);
}

describe('Prometheus metrics of a host', () => {
  it('counts calls by outcome, times them in µs-to-s buckets, and equals profile()', async () => {
    const host = new WasmHost({ timing: { mode: 'every' }, metrics: true });
    const add = await host.load(guestPath('add'), { label: 'add' });
    const trap = await host.load(guestPath('trap'), { label: 'trap' });
    const fuelled = await host.load(guestPath('fib'), { label: 'fib', instrument: { fuel: true } });
    const a = add.instantiate();
    for (let i = 0; i < 250; i++) a.call('add', i, 1);
    const t = trap.instantiate();
    for (let i = 0; i < 7; i++) expect(() => t.call('unreachableTrap')).toThrow();
    for (let i = 0; i < 3; i++) expect(() => t.call('divide', 1, 0)).toThrow();
    expect(t.call('divide', 6, 3)).toBe(2);
    const f = fuelled.instantiate({ fuel: 10_000_000 });
    f.call('fib', 20);

    server = await serveMetrics(prometheusRegistry({ host }), { port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const families = await scrape(server.url);

    const addId = add.id.slice(0, 12);
    const trapId = trap.id.slice(0, 12);
    expect(value(families, 'wasm_sandbox_calls_total', { module: addId, export: 'add', outcome: 'ok' })).toBe(250);
    expect(value(families, 'wasm_sandbox_calls_total', { module: trapId, export: 'unreachableTrap', outcome: 'trap' })).toBe(7);
    expect(value(families, 'wasm_sandbox_calls_total', { module: trapId, export: 'divide', outcome: 'trap' })).toBe(3);
    expect(value(families, 'wasm_sandbox_calls_total', { module: trapId, export: 'divide', outcome: 'ok' })).toBe(1);
    expect(families.get('wasm_sandbox_calls_total')!.type).toBe('COUNTER');
    // Outcomes are a closed set: nothing from an error message becomes a label.
    for (const m of families.get('wasm_sandbox_calls_total')!.metrics) {
      expect(['ok', 'trap', 'deadline', 'fuel', 'limit', 'guest_error', 'crashed', 'rejected', 'other']).toContain(m.labels!['outcome']);
    }
    expect(families.get('wasm_sandbox_call_duration_seconds')!.type).toBe('HISTOGRAM');
    // Fuel used, exactly the profile's instruction count.
    const fibInstructions = fuelled.profile().exports[0]!.instructions;
    expect(fibInstructions).toBeGreaterThan(0);
    expect(value(families, 'wasm_sandbox_instructions_total', { module: fuelled.id.slice(0, 12), export: 'fib' })).toBe(fibInstructions);
    // Module cache: three misses, no hits yet; then a hit.
    expect(value(families, 'wasm_sandbox_module_cache_misses_total', { source: 'host' })).toBe(3);
    await host.load(guestPath('add'));
    const again = await scrape(server.url);
    expect(value(again, 'wasm_sandbox_module_cache_hits_total', { source: 'host' })).toBe(1);
    expect(value(again, 'wasm_sandbox_module_info', { module: addId, name: 'add' })).toBe(1);
    expect(value(again, 'wasm_sandbox_guest_memory_peak_bytes', { module: trapId })).toBe(trap.profile().memory.peakBytes);
  });

  it('is stored by a real Prometheus: histogram counts equal calls, buckets from 1 µs, sum = time in the guest', async () => {
    const host = new WasmHost({ timing: { mode: 'every' }, metrics: true });
    const fib = await host.load(guestPath('fib'));
    const sandbox = fib.instantiate();
    for (let i = 0; i < 300; i++) sandbox.call('fib', i % 25);
    server = await serveMetrics(prometheusRegistry({ host }), { port: 0 });
    prometheus = await startPrometheus(new URL(server.url));
    await prometheus.scraped();
    const module = fib.id.slice(0, 12);
    const profile = fib.profile().exports[0]!;
    const [count] = await prometheus.query(`wasm_sandbox_call_duration_seconds_count{module="${module}"}`);
    expect(count!.value).toBe(300);
    const buckets = await prometheus.query(`wasm_sandbox_call_duration_seconds_bucket{module="${module}"}`);
    const byBound = new Map(buckets.map((b) => [b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le']), b.value]));
    expect([...byBound.keys()].sort((a, b) => a - b)[0]).toBe(1e-6);
    expect(byBound.get(Infinity)).toBe(300);
    const sorted = [...byBound.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!).toBeGreaterThanOrEqual(sorted[i - 1]!);
    const [sum] = await prometheus.query(`wasm_sandbox_call_duration_seconds_sum{module="${module}"}`);
    expect(sum!.value).toBeCloseTo(profile.totalMs / 1000, 6);
    const [p99] = await prometheus.query(`histogram_quantile(0.99, wasm_sandbox_call_duration_seconds_bucket{module="${module}"})`);
    expect(p99!.value).toBeGreaterThan(0);
  });

  it('counts modules loaded per request and dropped before any scrape (held weakly, counted after collection)', () => {
    const script = `
      const { WasmHost } = await import(${JSON.stringify(distIndexUrl())});
      const host = new WasmHost({ metrics: true });
      for (let i = 0; i < 50; i++) {
        const module = await host.load(${JSON.stringify(guestPath('add'))});
        module.instantiate().call('add', i, 1);
      }
      const kept = await host.load(${JSON.stringify(guestPath('add'))});
      kept.instantiate().call('add', 1, 1);
      const weak = new WeakRef(await host.load(${JSON.stringify(guestPath('add'))}));
      for (let i = 0; i < 10 && weak.deref() !== undefined; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
      const [profile] = host.metrics().modules;
      process.stdout.write(JSON.stringify({ collected: weak.deref() === undefined, calls: profile.exports[0].calls, modules: host.metrics().modules.length }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { collected: boolean; calls: number; modules: number };
    expect(result.collected).toBe(true);
    expect(result).toEqual({ collected: true, calls: 51, modules: 1 });
  });

  it('bounds export cardinality and keeps untrusted export names as escaped label values', async () => {
    const host = new WasmHost({ timing: { mode: 'every' } });
    // Without options.metrics, a host keeps its loads from the moment a registry watches it.
    const registry = prometheusRegistry({ host }, { maxExportsPerModule: 2 });
    const add = await host.load(guestPath('add'));
    const s = add.instantiate();
    s.call('add', 1, 2);
    s.call('addF64', 1, 2);
    s.call('sum4', 1, 2, 3, 4);
    s.call('sum4', 1, 2, 3, 4);
    server = await serveMetrics(registry, { port: 0 });
    const families = await scrape(server.url);
    const exports = families.get('wasm_sandbox_calls_total')!.metrics.map((m) => m.labels!['export']).sort();
    expect(exports).toEqual(['(other)', 'add', 'addF64']);
    expect(value(families, 'wasm_sandbox_calls_total', { export: '(other)' })).toBe(2);

    const odd = await host.load(guestPath('odd-names'));
    const names = odd.inspect().exports.filter((e) => e.kind === 'function').map((e) => e.name);
    const hostile = names.find((n) => n.includes('\x1b'))!;
    expect(hostile).toBeDefined();
    expect(odd.instantiate().call(hostile)).toBe(1);
    const parsed = new Map(parsePrometheus(await (await fetch(server.url)).text()).map((f) => [f.name, f]));
    const labelled = parsed.get('wasm_sandbox_calls_total')!.metrics.filter((m) => m.labels!['module'] === odd.id.slice(0, 12));
    expect(labelled.length).toBe(1);
    // The escape sequence reaches no dashboard as a control character.
    expect(labelled[0]!.labels!['export']).not.toMatch(/[\x00-\x1f]/);
    expect(labelled[0]!.labels!['export']).toContain('red');
  });

  it('answers 404 off its path, and a taken port is a typed error', async () => {
    const host = new WasmHost();
    server = await serveMetrics(prometheusRegistry({ host }), { port: 0 });
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    const error = await rejection(serveMetrics(prometheusRegistry({ host }), { port: server!.port }));
    expect(error.code).toBe('ERR_METRICS_ENDPOINT');
    expect((await fetch(server.url)).status).toBe(200);
  });
});

describe('Prometheus metrics of a pool', () => {
  it('one scrape shows every worker; a worker that crashes loses nothing already reported', async () => {
    pool = await createPool({
      modules: {
        add: { source: guestPath('add'), timing: { mode: 'every' } },
        crashy: { source: guestPath('crashy'), importsModule: crashyImports, timing: { mode: 'every' } },
      },
      threads: 2,
    });
    const registry = prometheusRegistry({ pool });
    server = await serveMetrics(registry, { port: 0 });
    await Promise.all(Array.from({ length: 400 }, (_, i) => pool!.call('add', 'add', i, 1)));
    await Promise.all(Array.from({ length: 40 }, (_, i) => pool!.call('crashy', 'work', i)));
    const before = await scrape(server.url);
    const profile = await pool.profile();
    const addId = profile.modules['add']!.module.id.slice(0, 12);
    const crashyId = profile.modules['crashy']!.module.id.slice(0, 12);
    expect(value(before, 'wasm_sandbox_calls_total', { module: addId, outcome: 'ok' })).toBe(400);
    expect(value(before, 'wasm_sandbox_calls_total', { module: crashyId, outcome: 'ok' })).toBe(40);
    expect(value(before, 'wasm_sandbox_pool_workers', { source: 'pool' })).toBe(2);

    // Kill one worker (its host import exits the thread), then call on.
    expect((await rejection(pool.call('crashy', 'work', 666))).code).toBe('ERR_WORKER_CRASHED');
    await Promise.all(Array.from({ length: 100 }, (_, i) => pool!.call('add', 'add', i, 1)));
    const after = await scrape(server.url);
    expect(value(after, 'wasm_sandbox_pool_worker_crashes_total', { source: 'pool' })).toBe(1);
    expect(value(after, 'wasm_sandbox_calls_total', { module: addId, outcome: 'ok' })).toBe(500);
    expect(value(after, 'wasm_sandbox_calls_total', { module: crashyId, outcome: 'ok' })).toBe(40);
    // What an operator's Prometheus stores from the same endpoint: histogram counts equal calls.
    prometheus = await startPrometheus(new URL(server.url));
    await prometheus.scraped();
    const [durationCount] = await prometheus.query(`wasm_sandbox_call_duration_seconds_count{module="${addId}"}`);
    expect(durationCount!.value).toBe(500);
    const [waited] = await prometheus.query(`wasm_sandbox_pool_queue_wait_seconds_count{module="${addId}"}`);
    expect(waited!.value).toBe(500);
    const [calls] = await prometheus.query(`sum(wasm_sandbox_calls_total{source="pool"})`);
    // The call its worker died in is not among them: workers count calls, and that one's worker
    // is gone (its caller got ERR_WORKER_CRASHED; the crash is counted above).
    expect(calls!.value).toBe(540);
  });
});

describe('OpenTelemetry instruments', () => {
  it('reports the same counts through the SDK in-memory exporter', async () => {
    const host = new WasmHost({ timing: { mode: 'every' }, metrics: true });
    const add = await host.load(guestPath('add'));
    const trap = await host.load(guestPath('trap'));
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const registration = registerOpenTelemetry({ host }, { meter: provider.getMeter('test') });
    const a = add.instantiate();
    for (let i = 0; i < 120; i++) a.call('add', i, 1);
    const t = trap.instantiate();
    for (let i = 0; i < 4; i++) expect(() => t.call('unreachableTrap')).toThrow();

    await reader.forceFlush();
    const metrics = exporter.getMetrics().at(-1)!.scopeMetrics[0]!.metrics;
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    const calls = byName.get('wasm_sandbox_calls') as SumMetricData;
    const ok = calls.dataPoints.find((p) => p.attributes['module'] === add.id.slice(0, 12) && p.attributes['outcome'] === 'ok')!;
    expect(ok.value).toBe(120);
    const trapped = calls.dataPoints.find((p) => p.attributes['module'] === trap.id.slice(0, 12) && p.attributes['outcome'] === 'trap')!;
    expect(trapped.value).toBe(4);
    const duration = byName.get('wasm_sandbox_call_duration_seconds') as HistogramMetricData;
    const addDuration = duration.dataPoints.find((p) => p.attributes['module'] === add.id.slice(0, 12))!;
    expect(addDuration.value.count).toBe(120);
    expect(addDuration.value.buckets.boundaries[0]).toBe(1e-6);

    // A second collection adds only the new calls (cumulative temporality: 120 + 30).
    for (let i = 0; i < 30; i++) a.call('add', i, 1);
    await reader.forceFlush();
    const later = new Map(exporter.getMetrics().at(-1)!.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m]));
    const laterDuration = (later.get('wasm_sandbox_call_duration_seconds') as HistogramMetricData).dataPoints.find((p) => p.attributes['module'] === add.id.slice(0, 12))!;
    expect(laterDuration.value.count).toBe(150);
    registration.unregister();
    await provider.shutdown();
  });
});

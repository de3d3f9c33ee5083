/**
 * `wasm-sandbox load <file> <export> [args…] --threads N --concurrency C --duration S
 * [--metrics host:port]`: drives a closed-loop workload through a pool for a while — C callers,
 * each calling again as soon as its call settles — and prints what the pool measured. With
 * `--metrics`, the pool's Prometheus metrics are served while it runs (port 0 picks one; the URL
 * is printed on stderr), which is how an operator tries a scrape config against real numbers.
 */
import { moduleIdOf } from './link-options.js';
import { createPool, formatProfile, parseArgument, prometheusRegistry, serveMetrics, WasmArgumentError, type MetricsServer, type PoolModuleOptions, type WasmHost } from '../index.js';
import { formatNs, renderTable } from '../profiler/render/terminal-text.js';
import { startProgress } from './progress.js';

export interface LoadCommandOptions {
  readonly threads: number;
  readonly concurrency: number;
  readonly durationS: number;
  /** `host:port` or `port`. */
  readonly metrics?: string;
  /** What the guest is granted (`--imports`, `--trap-unknown-imports`): its workers load the imports module. */
  readonly link?: Pick<PoolModuleOptions, 'importsModule' | 'unknownImports'>;
  readonly json: boolean;
  readonly quiet: boolean;
}

function positive(value: number, flag: string, integer: boolean): number {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new WasmArgumentError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text);
  if (match === null) throw new WasmArgumentError(`--metrics takes host:port or a port, got ${JSON.stringify(text)}`);
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(match[2]) };
}

export async function loadCommand(host: WasmHost, file: string, exportName: string, args: readonly string[], options: LoadCommandOptions, out: (text: string) => void): Promise<void> {
  const threads = positive(options.threads, '--threads', true);
  const concurrency = positive(options.concurrency, '--concurrency', true);
  const durationS = positive(options.durationS, '--duration', false);
  const listen = options.metrics === undefined ? undefined : parseListen(options.metrics);
  const module = await host.load(file);
  const entry = module.inspect().exports.find((e) => e.name === exportName);
  const params = entry?.signature?.params ?? [];
  if (entry?.signature !== undefined && args.length !== params.length) {
    throw new WasmArgumentError(`${exportName} takes ${params.length} argument(s) (${params.join(', ') || 'none'}), got ${args.length}`);
  }
  const values = entry?.signature === undefined ? [...args] : args.map((text, i) => parseArgument(params[i]!, text));
  const id = moduleIdOf(file);
  const pool = await createPool({ host, modules: { [id]: { source: file, ...options.link } }, threads });
  let server: MetricsServer | undefined;
  const progress = startProgress(`load ${exportName}`, Math.ceil(durationS), { quiet: options.quiet, unit: 's' });
  try {
    if (listen !== undefined) {
      server = await serveMetrics(prometheusRegistry({ pool }), listen);
      process.stderr.write(`serving metrics at ${server.url}\n`);
    }
    const started = performance.now();
    const until = started + durationS * 1000;
    const ticker = setInterval(() => progress.set(Math.min(durationS, (performance.now() - started) / 1000)), 200);
    let failures = 0;
    const caller = async (): Promise<void> => {
      while (performance.now() < until) {
        try {
          await pool.call(id, exportName, ...values);
        } catch {
          failures++;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, caller));
    } finally {
      clearInterval(ticker);
    }
    const elapsedS = (performance.now() - started) / 1000;
    progress.stop();
    const profile = await pool.profile();
    const measured = profile.modules[id]!;
    const calls = measured.exports.reduce((n, e) => n + e.calls, 0);
    if (options.json) {
      out(JSON.stringify({ elapsedSeconds: elapsedS, callsPerSecond: calls / elapsedS, failures, profile }, null, 2));
    } else {
      const wait = profile.queueWait[id]!;
      out(
        renderTable(
          ['threads', 'concurrency', 'seconds', 'calls', 'calls/s', 'failed', 'queue wait p50', 'p99', 'restarts', 'crashes'],
          [[threads, concurrency, elapsedS.toFixed(1), calls, Math.round(calls / elapsedS), failures, formatNs(wait.p50), formatNs(wait.p99), profile.workers.restarts, profile.workers.crashes].map(String)],
        ),
      );
      out('');
      out(formatProfile(measured));
    }
  } finally {
    progress.stop();
    await server?.close();
    await pool.close({ cancel: true });
  }
}

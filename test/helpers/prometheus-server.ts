// A real Prometheus server (Debian's `prometheus` package) scraping our endpoint, for tests that
// read what an operator's Prometheus would store: its own parser, its own histogram handling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface PrometheusServer {
  /** Instant query; the vector's samples as labels → number. */
  query(expr: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Waits until the target has been scraped at least `scrapes` more times. */
  scraped(scrapes?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(target: URL): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 500ms',
      'scrape_configs:',
      '  - job_name: wasm-sandbox',
      `    metrics_path: ${target.pathname}`,
      '    static_configs:',
      `      - targets: ['${target.host}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const api = `http://127.0.0.1:${port}/api/v1`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prometheus did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (expr: string): Promise<{ labels: Record<string, string>; value: number }[]> => {
    const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? response.status}`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };
  return {
    query,
    async scraped(scrapes = 2) {
      // Successful scrapes so far (a scrape that timed out on a busy machine does not count).
      const good = async (): Promise<number> => (await query('sum_over_time(up[1h])'))[0]?.value ?? 0;
      const start = await good();
      const until = Date.now() + 30_000;
      while ((await good()) < start + scrapes) {
        if (Date.now() > until) throw new Error(`prometheus did not scrape ${target.href}: ${JSON.stringify(await query('up'))} ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

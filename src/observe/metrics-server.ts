/**
 * A small metrics endpoint: node:http serving one prom-client registry at `/metrics`, on the
 * loopback interface unless told otherwise (metrics name modules and exports; exposing them
 * beyond the machine is the operator's choice). A scrape that fails answers 500 with a short
 * reason and never takes the process down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { InvalidOptionError, MetricsEndpointError } from '../errors.js';
import { MAX_ERROR_MESSAGE, shorten } from '../untrusted-text.js';

export interface MetricsServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 9464 (OpenTelemetry's Prometheus exporter port) */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
}

export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsServer {
  /** `http://host:port/metrics` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(registry: Registry, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_METRICS_PORT;
  const path = options.path ?? '/metrics';
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(`options.port must be an integer from 0 to 65535, got ${String(port)}`);
  if (!path.startsWith('/')) throw new InvalidOptionError(`options.path must start with "/", got ${JSON.stringify(shorten(path, 80))}`);
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found; metrics are at ${path}\n`);
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        const reason = shorten(error instanceof Error ? error.message : String(error), MAX_ERROR_MESSAGE);
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${reason}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      reject(new MetricsEndpointError(`cannot serve metrics on ${host}:${port}: ${shorten(error.message, 200)}; pick another port (0 picks a free one)`));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}${path}`,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Fleet metrics in Prometheus' exposition format, through prom-client (the Node convention: a
 * `Registry`, metrics with `name` + `help`): the text is prom-client's, the values are read
 * from the sources at each scrape (one snapshot per source per scrape, never per call).
 *
 * prom-client is required on first use, as the other optional-at-runtime libraries are: a
 * host that never exports metrics does not pay for loading it.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { MetricsSource } from '../model/metrics-snapshot.js';
import { FleetSeries, takeSnapshots, type FleetSeriesOptions, type Series } from './fleet-series.js';

let loaded: typeof PromClient | undefined;
function promClient(): typeof PromClient {
  loaded ??= createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return loaded;
}

export interface PrometheusOptions extends FleetSeriesOptions {
  /** Registers into this registry (for an application that has its own); @default a new one */
  readonly registry?: PromClient.Registry;
}

/** A prom-client metric of ours: prom-client asks `get()` for its values and formats them. */
interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: { metricName?: string; labels: Record<string, string | number>; value: number }[] }>;
  reset(): void;
}

/**
 * A prom-client `Registry` holding the fleet metrics of `sources` (by the name each is
 * labelled with, e.g. `{ host, pool }`): `await registry.metrics()` is one scrape.
 */
export function prometheusRegistry(sources: Readonly<Record<string, MetricsSource>>, options: PrometheusOptions = {}): PromClient.Registry {
  const client = promClient();
  const registry = options.registry ?? new client.Registry();
  for (const source of Object.values(sources)) source.watchMetrics?.();
  const fleet = new FleetSeries(options);
  // Every metric of one scrape reads the same snapshots: the first `get()` takes them.
  let scrape: Promise<Map<string, Series>> | undefined;
  const current = (): Promise<Map<string, Series>> => {
    scrape ??= takeSnapshots(sources).then((snapshots) => {
      setImmediate(() => (scrape = undefined));
      return new Map(fleet.series(snapshots).map((s) => [s.name, s]));
    });
    return scrape;
  };
  // The names are known before any scrape: compute them from empty snapshots.
  for (const template of new FleetSeries(options).series({})) {
    const metric: CollectedMetric = {
      name: template.name,
      help: template.help,
      type: template.type,
      aggregator: 'sum',
      async get() {
        const series = (await current()).get(template.name)!;
        return { name: template.name, help: template.help, type: template.type, aggregator: 'sum', values: valuesOf(series) };
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as PromClient.Metric);
  }
  return registry;
}


function valuesOf(series: Series): { metricName?: string; labels: Record<string, string | number>; value: number }[] {
  if (series.type !== 'histogram') return series.points.map((p) => ({ labels: { ...p.labels }, value: p.value }));
  const values: { metricName?: string; labels: Record<string, string | number>; value: number }[] = [];
  for (const point of series.points) {
    series.bounds.forEach((bound, i) => values.push({ metricName: `${series.name}_bucket`, labels: { ...point.labels, le: bound }, value: point.cumulative[i]! }));
    values.push({ metricName: `${series.name}_bucket`, labels: { ...point.labels, le: '+Inf' }, value: point.cumulative[series.bounds.length]! });
    values.push({ metricName: `${series.name}_sum`, labels: { ...point.labels }, value: point.sum });
    values.push({ metricName: `${series.name}_count`, labels: { ...point.labels }, value: point.count });
  }
  return values;
}

/**
 * The fleet metrics as OpenTelemetry instruments, through `@opentelemetry/api` only: the
 * application owns the SDK (its MeterProvider, readers and exporters); without one, the API's
 * no-op meter makes all of this free.
 *
 * Counters and gauges are observable instruments read at each collection. OpenTelemetry has no
 * observable histogram, so call durations go to a synchronous histogram: at each collection the
 * values recorded since the previous one are replayed into it (one `record()` per call, at
 * collection time, never on the call path). Names are the Prometheus names without `_total`
 * (OpenTelemetry's own Prometheus exporter adds it back).
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { MetricsSource } from '../model/metrics-snapshot.js';
import { FleetSeries, takeSnapshots, type FleetSeriesOptions, type Labels } from './fleet-series.js';

let loaded: typeof OtelApi | undefined;
function otel(): typeof OtelApi {
  loaded ??= createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;
  return loaded;
}

export interface OpenTelemetryOptions extends FleetSeriesOptions {
  /** @default `metrics.getMeter('wasm-sandbox')` from the global MeterProvider */
  readonly meter?: OtelApi.Meter;
}

export interface OpenTelemetryRegistration {
  /** Stops observing the sources (the instruments stay with their meter). */
  unregister(): void;
}

const otelName = (name: string): string => name.replace(/_total$/, '');

export function registerOpenTelemetry(sources: Readonly<Record<string, MetricsSource>>, options: OpenTelemetryOptions = {}): OpenTelemetryRegistration {
  const meter = options.meter ?? otel().metrics.getMeter('wasm-sandbox');
  for (const source of Object.values(sources)) source.watchMetrics?.();
  const fleet = new FleetSeries(options);
  const observables = new Map<string, OtelApi.Observable>();
  const histograms = new Map<string, OtelApi.Histogram>();
  for (const template of new FleetSeries(options).series({})) {
    const description = { description: template.help, unit: template.unit };
    const name = otelName(template.name);
    if (template.type === 'counter') observables.set(template.name, meter.createObservableCounter(name, description));
    else if (template.type === 'gauge') observables.set(template.name, meter.createObservableGauge(name, description));
    else if (template.type === 'histogram') histograms.set(template.name, meter.createHistogram(name, { ...description, advice: { explicitBucketBoundaries: [...template.bounds] } }));
  }
  /** Per histogram point: how many of each value were replayed already. */
  const replayed = new Map<string, Map<number, number>>();
  const callback: OtelApi.BatchObservableCallback = async (result) => {
    const snapshots = await takeSnapshots(sources);
    for (const series of fleet.series(snapshots)) {
      if (series.type !== 'histogram') {
        const instrument = observables.get(series.name)!;
        for (const point of series.points) result.observe(instrument, point.value, point.labels as OtelApi.Attributes);
        continue;
      }
      const histogram = histograms.get(series.name)!;
      for (const point of series.points) replay(histogram, `${series.name}${JSON.stringify(point.labels)}`, point.labels, point.values);
    }
  };
  function replay(histogram: OtelApi.Histogram, key: string, labels: Labels, values: readonly { seconds: number; count: number }[]): void {
    let done = replayed.get(key);
    if (done === undefined) replayed.set(key, (done = new Map()));
    const now = new Map<number, number>();
    for (const { seconds, count } of values) now.set(seconds, (now.get(seconds) ?? 0) + count);
    for (const [seconds, count] of now) {
      const before = done.get(seconds) ?? 0;
      for (let i = before; i < count; i++) histogram.record(seconds, labels as OtelApi.Attributes);
      if (count > before) done.set(seconds, count);
    }
  }
  const instruments = [...observables.values()];
  meter.addBatchObservableCallback(callback, instruments);
  return { unregister: () => meter.removeBatchObservableCallback(callback, instruments) };
}

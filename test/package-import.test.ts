/**
 * What importing the package costs: the pool's thread and codec libraries (piscina, msgpackr,
 * tens of ms of import between them) load with the first pool, not with the package, so a
 * process that only runs guests in-process never loads them. Observed in a fresh process
 * through the CommonJS module cache, where both land however they are reached. The metrics
 * libraries (prom-client, the OpenTelemetry API) and the progress bar follow the same rule.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { distIndexUrl, guestPath } from './helpers/guests.js';

function loadedAfter(body: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const sandbox = await import(${JSON.stringify(distIndexUrl())});
    ${body}
    const cache = createRequire(import.meta.url).cache;
    const names = new Set(Object.keys(cache).map((path) => /node_modules\\/(piscina|msgpackr|prom-client|@opentelemetry\\/api|cli-progress)\\//.exec(path)?.[1]).filter(Boolean));
    process.stdout.write(JSON.stringify([...names].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
}

describe('importing the package', () => {
  it('loads neither piscina nor msgpackr for in-process guests', () => {
    const loaded = loadedAfter(`
      const module = await new sandbox.WasmHost().load(${JSON.stringify(guestPath('add'))});
      if (module.instantiate().call('add', 2, 3) !== 5) throw new Error('add');`);
    expect(loaded).toEqual([]);
  });

  it('loads both when a pool starts, and the pool serves', () => {
    const loaded = loadedAfter(`
      const pool = await sandbox.createPool({ modules: { add: ${JSON.stringify(guestPath('add'))} }, threads: 1 });
      if ((await pool.call('add', 'add', 2, 3)) !== 5) throw new Error('add');
      await pool.close();`);
    expect(loaded).toEqual(['msgpackr', 'piscina']);
  });

  it('loads prom-client and the OpenTelemetry API only when metrics are exported', () => {
    const loaded = loadedAfter(`
      const host = new sandbox.WasmHost();
      sandbox.prometheusRegistry({ host });
      sandbox.registerOpenTelemetry({ host });`);
    expect(loaded).toEqual(['@opentelemetry/api', 'prom-client']);
  });
});

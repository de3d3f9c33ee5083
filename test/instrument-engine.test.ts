/**
 * binaryen (the rewriter's engine) loads on first need. Each case runs in a fresh Node process
 * with a module-resolution hook that logs every binaryen file resolved, so "not loaded" is
 * observed, not inferred.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeHash } from '../src/instrument/disk-cache.js';
import { distIndexUrl, guestPath } from './helpers/guests.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` (an ES module body with `sandbox` = the package) in a fresh process; returns its stdout and the binaryen files it resolved. */
function runFresh(name: string, body: string): { output: string; binaryenLoaded: boolean } {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  const hooks = join(dir, `${name}-hooks.mjs`);
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
     export async function resolve(specifier, context, next) {
       const result = await next(specifier, context);
       if (result.url.includes('/node_modules/binaryen/')) appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
       return result;
     }`,
  );
  const script = join(dir, `${name}.mjs`);
  writeFileSync(
    script,
    `import { register } from 'node:module';
     register(${JSON.stringify('file://' + hooks)});
     const sandbox = await import(${JSON.stringify(distIndexUrl())});
     ${body}`,
  );
  const output = execFileSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') } });
  return { output, binaryenLoaded: readFileSync(log, 'utf8').length > 0 };
}

describe('the instrumentation engine loads on first need', () => {
  it('importing the package and running plain modules never loads binaryen', () => {
    const run = runFresh(
      'plain',
      `const host = new sandbox.WasmHost({ instrumentCacheDir: false });
       const module = await host.load(${JSON.stringify(guestPath('add'))});
       console.log(module.instantiate().call('add', 40, 2));`,
    );
    expect(run.output.trim()).toBe('42');
    expect(run.binaryenLoaded).toBe(false);
  });

  it('load() loads it when a module must be rewritten; loadSync() refuses until it is loaded', () => {
    const run = runFresh(
      'rewrite',
      `import('node:fs').then(async ({ readFileSync }) => {
         const host = new sandbox.WasmHost({ instrumentCacheDir: false });
         const bytes = readFileSync(${JSON.stringify(guestPath('fib'))});
         try { host.loadSync(bytes, { instrument: { fuel: true } }); console.log('loaded?'); } catch (e) { console.log(e.code); }
         await sandbox.loadInstrumentEngine();
         const sync = host.loadSync(bytes, { instrument: { fuel: true } });
         console.log(sync.instantiate({ fuel: 1e6 }).callWithMetrics('fib', 20).metrics.instructions > 0);
         const other = new sandbox.WasmHost({ instrumentCacheDir: false });
         console.log((await other.load(bytes, { instrument: { counters: true } })).instantiate().call('fib', 10));
       });`,
    );
    expect(run.output.trim().split('\n')).toEqual(['ERR_INVALID_OPTION', 'true', '55']);
    expect(run.binaryenLoaded).toBe(true);
  });

  it('a rewrite kept on disk is served without loading binaryen', () => {
    const cacheDir = join(dir, 'disk');
    const first = runFresh(
      'disk-first',
      `const host = new sandbox.WasmHost({ instrumentCacheDir: ${JSON.stringify(cacheDir)} });
       console.log((await host.load(${JSON.stringify(guestPath('fib'))}, { instrument: { fuel: true } })).instantiate().call('fib', 12));`,
    );
    expect(first).toEqual({ output: '144\n', binaryenLoaded: true });
    const second = runFresh(
      'disk-second',
      `const host = new sandbox.WasmHost({ instrumentCacheDir: ${JSON.stringify(cacheDir)} });
       const module = await host.load(${JSON.stringify(guestPath('fib'))}, { instrument: { fuel: true } });
       console.log(module.instantiate().call('fib', 12), module.instrumentation.fromDiskCache);`,
    );
    expect(second).toEqual({ output: '144 true\n', binaryenLoaded: false });
  });

  it("keys rewrites by the engine's own code: a changed pass is never served an older engine's rewrite", () => {
    const code = join(dir, 'code');
    mkdirSync(code);
    writeFileSync(join(code, 'a.js'), 'export const a = 1;');
    writeFileSync(join(code, 'b.js'), 'export const b = 2;');
    writeFileSync(join(code, 'notes.txt'), 'not code');
    const before = codeHash(code, '.js');
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(codeHash(code, '.js')).toBe(before);
    writeFileSync(join(code, 'notes.txt'), 'still not code');
    expect(codeHash(code, '.js')).toBe(before);
    writeFileSync(join(code, 'b.js'), 'export const b = 3;');
    const changed = codeHash(code, '.js');
    expect(changed).not.toBe(before);
    // Moving a byte from one file to the next is a change too (names and contents are framed).
    writeFileSync(join(code, 'a.js'), 'export const a = 1;e');
    writeFileSync(join(code, 'b.js'), 'xport const b = 3;');
    expect(codeHash(code, '.js')).not.toBe(changed);
    expect(codeHash(join(dir, 'no-such-folder'), '.js')).toBe('');
  });
});

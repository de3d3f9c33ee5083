import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { functionStats } from '../src/index.js';
import { v8ProfileToCallTree, type GuestScript } from '../src/host/profiling/sampling-profiler.js';

// sql.js (emscripten SQLite, no name section): one workload — the interpreter loop, printf of
// long numbers, substring search in long strings — profiled by V8's own --cpu-prof, by our
// sampling mode and by our instrumented mode, each in its own process, one after the other.
const script = fileURLToPath(new URL('./fixtures/real-world-profile.mjs', import.meta.url));
const run = promisify(execFile);
const env = { ...process.env, WASM_SANDBOX_TEST_CACHE: mkdtempSync(join(tmpdir(), 'wasm-sandbox-prof-')) };
const WORKLOAD = ['sqljsHeavyCalls'];
const SIZE = '20000';

const guestOnly = (names: string[]): string[] => names.filter((n) => n !== '(host)');

async function ours(mode: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [script, ...WORKLOAD, mode, SIZE], { env, timeout: 120_000 });
  return guestOnly((JSON.parse(stdout) as [string, number][]).map(([name]) => name));
}

async function cpuProf(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-cpuprof-'));
  await run(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', dir, script, ...WORKLOAD, 'plain', SIZE], { env, timeout: 120_000 });
  const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as Parameters<typeof v8ProfileToCallTree>[0];
  return guestOnly(functionStats(v8ProfileToCallTree(profile, sqlJsScript(profile), 50_000)).map((f) => f.name));
}

/**
 * sql.js's code in a --cpu-prof file: the wasm script with the most samples (the process also
 * runs the host's HDR histogram wasm). V8 names frames of a module without a name section
 * wasm-function[N], at their body's offset: the same func[N] as ours.
 */
function sqlJsScript(profile: Parameters<typeof v8ProfileToCallTree>[0]): GuestScript {
  const hits = new Map<string, number>();
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const node of profile.nodes) {
    if (node.callFrame.url.startsWith('wasm://')) hits.set(node.callFrame.scriptId!, (hits.get(node.callFrame.scriptId!) ?? 0) + (counts.get(node.id) ?? 0));
  }
  const scriptId = [...hits].sort((a, b) => b[1] - a[1])[0]![0];
  const byColumn = new Map<number, number>();
  for (const node of profile.nodes) {
    const index = /^wasm-function\[(\d+)\]$/.exec(node.callFrame.functionName)?.[1];
    if (node.callFrame.scriptId === scriptId && index !== undefined) byColumn.set(node.callFrame.columnNumber!, Number(index));
  }
  return {
    scriptId,
    functionAt: (column) => {
      const index = byColumn.get(column);
      return index === undefined ? undefined : { name: `func[${index}]`, functionIndex: index };
    },
  };
}

describe('profiles of a real module agree with V8 --cpu-prof', () => {
  // A statistical measurement on a shared 2-core machine: retried before it is called a failure.
  it('on the top three functions by self time, in the sampling and instrumented modes', { retry: 2, timeout: 180_000 }, async () => {
    const v8 = await cpuProf();
    const sampling = await ours('sampling');
    const instrumented = await ours('instrumented');
    const top3 = (names: string[]) => new Set(names.slice(0, 3));
    expect(top3(sampling)).toEqual(top3(v8));
    expect(top3(instrumented)).toEqual(top3(v8));
  });
});

describe('the instructions mode on a real module', () => {
  it('records the same tree with the wasm recorder as with the JS builder (sql.js, each in its own process)', { timeout: 180_000 }, async () => {
    const digest = async (mode: string): Promise<[string, number, number]> =>
      JSON.parse((await run(process.execPath, [script, 'sqljs', mode, '500'], { env, timeout: 120_000 })).stdout) as [string, number, number];
    const wasm = await digest('instructions');
    const js = await digest('instructions-javascript');
    expect(wasm).toEqual(js); // [SHA-256 of the tree's JSON, total instructions, nodes]
    expect(wasm[2]).toBeGreaterThan(1000);
  });
});

/**
 * Guest text on its way to people: escaped and bounded in error messages and fields, in the
 * flamegraph and on the command line, with the exact text kept in raw fields.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CallTreeBuilder } from '../src/profiler/build/call-tree-builder.js';
import { renderFlamegraph } from '../src/profiler/render/flamegraph.js';
import { flameData } from './helpers/flame-data.js';
import { escapeControls, guestText, shorten } from '../src/untrusted-text.js';
import { GuestAbortError, WasmHost, type WasmTrapError } from '../src/index.js';
import { HEADER, abortModule, functionNames, leb, name, nameSection, namesModule, section } from './helpers/guests.js';
import { failure } from './helpers/failures.js';

const MIB = 1 << 20;
const host = new WasmHost({ instrumentCacheDir: false });

describe('untrusted text', () => {
  it('escapes C0, DEL, C1, bidi controls and line separators, nothing else', () => {
    expect(escapeControls('a\x1b[31mb\r\nc\x00d\x7fe\x85f\u202eg\u2066h\u200ei\u2028j\ttab é😀')).toBe(
      'a\\x1b[31mb\\x0d\\x0ac\\x00d\\x7fe\\x85f\\u202eg\\u2066h\\u200ei\\u2028j\\x09tab é😀',
    );
  });

  it('keeps the start and end of long text, never splitting an escape or a surrogate pair, within the limit', () => {
    expect(guestText('x'.repeat(MIB))).toBe(`${'x'.repeat(132)}…[1048400 chars cut]…${'x'.repeat(44)}`);
    expect(guestText('x'.repeat(MIB)).length).toBe(197);
    // 1,000 ESCs: each kept whole (4 characters), 33 at the start and 11 at the end.
    expect(guestText('\x1b'.repeat(1000))).toBe(`${'\\x1b'.repeat(33)}…[956 chars cut]…${'\\x1b'.repeat(11)}`);
    expect(shorten('😀'.repeat(300), 50)).toBe(`${'😀'.repeat(20)}…[274 chars cut]…${'😀'.repeat(6)}`);
    expect(guestText('short')).toBe('short');
    for (const text of ['x'.repeat(MIB), '\x1b'.repeat(1000), 'a\r\n'.repeat(500)]) {
      expect([...guestText(text)].length).toBeLessThanOrEqual(200);
      expect(guestText(guestText(text))).toBe(guestText(text)); // idempotent
    }
  });
});

describe('guest text in errors', () => {
  it('an abort message and file cannot inject log lines or terminal sequences; the raw text is kept apart', () => {
    const message = 'bad\x1b[2J\r\nFAKE LOG LINE\x00\x85\u202eevil';
    const file = 'file\x1b]8;;http://x\x07.ts';
    const exportName = 'fail\x1b[2J';
    const sandbox = host.loadSync(abortModule(message, file, exportName), { label: 'abort-guest.wasm' }).instantiate();
    const error = failure(() => sandbox.call(exportName)) as GuestAbortError;
    expect(error).toBeInstanceOf(GuestAbortError);
    // The sandbox rewords the message to name the export: that is escaped too.
    expect(error.message).toBe(
      'abort-guest.wasm: fail\\x1b[2J(): guest aborted: bad\\x1b[2J\\x0d\\x0aFAKE LOG LINE\\x00\\x85\\u202eevil at file\\x1b]8;;http://x\\x07.ts:7:9',
    );
    expect(error.guestMessage).toBe('bad\\x1b[2J\\x0d\\x0aFAKE LOG LINE\\x00\\x85\\u202eevil');
    expect(error.file).toBe('file\\x1b]8;;http://x\\x07.ts');
    expect([error.rawGuestMessage, error.rawFile, error.line, error.column]).toEqual([message, file, 7, 9]);
    expect(error.toJSON()).toMatchObject({ guestMessage: error.guestMessage, file: error.file, rawGuestMessage: message, rawFile: file });
    expect(error.stack!.split('\n')[0]).toBe(`GuestAbortError: ${error.message}`);
  });

  it('a 10 KB abort message is shortened in the message and field, kept (up to 4,096 units) raw', () => {
    const sandbox = host.loadSync(abortModule('A'.repeat(10_240), 'f.ts'), { label: 'long.wasm' }).instantiate();
    const error = failure(() => sandbox.call('fail')) as GuestAbortError;
    const shown = `${'A'.repeat(732)}…[3121 chars cut]…${'A'.repeat(243)}…`;
    expect(error.guestMessage).toBe(shown);
    expect(error.message).toBe(`long.wasm: fail(): guest aborted: ${shown} at f.ts:7:9`);
    expect(error.rawGuestMessage).toBe(`${'A'.repeat(4096)}…`);
  });

  it('trap names are escaped and shortened in the message and frames; functionName keeps them exact', async () => {
    const long = 'x'.repeat(MIB);
    const module = await host.load(namesModule(nameSection(functionNames([[0, long], [1, 'caller\x1b[0m\r\n']]))), { label: 'names.wasm' });
    const error = failure(() => module.instantiate().call('trap')) as WasmTrapError;
    const short = `${'x'.repeat(132)}…[1048400 chars cut]…${'x'.repeat(44)}`;
    expect(error.message).toBe(
      `names.wasm: trap() trapped: reached an unreachable instruction in ${short} (V8: "unreachable"); the instance may hold partial state: discard it or create a fresh sandbox`,
    );
    expect(error.guestStack.map((f) => f.name)).toEqual([short, 'caller\\x1b[0m\\x0d\\x0a']);
    expect([module.functionName(0).length, module.functionName(1)]).toEqual([MIB, 'caller\x1b[0m\r\n']);
    expect(JSON.stringify(error.toJSON()).length).toBeLessThan(2000);
  });

  it('every error message is escaped and bounded, whatever it quotes (a 1 MiB export name)', async () => {
    const exportName = `${'e'.repeat(MIB)}\x1b[2J`;
    const bytes = Uint8Array.from([
      ...HEADER,
      ...section(1, [1, 0x60, 0, 0]),
      ...section(3, [1, 0]),
      ...section(7, [1, ...name(exportName), 0x00, 0]),
      ...section(10, [1, ...leb(2), 0, 0x0b]),
    ]);
    const module = await host.load(bytes, { label: 'exports.wasm' });
    const error = failure(() => module.instantiate().call('nope'));
    expect(error.code).toBe('ERR_WASM_EXPORT_NOT_FOUND');
    expect([...error.message].length).toBeLessThanOrEqual(2000);
    expect(error.message).toMatch(/^exports\.wasm has no export named "nope"; functions it exports: e+…\[\d+ chars cut\]…e+\\x1b\[2J$/);
    expect(module.instantiate().call(exportName)).toBeUndefined(); // the exact name still calls it
  });
});

describe('guest text in the flamegraph', () => {
  it('a 1 MiB name and a name with <script> and ESC: bounded and escaped in labels, tooltips and data', () => {
    const long = 'y'.repeat(MIB);
    const hostile = '<script>alert(1)</script>\x1b[31m\u202e';
    const tree = (names: string[]) => {
      const b = new CallTreeBuilder(names, 'instrumented', 'nanoseconds');
      b.enter(0, 0);
      b.enter(1, 10);
      b.exit(1, 60);
      b.exit(0, 100);
      return b.build();
    };
    const svg = renderFlamegraph(tree([long, hostile]), { width: 1200 });
    // The 1 MiB name costs what a 200-character one does: in the data, a tooltip and a label.
    expect(svg.length - renderFlamegraph(tree(['y', 'h']), { width: 1200 }).length).toBeLessThan(1_000);
    expect(svg).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect(svg.match(/<script/g)).toHaveLength(1); // ours only
    const short = `${'y'.repeat(132)}…[1048400 chars cut]…${'y'.repeat(44)}`;
    expect(svg).toContain(`<title>${short} (func[0])\ntotal 100 ns (100.00%)\nself 50 ns (50.00%)\ncalls 1</title>`);
    expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m\\u202e (func[1])\ntotal 50 ns');
    expect(flameData(svg).frames.map((f) => f.name)).toEqual([short, '<script>alert(1)</script>\\x1b[31m\\u202e']);
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="\d+">([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(labels.every((l) => l.length <= 200)).toBe(true);
  });
});

describe('guest text on the command line', () => {
  const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'wasm-sandbox-guest-text-'));
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  // Export `go\x1b[2J` traps in a function with a 1 MiB name; `ok\x1b]0;pwned\x07` returns 1.
  const file = join(dir, 'hostile.wasm');
  const goName = 'go\x1b[2J';
  const okName = 'ok\x1b]0;pwned\x07';
  writeFileSync(
    file,
    Uint8Array.from([
      ...HEADER,
      ...section(1, [2, 0x60, 0, 0, 0x60, 0, 1, 0x7f]),
      ...section(3, [2, 0, 1]),
      ...section(7, [2, ...name(goName), 0x00, 0, ...name(okName), 0x00, 1]),
      ...section(10, [2, ...leb(3), 0, 0x00, 0x0b, ...leb(4), 0, 0x41, 1, 0x0b]),
      ...nameSection(functionNames([[0, `${'z'.repeat(MIB)}\r\nERR_FAKE: all good`]])),
    ]),
  );
  // The tail keeps 44 characters once escaped: 18 z, CR and LF as 4 each, the fake line.
  const short = `${'z'.repeat(132)}…[1048426 chars cut]…${'z'.repeat(18)}\\x0d\\x0aERR_FAKE: all good`;

  it('a trap in a hostile module prints one escaped, bounded line', () => {
    const { status, stderr } = cli('run', file, goName);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `ERR_WASM_TRAP: hostile.wasm: go\\x1b[2J() trapped: reached an unreachable instruction in ${short} (V8: "unreachable"); the instance may hold partial state: discard it or create a fresh sandbox\n`,
    );
  });

  it('a successful run prints the hostile export name escaped in its table', () => {
    const { status, stdout } = cli('run', file, okName);
    expect(status).toBe(0);
    expect(stdout).toContain('result: 1\n');
    expect(stdout).toMatch(/^ok\\x1b\]0;pwned\\x07 +1 +0 /m);
    expect(stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});

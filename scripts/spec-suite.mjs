// Obtains the WebAssembly spec test suite and converts it to wast2json scripts, into
// build/spec/ (git-ignored), for test/spec-suite.test.ts. Run by `npm test` before vitest.
//
// Sources (docs/conformance.md says why these): Debian's source tarballs, the only place CI
// can get them from besides npm, each pinned by SHA-256:
//   - mozjs128: SpiderMonkey's copy of the official suite (core + proposals), as `*.wast.js`
//     scripts that ./spec-suite/spidermonkey-wast.mjs turns back into .wast;
//   - binaryen 108: binaryen's copy (.wast), for the files SpiderMonkey leaves out
//     (binary, imports, linking, elem, data, …).
// Every .wast goes through Debian's wast2json. A command wast2json cannot read is set aside
// with its reason (a module becomes a placeholder the runner skips, so later commands keep
// their targets) and counted by the test; nothing is dropped silently.
//
// The result is reused while the sources, this script and wast2json stay the same. On any
// failure build/spec/manifest.json says `ok: false` and why; the test then fails.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rebuildWast } from './spec-suite/spidermonkey-wast.mjs';
import { blankOut, isModuleForm, moduleName, topLevelForms } from './spec-suite/wast-forms.mjs';
import { exportSignatures } from './spec-suite/wasm-exports.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const specDir = join(root, 'build', 'spec');
const MANIFEST = join(specDir, 'manifest.json');

const DEBIAN = 'http://deb.debian.org/debian/pool/main';
export const SOURCES = [
  {
    id: 'mozjs128',
    url: `${DEBIAN}/m/mozjs128/mozjs128_128.14.0.orig.tar.xz`,
    sha256: '41cca35149710ce45fbabc5fefcf86a01fdf833fdb783941964fca3a55fb72dd',
    bytes: 157263392,
    member: 'firefox-128.14.0/js/src/jit-test/tests/wasm/spec',
  },
  {
    id: 'binaryen108',
    url: `${DEBIAN}/b/binaryen/binaryen_108.orig.tar.gz`,
    sha256: '7fea5013da7f98daeeb6a0a60333e8aa917bcb0b1b418ba8531fe710d09041f2',
    bytes: 4098965,
    member: 'binaryen-version_108/test/spec',
  },
];

class UnconvertibleFile extends Error {}

/** Most wast2json rounds per file while setting aside what it cannot read. */
const MAX_ROUNDS = 400;
/** Most commands blamed for a crash (found by bisection, a dozen runs each) before the file is skipped. */
const MAX_CRASHES = 8;
const PLACEHOLDER_BINARY = '"\\00asm" "\\01\\00\\00\\00"';

function log(message) {
  process.stdout.write(`spec-suite: ${message}\n`);
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function wast2jsonVersion() {
  const run = spawnSync('wast2json', ['--version'], { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error("wast2json is not installed (Debian: apt-get install -y wabt); the spec suite cannot be converted");
  }
  return run.stdout.trim();
}

/** What the cached result was made from: it is reused only when all of it is unchanged. */
function cacheKey(wabtVersion) {
  const hash = createHash('sha256');
  for (const file of ['spec-suite.mjs', 'spec-suite/spidermonkey-wast.mjs', 'spec-suite/wast-forms.mjs', 'spec-suite/wasm-exports.mjs']) {
    hash.update(readFileSync(join(root, 'scripts', file)));
  }
  hash.update(JSON.stringify(SOURCES)).update(wabtVersion);
  return hash.digest('hex');
}

async function download(source, file) {
  if (existsSync(file) && sha256(readFileSync(file)) === source.sha256) return;
  const started = performance.now();
  const response = await fetch(source.url);
  if (!response.ok || response.body === null) throw new Error(`${source.url}: HTTP ${response.status}`);
  await pipeline(Readable.fromWeb(response.body), createWriteStream(file));
  const actual = sha256(readFileSync(file));
  if (actual !== source.sha256) {
    rmSync(file);
    throw new Error(`${source.url}: SHA-256 ${actual}, expected ${source.sha256}`);
  }
  log(`downloaded ${basename(file)} (${(source.bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function extract(source, archive, into) {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const run = spawnSync('tar', ['-xf', archive, '-C', into, source.member], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tar could not extract ${source.member} from ${archive}: ${run.stderr || run.error?.message}`);
  return join(into, source.member);
}

function listFiles(dir, suffix) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(suffix))
    .sort();
}

/**
 * wast2json's complaints about a .wast, by line; undefined when it converted the file. Every
 * feature it knows is on and its validator off: which modules are valid, and which features
 * Node 20 runs, is for V8 to say (the runner asks it); its script checks would also refuse
 * commands whose types SpiderMonkey's scripts left for us to fill in afterwards.
 */
function runWast2json(wastFile, jsonFile) {
  const run = spawnSync('wast2json', ['--enable-all', '--no-check', '-o', basename(jsonFile), basename(wastFile)], { cwd: dirname(jsonFile), encoding: 'utf8' });
  if (run.status === 0) return undefined;
  const errors = [];
  for (const line of (run.stderr ?? '').split('\n')) {
    const match = /^[^:]*:(\d+):\d+: error: (.*)$/.exec(line);
    if (match) errors.push({ line: Number(match[1]), message: match[2] });
  }
  return { errors, stderr: run.stderr || run.error?.message || `exit ${run.status}` };
}

function commandKind(formText) {
  return /^\(\s*([a-z_]+)/.exec(formText)?.[1] ?? 'unknown';
}

/**
 * Converts one .wast into `jsonFile` (plus its .wasm files), setting aside forms wast2json
 * cannot read. Returns what was set aside, keyed by line in `text`.
 */
function convert(text, jsonFile) {
  mkdirSync(dirname(jsonFile), { recursive: true });
  const wastFile = jsonFile.replace(/\.json$/, '.wast');
  const forms = topLevelForms(text);
  const setAside = new Map(); // form index → reason
  let crashes = 0;

  /** The file with set-aside forms replaced (modules by placeholders) and forms from `upTo` on left out. */
  const render = (upTo = forms.length) => {
    let current = '';
    let at = 0;
    forms.forEach((form, index) => {
      current += text.slice(at, form.start);
      const formText = text.slice(form.start, form.end);
      if (index >= upTo) current += blankOut(formText);
      else if (!setAside.has(index)) current += formText;
      else if (isModuleForm(formText)) {
        // Later commands may name this module or expect it as "the current one".
        const name = moduleName(formText);
        current += `(module${name === undefined ? '' : ' ' + name} binary ${PLACEHOLDER_BINARY})` + '\n'.repeat(form.endLine - form.line);
      } else current += blankOut(formText);
      at = form.end;
    });
    return current + text.slice(at);
  };
  const attempt = (upTo) => {
    writeFileSync(wastFile, render(upTo));
    return runWast2json(wastFile, jsonFile);
  };

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const failed = attempt(forms.length);
    if (failed === undefined) {
      rmSync(wastFile);
      return forms.flatMap((form, index) => {
        const reason = setAside.get(index);
        return reason === undefined ? [] : [{ line: form.line, kind: commandKind(text.slice(form.start, form.end)), reason }];
      });
    }
    let progress = false;
    for (const { line, message } of failed.errors) {
      const index = forms.findIndex((form) => form.line <= line && line <= form.endLine);
      if (index >= 0 && !setAside.has(index)) {
        setAside.set(index, `wast2json cannot read it: ${message}`);
        progress = true;
      }
    }
    if (progress) {
      setAsideDependents(text, forms, setAside);
      continue;
    }
    // wast2json failed without naming a line (it crashed): the first form whose prefix fails is to blame.
    let good = 0;
    let bad = forms.length;
    while (bad - good > 1) {
      const middle = (good + bad) >> 1;
      if (attempt(middle) === undefined) good = middle;
      else bad = middle;
    }
    if (++crashes > MAX_CRASHES) throw new UnconvertibleFile(`wast2json crashed on more than ${MAX_CRASHES} of its commands: ${failed.stderr.trim().split('\n').pop()}`);
    if (setAside.has(bad - 1)) throw new UnconvertibleFile(`wast2json fails on it whatever is set aside: ${failed.stderr.slice(0, 400)}`);
    setAside.set(bad - 1, `wast2json fails on it: ${failed.stderr.trim().split('\n').pop()}`);
    setAsideDependents(text, forms, setAside);
  }
  throw new UnconvertibleFile(`still unreadable after ${MAX_ROUNDS} rounds`);
}

const ACTION_TARGET = /^\(\s*(?:assert_\w+\s*\(\s*)?(?:invoke|get)(?:\s+(\$[^\s()"]+))?/;

/**
 * Actions on a module that was set aside go too (wast2json would crash on them): a named
 * module's, or, without a name, the current module's. Its placeholder stays, so `register`
 * still names something and the runner can skip what imports from it.
 */
function setAsideDependents(text, forms, setAside) {
  const definedAt = new Map(); // module name → form index of its latest definition
  let current = -1;
  forms.forEach((form, index) => {
    const formText = text.slice(form.start, form.end);
    if (isModuleForm(formText)) {
      current = index;
      const name = moduleName(formText);
      if (name !== undefined) definedAt.set(name, index);
      return;
    }
    const match = ACTION_TARGET.exec(formText);
    if (match === null || setAside.has(index)) return;
    const target = match[1] === undefined ? current : definedAt.get(match[1]);
    if (target !== undefined && target >= 0 && setAside.has(target)) setAside.set(index, `its module (line ${forms[target].line}) was set aside`);
  });
}

/** `convert`, or a file skipped (with wast2json's reason) when no set of set-aside forms makes it convert. */
function convertOrSkip(name, source, text, jsonFile, skippedFiles) {
  try {
    return convert(text, jsonFile);
  } catch (error) {
    if (!(error instanceof UnconvertibleFile)) throw error;
    skippedFiles.push({ name, source, reason: error.message });
    return undefined;
  }
}

/** JavaScript value → a wast2json value of `type` (what the JS API would have passed). */
function retype(type, raw) {
  if (raw === 'canonical_nan' || raw === 'arithmetic_nan') return { type, value: raw === 'canonical_nan' ? 'nan:canonical' : 'nan:arithmetic' };
  if (raw === null) return { type, value: 'null' };
  const number = Number(raw);
  switch (type) {
    case 'i32':
      return { type, value: String((number | 0) >>> 0) };
    case 'f32':
      return { type, value: String(new Uint32Array(Float32Array.of(number).buffer)[0]) };
    case 'f64':
      return { type, value: String(new BigUint64Array(Float64Array.of(number).buffer)[0]) };
    default:
      return undefined;
  }
}

/** Gives SpiderMonkey-derived commands the types JavaScript left out, from the export's signature. */
function applyFixups(script, jsonFile, fixupsByLine) {
  const dir = dirname(jsonFile);
  const moduleFiles = new Map();
  const problems = [];
  for (const command of script.commands) {
    if (command.type === 'module' && command.name !== undefined) moduleFiles.set(command.name, command.filename);
    const fixups = fixupsByLine.get(command.line);
    if (fixups === undefined || command.action === undefined) continue;
    const file = moduleFiles.get(command.action.module);
    const signature = file === undefined ? undefined : exportSignatures(readFileSync(join(dir, file)))?.get(command.action.field);
    if (signature === undefined) {
      problems.push({ line: command.line, kind: command.type, reason: 'the export’s signature could not be read to type its JavaScript values' });
      command.spec_suite_skipped = problems[problems.length - 1].reason;
      continue;
    }
    for (const { index, raw } of fixups.args) {
      const value = retype(signature.params[index], raw);
      if (value !== undefined) command.action.args[index] = value;
    }
    for (const { index, raw } of fixups.results) {
      const value = retype(signature.results[index], raw);
      if (value !== undefined) command.expected[index] = value;
    }
  }
  return problems;
}

/** Places rebuilt commands in a .wast, remembering which original line each starts at. */
function layOut(commands) {
  let text = '';
  let line = 1;
  const original = new Map(); // synthetic line → original line
  const fixups = new Map(); // synthetic line → fix-ups
  for (const command of commands) {
    original.set(line, command.line);
    if (command.fixups !== undefined) fixups.set(line, command.fixups);
    text += command.text + '\n';
    line += (command.text.match(/\n/g)?.length ?? 0) + 1;
  }
  return { text, original, fixups };
}

function finish(jsonFile, source, name, dropped, relocate, fixupsByLine) {
  const script = JSON.parse(readFileSync(jsonFile, 'utf8'));
  const problems = fixupsByLine === undefined ? [] : applyFixups(script, jsonFile, fixupsByLine);
  const skippedModules = new Map(dropped.filter((d) => d.kind === 'module').map((d) => [d.line, d.reason]));
  for (const command of script.commands) {
    const reason = skippedModules.get(command.line);
    if (command.type === 'module' && reason !== undefined) command.spec_suite_skipped = reason;
    command.line = relocate(command.line);
  }
  for (const entry of dropped) entry.line = relocate(entry.line);
  script.spec_suite = { name, source };
  writeFileSync(jsonFile, JSON.stringify(script));
  // Modules set aside are still commands of the script (placeholders): count them there.
  const setAside = dropped.filter((d) => d.kind !== 'module');
  return { name, source, json: relative(specDir, jsonFile), commands: script.commands.length, dropped: setAside, retypeProblems: problems.length };
}

async function prepare() {
  const wabt = wast2jsonVersion();
  const key = cacheKey(wabt);
  if (existsSync(MANIFEST)) {
    const cached = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    if (cached.ok && cached.key === key) {
      log(`using the converted suite in build/spec (${cached.files.length} files)`);
      return;
    }
  }
  const started = performance.now();
  const downloads = join(specDir, 'downloads');
  mkdirSync(downloads, { recursive: true });
  rmSync(join(specDir, 'json'), { recursive: true, force: true });
  const files = [];
  const skippedFiles = [];

  const [mozjs, binaryen] = SOURCES;
  await download(mozjs, join(downloads, basename(mozjs.url)));
  await download(binaryen, join(downloads, basename(binaryen.url)));

  // SpiderMonkey: spec/ is the core suite; the other folders are proposals.
  const mozDir = extract(mozjs, join(downloads, basename(mozjs.url)), join(specDir, 'src', mozjs.id));
  const core = new Set();
  for (const file of listFiles(mozDir, '.wast.js')) {
    const folder = dirname(file);
    const group = folder === 'spec' ? 'core' : folder;
    const name = `${group}/${basename(file, '.js')}`;
    if (group === 'core') core.add(basename(file, '.js'));
    const rebuilt = rebuildWast(readFileSync(join(mozDir, file), 'utf8'));
    const { text, original, fixups } = layOut(rebuilt.commands);
    const jsonFile = join(specDir, 'json', group, basename(file, '.wast.js') + '.json');
    const converted = convertOrSkip(name, mozjs.id, text, jsonFile, skippedFiles);
    if (converted === undefined) continue;
    const relocate = (line) => original.get(line) ?? line;
    const entry = finish(jsonFile, mozjs.id, name, converted, relocate, fixups);
    entry.dropped.push(...rebuilt.dropped);
    files.push(entry);
  }

  // binaryen: what SpiderMonkey's copy lacks (its own copies of core files are older).
  const binDir = extract(binaryen, join(downloads, basename(binaryen.url)), join(specDir, 'src', binaryen.id));
  for (const file of listFiles(binDir, '.wast')) {
    if (core.has(file)) {
      skippedFiles.push({ name: `binaryen/${file}`, source: binaryen.id, reason: 'superseded by the core copy from mozjs128' });
      continue;
    }
    const jsonFile = join(specDir, 'json', 'binaryen', basename(file, '.wast') + '.json');
    const converted = convertOrSkip(`binaryen/${file}`, binaryen.id, readFileSync(join(binDir, file), 'utf8'), jsonFile, skippedFiles);
    if (converted !== undefined) files.push(finish(jsonFile, binaryen.id, `binaryen/${file}`, converted, (line) => line, undefined));
  }
  rmSync(join(specDir, 'src'), { recursive: true, force: true });

  const manifest = { ok: true, key, wast2json: wabt, sources: SOURCES, files, skippedFiles, seconds: (performance.now() - started) / 1000 };
  writeFileSync(MANIFEST, JSON.stringify(manifest, null, 1));
  const setAside = files.reduce((n, f) => n + f.dropped.length, 0);
  log(`converted ${files.length} files (${files.reduce((n, f) => n + f.commands, 0)} commands; ${setAside} set aside) in ${manifest.seconds.toFixed(1)} s`);
}

try {
  await prepare();
} catch (error) {
  // The test reports this and fails: CI must not pass without the suite.
  mkdirSync(specDir, { recursive: true });
  writeFileSync(MANIFEST, JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) }, null, 1));
  process.stderr.write(`spec-suite: could not prepare the spec suite: ${error instanceof Error ? error.message : String(error)}\n`);
}

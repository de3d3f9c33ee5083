// Builds every bundled guest into build/guests/: assembly/*.ts with asc (options from
// asconfig.json plus a first-line `// asc: …` comment), assembly/wat/*.wat with binaryen;
// and the recorders the library ships, assembly/recorders/*.ts, into build/recorders/.
// Up-to-date outputs are skipped, so running it before every test/demo is cheap.
import { readdir, readFile, stat, mkdir, writeFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'build', 'guests');
const recorderDir = join(root, 'build', 'recorders');
const force = process.argv.includes('--force');

async function mtime(path) {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

async function isFresh(source, output) {
  const built = await mtime(output);
  if (force || built === 0) return false;
  const inputs = [source, join(root, 'asconfig.json'), join(root, 'scripts', 'build-guests.mjs')];
  for (const input of inputs) if ((await mtime(input)) > built) return false;
  return true;
}

function extraFlags(text) {
  const first = text.split('\n', 1)[0] ?? '';
  const match = /^\/\/\s*asc:(.*)$/.exec(first);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}

async function buildAssemblyScript(file, from = join(root, 'assembly'), into = outDir) {
  const source = join(from, file);
  const output = join(into, basename(file, '.ts') + '.wasm');
  if (await isFresh(source, output)) return false;
  const flags = extraFlags(await readFile(source, 'utf8'));
  const args = [source, '--config', join(root, 'asconfig.json'), '--target', 'release', '--outFile', output, ...flags];
  const { error, stderr } = await asc.main(args);
  if (error) throw new Error(`asc failed for ${file}: ${error.message}\n${stderr.toString()}`);
  return true;
}

async function buildText(file) {
  const source = join(root, 'assembly', 'wat', file);
  const output = join(outDir, basename(file, '.wat') + '.wasm');
  if (await isFresh(source, output)) return false;
  const text = await readFile(source, 'utf8');
  const module = binaryen.parseText(text);
  try {
    // A first-line `;; features: reference-types, simd, bulk-memory` comment enables those proposals for one guest only.
    const named = /^;;\s*features:(.*)/.exec(text)?.[1] ?? '';
    const FEATURES = { 'reference-types': binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory, simd: binaryen.Features.SIMD128, 'bulk-memory': binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt };
    const extra = Object.entries(FEATURES).reduce((all, [name, bits]) => (named.includes(name) ? all | bits : all), 0);
    module.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt | binaryen.Features.TailCall | extra);
    if (!module.validate()) throw new Error(`binaryen rejected ${file}`);
    // Hand-written modules ship without a name section on purpose: they exercise index-only naming.
    binaryen.setDebugInfo(false);
    await writeFile(output, module.emitBinary());
  } finally {
    module.dispose();
  }
  return true;
}

// Recorders (assembly/recorders/*.ts) are product wasm, shipped with the library: linked as hook
// imports, they keep per-event bookkeeping inside wasm. No GC runtime: their tables are raw memory.
// A first-line `// asc: …` comment adds flags (the call-tree recorder caps its memory).

async function buildRecorder(file) {
  const source = join(root, 'assembly', 'recorders', file);
  const output = join(recorderDir, basename(file, '.ts') + '.wasm');
  if (await isFresh(source, output)) return false;
  const flags = extraFlags(await readFile(source, 'utf8')).filter((f) => f !== '--runtime' && f !== 'stub' && f !== '--noAssert');
  const args = [source, '--runtime', 'stub', '--optimizeLevel', '3', '--shrinkLevel', '0', '--noAssert', '--outFile', output, ...flags];
  const { error, stderr } = await asc.main(args);
  if (error) throw new Error(`asc failed for recorders/${file}: ${error.message}\n${stderr.toString()}`);
  return true;
}

await mkdir(outDir, { recursive: true });
const sources = (await readdir(join(root, 'assembly'))).filter((f) => f.endsWith('.ts')).sort();
const texts = (await readdir(join(root, 'assembly', 'wat'))).filter((f) => f.endsWith('.wat')).sort();
let built = 0;
for (const file of sources) if (await buildAssemblyScript(file)) built++;
for (const file of texts) if (await buildText(file)) built++;
await mkdir(recorderDir, { recursive: true });
const recorders = (await readdir(join(root, 'assembly', 'recorders'))).filter((f) => f.endsWith('.ts')).sort();
let recordersBuilt = 0;
for (const file of recorders) if (await buildRecorder(file)) recordersBuilt++;
console.log(`recorders: ${recordersBuilt} built, ${recorders.length - recordersBuilt} up to date in build/recorders/`);
console.log(`guests: ${built} built, ${sources.length + texts.length - built} up to date in build/guests/`);

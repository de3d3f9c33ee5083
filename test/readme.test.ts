import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every ```js example in the README runs as written (importing the package by its name,
// which resolves to this checkout's build), and asserts its own results.
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = join(root, 'build', 'readme-examples');

describe('README examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });
  examples.forEach((code, index) => {
    const title = code.split('\n').find((line) => line.includes('wasm-sandbox')) ?? '';
    it(`example ${index + 1} runs (${title.trim().slice(0, 60)})`, () => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `example-${index + 1}.mjs`);
      writeFileSync(file, code);
      const result = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  });
});

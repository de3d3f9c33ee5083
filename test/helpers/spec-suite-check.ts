/**
 * The body of the spec-suite tests: runs the suite under a group of configurations (plain
 * always included) and compares the outcomes with the group's checked-in known
 * disagreements, both ways, so that list can only shrink. Two groups run in two test files
 * (two processes, in parallel): thousands of wasm instances in one process exhaust V8's
 * address-space reservations and it stalls.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readManifest, SPEC_DIR } from './spec-script.js';
import { difference, keyed, runFile, summary, type FileResult, type KnownDisagreements } from './spec-oracle.js';
import { CONFIGURATIONS } from './spec-runner.js';

export function checkConformance(group: string, configurationNames: readonly string[], minSupportedAssertions: number): void {
  const manifest = readManifest();
  // No silent skip: without the suite (no network, no wast2json) this fails, in CI above all.
  expect(manifest.ok, `the spec suite could not be prepared: ${manifest.error ?? ''}`).toBe(true);

  const configurations = CONFIGURATIONS.filter((c) => c.name === 'plain' || configurationNames.includes(c.name));
  const started = performance.now();
  const results: FileResult[] = manifest.files.map((file) => runFile(file, configurations));
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(join(SPEC_DIR, `summary-${group}.md`), summary(results, manifest, seconds, configurations, 5));

  const supported = results.reduce((n, r) => n + r.supported, 0);
  expect(supported, 'assertions run').toBeGreaterThan(minSupportedAssertions);

  const knownPath = fileURLToPath(new URL(`../spec-known-disagreements/${group}.json`, import.meta.url));
  const actual = keyed(results);
  if (process.env['SPEC_SUITE_RECORD'] === '1') {
    writeFileSync(knownPath, JSON.stringify(actual, null, 1) + '\n');
    return;
  }
  const known = JSON.parse(readFileSync(knownPath, 'utf8')) as KnownDisagreements;
  const problems: string[] = [];
  const plain = difference(actual.plain, known.plain);
  if (plain.added.length > 0) problems.push(`plain outcomes missing the spec, not recorded: ${plain.added.slice(0, 20).join(', ')}`);
  if (plain.gone.length > 0) problems.push(`recorded plain failures that now pass (remove them): ${plain.gone.slice(0, 20).join(', ')}`);
  for (const config of new Set([...Object.keys(actual.configurations), ...Object.keys(known.configurations)])) {
    const d = difference(actual.configurations[config] ?? {}, known.configurations[config] ?? {});
    if (d.added.length > 0) problems.push(`${config}: ${d.added.length} new disagreements with plain: ${d.added.slice(0, 20).join(', ')}`);
    if (d.gone.length > 0) problems.push(`${config}: ${d.gone.length} recorded disagreements now agree (remove them): ${d.gone.slice(0, 20).join(', ')}`);
  }
  expect(problems, `see build/spec/summary-${group}.md for the outcomes`).toEqual([]);
}

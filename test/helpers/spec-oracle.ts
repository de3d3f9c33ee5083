/**
 * The conformance oracle's two checks over every script and configuration:
 *  (1) plain vs the spec: every command the harness runs meets the script's expectation;
 *  (2) instrumented vs plain: every configuration's outcome is plain's, exactly (a module the
 *      rewriter refuses is a disagreement, unless the refusal is one the docs promise).
 * Results are keyed `file → command id` (the line, `line.N` for the N-th command on a line)
 * for the checked-in list of known disagreements, and summarised for people.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Manifest } from './spec-script.js';
import { readScript } from './spec-script.js';
import { CONFIGURATIONS, instancesCreated, SpecRunner, type Configuration, type Step } from './spec-runner.js';

// Each wasm memory reserves gigabytes of address space, released only when a full GC collects
// it; thousands of dead instances exhaust the reservation long before the JS heap asks for a
// GC, and V8 then stalls for seconds per allocation. So collect every few hundred instances.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const GC_EVERY_INSTANCES = 400;
let collectedAt = 0;

function collectWasmMemory(): void {
  if (instancesCreated - collectedAt < GC_EVERY_INSTANCES) return;
  gc();
  collectedAt = instancesCreated;
}

/** Refusals docs/instrumentation.md promises: not disagreements, counted apart. */
export const DOCUMENTED_REFUSALS: readonly { readonly pattern: RegExp; readonly doc: string }[] = [
  { pattern: /memory hooks cannot observe v128 accesses/, doc: 'memory hooks refuse modules with SIMD (v128) accesses' },
];

/** `{ file: [command ids] }` */
export type Keyed = Record<string, string[]>;

export interface KnownDisagreements {
  /** Commands whose plain outcome does not meet the spec: host bugs. */
  readonly plain: Keyed;
  /** Per configuration, commands whose outcome differs from plain's. */
  readonly configurations: Record<string, Keyed>;
}

export interface Disagreement {
  readonly id: string;
  readonly step: Step;
  readonly plain: Step;
}

export interface FileResult {
  readonly name: string;
  readonly source: string;
  /** Assertions in the .wast (run, skipped, or set aside while converting). */
  readonly assertions: number;
  /** Assertions run in the plain configuration. */
  readonly supported: number;
  readonly passedPlain: number;
  readonly plainFailures: { readonly id: string; readonly step: Step }[];
  /** Per configuration: supported assertions with plain's outcome, and the commands without. */
  readonly agreeing: Record<string, number>;
  readonly disagreements: Record<string, Disagreement[]>;
  readonly documentedRefusals: Record<string, number>;
  readonly skipReasons: Record<string, number>;
  readonly commands: number;
}

function ids(steps: readonly Step[]): string[] {
  const seen = new Map<number, number>();
  return steps.map((step) => {
    const n = (seen.get(step.line) ?? 0) + 1;
    seen.set(step.line, n);
    return n === 1 ? String(step.line) : `${step.line}.${n}`;
  });
}

const isDocumented = (step: Step): boolean =>
  DOCUMENTED_REFUSALS.some(({ pattern }) => pattern.test(step.detail ?? '') || pattern.test(step.skip ?? ''));

/** A skip reason without its particulars, for tallies. */
function reasonClass(reason: string): string {
  return reason
    .replace(/Node 20's V8 does not compile it: .*?(: |$).*/, "Node 20's V8 does not compile it: $1")
    .replace(/\(line \d+\)/, '')
    .replace(/0x[0-9a-f]+/g, 'N')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 120);
}

export function runFile(manifest: Manifest['files'][number], configurations: readonly Configuration[] = CONFIGURATIONS): FileResult {
  const script = readScript(manifest);
  const runs = new Map(
    configurations.map((config) => {
      const steps = new SpecRunner(script, config).run();
      collectWasmMemory();
      return [config.name, steps];
    }),
  );
  const plain = runs.get('plain')!;
  const keys = ids(plain);
  const setAsideAssertions = manifest.dropped.filter((d) => d.kind.startsWith('assert_')).length;
  const skipReasons: Record<string, number> = {};
  for (const d of manifest.dropped) if (d.kind.startsWith('assert_')) skipReasons[reasonClass(d.reason)] = (skipReasons[reasonClass(d.reason)] ?? 0) + 1;
  const plainFailures: FileResult['plainFailures'] = [];
  let supported = 0;
  let passedPlain = 0;
  plain.forEach((step, i) => {
    if (step.skip !== undefined) {
      if (step.assertion) skipReasons[reasonClass(step.skip)] = (skipReasons[reasonClass(step.skip)] ?? 0) + 1;
      return;
    }
    if (step.assertion) supported++;
    if (step.meetsSpec) {
      if (step.assertion) passedPlain++;
    } else plainFailures.push({ id: keys[i]!, step });
  });
  const agreeing: Record<string, number> = {};
  const disagreements: Record<string, Disagreement[]> = {};
  const documentedRefusals: Record<string, number> = {};
  for (const config of configurations) {
    if (config.name === 'plain') continue;
    const steps = runs.get(config.name)!;
    let agree = 0;
    const differ: Disagreement[] = [];
    let documented = 0;
    plain.forEach((p, i) => {
      const step = steps[i]!;
      if (p.skip !== undefined) return;
      if (step.skip === undefined && step.outcome === p.outcome) {
        if (p.assertion) agree++;
      } else if (isDocumented(step)) documented++;
      else differ.push({ id: keys[i]!, step, plain: p });
    });
    agreeing[config.name] = agree;
    disagreements[config.name] = differ;
    documentedRefusals[config.name] = documented;
  }
  return {
    name: manifest.name,
    source: manifest.source,
    assertions: plain.filter((s) => s.assertion).length + setAsideAssertions,
    supported,
    passedPlain,
    plainFailures,
    agreeing,
    disagreements,
    documentedRefusals,
    skipReasons,
    commands: plain.length + manifest.dropped.length,
  };
}

/** The results as the known-disagreements file records them. */
export function keyed(results: readonly FileResult[]): KnownDisagreements {
  const plain: Keyed = {};
  const configurations: Record<string, Keyed> = {};
  for (const result of results) {
    if (result.plainFailures.length > 0) plain[result.name] = result.plainFailures.map((f) => f.id);
    for (const [config, list] of Object.entries(result.disagreements)) {
      if (list.length === 0) continue;
      (configurations[config] ??= {})[result.name] = list.map((d) => d.id);
    }
  }
  return { plain, configurations };
}

/** Entries in `actual` missing from `known` (new failures) and in `known` missing from `actual` (fixed). */
export function difference(actual: Keyed, known: Keyed): { added: string[]; gone: string[] } {
  const flat = (k: Keyed): Set<string> => new Set(Object.entries(k).flatMap(([file, list]) => list.map((id) => `${file}:${id}`)));
  const a = flat(actual);
  const b = flat(known);
  return { added: [...a].filter((x) => !b.has(x)), gone: [...b].filter((x) => !a.has(x)) };
}

function describe(step: Step): string {
  return step.skip !== undefined ? `skipped (${step.skip})` : `${step.outcome}${step.detail === undefined ? '' : ` — ${step.detail}`}`;
}

/** A Markdown report: per file totals, skip reasons, and the first disagreements of each kind. */
export function summary(results: readonly FileResult[], manifest: Manifest, seconds: number, configurations: readonly Configuration[], examples = 3): string {
  const configs = configurations.filter((c) => c.name !== 'plain').map((c) => c.name);
  const total = (f: (r: FileResult) => number): number => results.reduce((n, r) => n + f(r), 0);
  const lines: string[] = [
    '# Spec suite conformance',
    '',
    `${results.length} files, ${total((r) => r.commands)} commands, ${total((r) => r.assertions)} assertions; ` +
      `${total((r) => r.supported)} run (plain), ${total((r) => r.passedPlain)} passed plain; ${seconds.toFixed(1)} s.`,
    '',
    '| configuration | agreeing with plain | disagreeing commands | documented refusals |',
    '|---|---|---|---|',
    ...configs.map(
      (c) => `| ${c} | ${total((r) => r.agreeing[c] ?? 0)} | ${total((r) => r.disagreements[c]?.length ?? 0)} | ${total((r) => r.documentedRefusals[c] ?? 0)} |`,
    ),
    '',
    '## Skipped assertions by reason',
    '',
  ];
  const reasons: Record<string, number> = {};
  for (const r of results) for (const [k, n] of Object.entries(r.skipReasons)) reasons[k] = (reasons[k] ?? 0) + n;
  for (const [k, n] of Object.entries(reasons).sort((a, b) => b[1] - a[1])) lines.push(`- ${n}: ${k}`);
  lines.push('', `Files not converted: ${manifest.skippedFiles.filter((f) => !f.reason.startsWith('superseded')).map((f) => `${f.name} (${f.reason.slice(0, 80)})`).join('; ') || 'none'}`);
  lines.push('', '## Per file', '', `| file | assertions | supported | passed plain | ${configs.join(' | ')} |`, `|---|---|---|---|${configs.map(() => '---').join('|')}|`);
  for (const r of results) lines.push(`| ${r.name} | ${r.assertions} | ${r.supported} | ${r.passedPlain} | ${configs.map((c) => r.agreeing[c] ?? 0).join(' | ')} |`);
  lines.push('', '## Plain vs spec failures (host)', '');
  for (const r of results) {
    for (const f of r.plainFailures.slice(0, examples)) lines.push(`- ${r.name}:${f.id} ${f.step.type} ${f.step.call ?? ''}: got ${describe(f.step)}`);
    if (r.plainFailures.length > examples) lines.push(`  - … ${r.plainFailures.length - examples} more in ${r.name}`);
  }
  lines.push('', '## Disagreements (instrumented vs plain)', '');
  for (const c of configs) {
    for (const r of results) {
      const list = r.disagreements[c] ?? [];
      if (list.length === 0) continue;
      lines.push(`- **${c}** ${r.name}: ${list.length}`);
      for (const d of list.slice(0, examples)) {
        lines.push(`  - line ${d.id} ${d.step.type} ${d.plain.call ?? ''}: plain ${describe(d.plain)}; ${c} ${describe(d.step)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

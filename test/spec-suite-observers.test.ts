/**
 * Conformance oracle, part 2 (docs/conformance.md): the spec test suite under the passes that
 * observe a guest — entry/exit hooks, memory hooks, allocator hooks — and all passes
 * together; outcomes must equal plain's exactly. Known failures:
 * test/spec-known-disagreements/observers.json; `SPEC_SUITE_RECORD=1` rewrites it.
 */
import { beforeAll, describe, it } from 'vitest';
import { loadInstrumentEngine } from '../src/index.js';
import { checkConformance } from './helpers/spec-suite-check.js';

const MIN_SUPPORTED_ASSERTIONS = 20_000;

beforeAll(() => loadInstrumentEngine());

describe('WebAssembly spec test suite: hooks, memory, allocator, all passes', () => {
  it('every pass reproduces plain exactly, but for the recorded disagreements', { timeout: 600_000 }, () => {
    checkConformance('observers', ['hooks', 'memory', 'allocator', 'all'], MIN_SUPPORTED_ASSERTIONS);
  });
});

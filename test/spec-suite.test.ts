/**
 * Conformance oracle, part 1 (docs/conformance.md): the WebAssembly spec test suite through
 * the host plain (every outcome must meet the spec) and under the passes that bound a guest —
 * fuel, deadline, counters — whose outcomes must equal plain's exactly. Known failures:
 * test/spec-known-disagreements/limits.json; `SPEC_SUITE_RECORD=1` rewrites it.
 */
import { beforeAll, describe, it } from 'vitest';
import { loadInstrumentEngine } from '../src/index.js';
import { checkConformance } from './helpers/spec-suite-check.js';

/** The suite must really run: well over this many assertions run on Node 20 today. */
const MIN_SUPPORTED_ASSERTIONS = 20_000;

beforeAll(() => loadInstrumentEngine());

describe('WebAssembly spec test suite: plain, fuel, deadline, counters', () => {
  it('meets the spec plain, and every pass reproduces plain exactly, but for the recorded disagreements', { timeout: 600_000 }, () => {
    checkConformance('limits', ['fuel', 'deadline', 'counters'], MIN_SUPPORTED_ASSERTIONS);
  });
});

/**
 * Findings on profiles of real guests (not hand-made data): what the rules read is what the
 * host and the profilers produce, and a profile saved and read back analyses the same.
 */
import { describe, expect, it } from 'vitest';
import { GuestProfiler, WasmHost, analyze, parseSavedProfileText, SAVED_PROFILE_SCHEMA } from '../src/index.js';
import { guestPath } from './helpers/guests.js';

const host = new WasmHost();

describe('findings on real guests', () => {
  it('host-imports: a guest asking the host for every item spends its time in (host)', async () => {
    const module = await host.load(guestPath('hostcalls'), { instrument: { hooks: true } });
    const profiler = new GuestProfiler(module, 'instrumented');
    // Each lookup busies the host for ≈20 µs: far more than the guest's loop step and the hooks.
    const lookup = (i: number): number => {
      const until = performance.now() + 0.02;
      while (performance.now() < until);
      return i & 7;
    };
    const sandbox = profiler.instantiate({ imports: { host: { lookup } } });
    expect(sandbox.call('chatty', 200)).toBe(700);
    expect(sandbox.call('quiet', 200)).toBe(700);
    // Without a hook calibration (≈1 s on a busy machine) the share's interval is [0, share].
    const report = analyze({ modules: [{ profile: module.profile(), tree: profiler.tree() }] });
    const found = report.findings.filter((f) => f.id === 'host-imports');
    expect(found.map((f) => f.where)).toEqual([{ module: 'hostcalls.wasm', function: 'assembly/hostcalls/chatty', path: ['assembly/hostcalls/chatty', '(host)'] }]);
    expect(found[0]!.evidence).toContainEqual({ label: 'host calls', value: 200, unit: 'calls' });
    expect(found[0]!.confidence).toMatchObject({ kind: 'interval', low: 0 });
  });

  it('memory-growth: alloc.wasm keeping 400 KiB a call grows its memory, counted exactly', async () => {
    const module = await host.load(guestPath('alloc'));
    const sandbox = module.instantiate();
    for (let i = 0; i < 10; i++) sandbox.call('leak', 100, 4096);
    const profile = module.profile();
    const events = profile.exports[0]!.memory.growthEvents;
    const [finding] = analyze({ modules: [{ profile }] }).findings.filter((f) => f.id === 'memory-growth');
    expect(finding!.evidence[0]).toEqual({ label: 'growth events', value: events, unit: 'calls' });
    expect(events).toBeGreaterThanOrEqual(2);
    expect(finding!.recommendation).toContain(`initial memory of ${Math.ceil(profile.memory.peakBytes / 65536)} pages`);
    expect(finding!.confidence).toEqual({ kind: 'exact' });
  });

  it('a real profile saved and read back gives the same report', async () => {
    const module = await host.load(guestPath('profile'), { instrument: { hooks: true, fuel: true } });
    const profiler = new GuestProfiler(module, 'instructions');
    profiler.instantiate().call('outer', 1000);
    const measured = { profile: module.profile(), tree: profiler.tree(), limits: { fuel: 1_000_000 } };
    const text = JSON.stringify({ schema: SAVED_PROFILE_SCHEMA, savedAt: new Date().toISOString(), modules: [measured] });
    const again = analyze({ modules: parseSavedProfileText(text).modules });
    const direct = analyze({ modules: [measured] });
    expect(again).toEqual(JSON.parse(JSON.stringify(direct)));
    // outer(1000) runs 230,059 instructions of the fuel's 1,000,000: no limit is approached.
    expect(direct.passed.map((p) => p.id)).toContain('limit-approached');
    expect(direct.findings[0]!.evidence[0]).toEqual({ label: 'self weight', value: 230_036, unit: 'instructions' });
  });
});

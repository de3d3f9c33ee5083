import { describe, expect, it } from 'vitest';
import { CallRecorder } from '../src/profiler/build/call-recorder.js';
import { decodeLatencyHistogram, mergeLatency } from '../src/profiler/build/latency-histogram.js';
import { mergeModuleProfiles, MODULE_PROFILE_SCHEMA, type ModuleProfile } from '../src/profiler/model/module-profile.js';

/** Drives a recorder the way the host's call wrappers do, with made-up durations (ns). */
function drive(recorder: CallRecorder, durationsNs: readonly number[]): number {
  let now = 1000; // ms
  let timed = 0;
  for (const ns of durationsNs) {
    if (recorder.countdown > 1) {
      recorder.countdown--;
      recorder.calls++;
    } else {
      recorder.timed(now, now + ns / 1e6);
      timed++;
    }
    now += 1; // 1 ms between call starts
  }
  return timed;
}

describe('CallRecorder timing policy', () => {
  it('times every call while calls are slow', () => {
    const recorder = new CallRecorder('slow', { mode: 'adaptive', thresholdNs: 5000, sampleInterval: 32, warmup: 64 });
    const timed = drive(recorder, Array(500).fill(20_000));
    const profile = recorder.snapshot();
    expect(timed).toBe(500);
    expect(profile.calls).toBe(500);
    expect(profile.latency.count).toBe(500);
    expect(profile.timing).toMatchObject({ timedCalls: 500, sampledCalls: 0 });
    expect(profile.latency.p50).toBeGreaterThanOrEqual(19_980); // HdrHistogram at 3 significant digits: ±0.1 %
    expect(profile.latency.p50).toBeLessThanOrEqual(20_020);
  });

  it('switches fast exports to 1-in-N sampling after the warm-up, keeping exact call counts', () => {
    const recorder = new CallRecorder('fast', { mode: 'adaptive', thresholdNs: 5000, sampleInterval: 32, warmup: 64 });
    const timed = drive(recorder, Array(64 + 32 * 100).fill(100));
    const profile = recorder.snapshot();
    expect(profile.calls).toBe(64 + 3200);
    // 64 warm-up calls, then one timed call in every 32.
    expect(timed).toBe(64 + 100);
    expect(profile.timing).toMatchObject({ timedCalls: 164, sampledCalls: 100 });
    // Each sample stands for 32 calls: the histogram represents every call.
    expect(profile.latency.count).toBe(64 + 3200);
    expect(profile.latency.max).toBe(100);
  });

  it('returns to timing every call as soon as a sampled call is slow', () => {
    const recorder = new CallRecorder('mixed', { mode: 'adaptive', thresholdNs: 5000, sampleInterval: 8, warmup: 4 });
    const durations = [...Array(4 + 8 * 3).fill(100), ...Array(20).fill(9000)];
    const timed = drive(recorder, durations);
    // 4 warm-up + 3 samples, then the first slow call lands on a sample (it is the 8th after
    // the last sample) and every following call is timed.
    expect(recorder.snapshot().latency.max).toBeGreaterThanOrEqual(8990);
    expect(timed).toBeGreaterThanOrEqual(4 + 3 + 13);
    expect(recorder.countdown).toBe(1);
  });

  it("mode 'every' never samples", () => {
    const recorder = new CallRecorder('every', { mode: 'every', thresholdNs: 5000, sampleInterval: 32, warmup: 1 });
    expect(drive(recorder, Array(1000).fill(10))).toBe(1000);
  });

  it('counts failures by code and computes the call rate over the timed window', () => {
    const recorder = new CallRecorder('f', { mode: 'every', thresholdNs: 5000, sampleInterval: 32, warmup: 64 });
    recorder.timed(0, 0.001);
    recorder.failure('ERR_WASM_TRAP', 1, 1.001);
    recorder.failure('ERR_WASM_TRAP');
    recorder.failure('ERR_GUEST_ABORT', 9, 10);
    const profile = recorder.snapshot();
    expect(profile.calls).toBe(4);
    expect(profile.ok).toBe(1);
    expect(profile.errors).toEqual({ ERR_WASM_TRAP: 2, ERR_GUEST_ABORT: 1 });
    // 4 calls between t=0 and t=10 ms.
    expect(profile.callsPerSecond).toBeCloseTo(400, 6);
  });

  it('records memory growth events', () => {
    const recorder = new CallRecorder('g');
    recorder.memoryChanged(65536, 65536 * 3);
    recorder.memoryChanged(65536 * 3, 65536 * 3);
    recorder.memoryChanged(65536 * 3, 65536 * 4);
    expect(recorder.snapshot().memory).toEqual({ growthEvents: 2, bytesGrown: 65536 * 3, bytesBefore: 65536 * 3, bytesAfter: 65536 * 4 });
  });
});

describe('latency histograms', () => {
  it('survive encoding and merge by adding counts', () => {
    const a = new CallRecorder('x', { mode: 'every', thresholdNs: 1, sampleInterval: 2, warmup: 1 });
    const b = new CallRecorder('x', { mode: 'every', thresholdNs: 1, sampleInterval: 2, warmup: 1 });
    for (let i = 1; i <= 100; i++) a.timed(0, i / 1e3); // 1..100 µs
    for (let i = 0; i < 300; i++) b.timed(0, 1); // 1 ms
    const merged = mergeLatency([a.snapshot().latency, b.snapshot().latency]);
    expect(merged.count).toBe(400);
    expect(merged.max).toBeGreaterThanOrEqual(999_000);
    expect(merged.p50).toBeGreaterThanOrEqual(999_000); // 300 of 400 values are 1 ms
    expect(merged.min).toBeGreaterThanOrEqual(999);
    expect(merged.min).toBeLessThanOrEqual(1001);
    const decoded = decodeLatencyHistogram(merged.histogram);
    expect(decoded.totalCount).toBe(400);
    decoded.destroy();
  });
});

describe('mergeModuleProfiles', () => {
  const base = (instances: number, exports: ModuleProfile['exports']): ModuleProfile => ({
    schema: MODULE_PROFILE_SCHEMA,
    module: { id: 'abc', label: 'm.wasm', sizeBytes: 10 },
    instances,
    coldStart: { readMs: 1, hashMs: 0.1, cache: 'miss', compileMs: 2, instantiateMs: 0.3, firstCallMs: 0.01, firstCallExport: 'f' },
    memory: { limitPages: 10, declaredInitialPages: 1, declaredMaximumPages: undefined, capped: true, peakBytes: 65536 * instances },
    cache: { hits: 0, misses: 1, coalesced: 0, evictions: 0, oversize: 0, compileMs: 2, entries: 1, bytes: 10, maxEntries: 64, maxBytes: 1e6 },
    exports,
  });

  it('adds counts and errors, merges histograms, keeps the memory peak', () => {
    const r1 = new CallRecorder('f', { mode: 'every', thresholdNs: 1, sampleInterval: 2, warmup: 1 });
    const r2 = new CallRecorder('f', { mode: 'every', thresholdNs: 1, sampleInterval: 2, warmup: 1 });
    for (let i = 0; i < 10; i++) r1.timed(0, 0.001);
    r2.failure('ERR_WASM_TRAP', 0, 0.002);
    r2.bytesIn = 40;
    const merged = mergeModuleProfiles([base(1, [r1.snapshot()]), base(3, [r2.snapshot()])]);
    expect(merged.instances).toBe(4);
    expect(merged.memory.peakBytes).toBe(65536 * 3);
    const f = merged.exports[0]!;
    expect(f).toMatchObject({ name: 'f', calls: 11, ok: 10, errors: { ERR_WASM_TRAP: 1 }, bytesIn: 40 });
    expect(f.latency.count).toBe(11);
    expect(JSON.parse(JSON.stringify(merged))).toEqual(merged);
  });

  it('refuses to merge different modules', () => {
    expect(() => mergeModuleProfiles([base(1, []), { ...base(1, []), module: { id: 'other', label: 'x', sizeBytes: 1 } }])).toThrow(
      /different modules/,
    );
  });
});

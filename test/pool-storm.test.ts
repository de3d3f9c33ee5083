/**
 * Short versions of the fault storm, saturation burst and close under load that the pool held
 * for minutes (issue 9): every call settles exactly once, with its own value or a typed error
 * of the code its kind of call can have, and the same pool serves a control call afterwards.
 * The long soak, with its memory slope, is bench/pool-soak.ts.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type WasmPool } from '../src/pool/pool.js';
import { guestPath } from './helpers/guests.js';

const crashyImports = fileURLToPath(new URL('./fixtures/crashy-imports.mjs', import.meta.url));
let pool: WasmPool | undefined;
afterEach(async () => {
  await pool?.close({ cancel: true });
  pool = undefined;
});

/** A small seeded PRNG (mulberry32): the same storm every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'ok' | 'trap' | 'crash' | 'interrupted' | 'terminated';
const expectedCode: Record<Exclude<Kind, 'ok'>, string> = {
  trap: 'ERR_WASM_TRAP',
  crash: 'ERR_WORKER_CRASHED',
  interrupted: 'ERR_DEADLINE_EXCEEDED',
  terminated: 'ERR_DEADLINE_EXCEEDED',
};

function shuffled<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const stormModules = {
  crashy: { source: guestPath('crashy'), importsModule: crashyImports },
  trap: guestPath('trap'),
  add: guestPath('add'),
  spin: guestPath('spin'),
  stoppable: { source: guestPath('spin'), instrument: { deadline: true } },
} as const;

/** Makes one call of `kind` (number `n`); resolves with what it settled as, counting settlements. */
function stormCall(p: WasmPool, kind: Kind, n: number, settled: Map<number, number>): Promise<{ n: number; kind: Kind; ok?: unknown; code?: string; message?: string }> {
  const call =
    kind === 'ok' ? p.call('add', 'add', n, 1)
    : kind === 'trap' ? p.call('trap', 'divide', n, 0)
    : kind === 'crash' ? p.call('crashy', 'work', 666)
    : kind === 'interrupted' ? p.invoke('stoppable', 'spinForever', [], { timeoutMs: 20 })
    : p.invoke('spin', 'spinForever', [], { timeoutMs: 20 });
  return call.then(
    (ok) => ({ n, kind, ok }),
    (error: { code?: string; message: string }) => ({ n, kind, code: error.code, message: error.message }),
  ).finally(() => settled.set(n, (settled.get(n) ?? 0) + 1));
}

describe('pool storm', () => {
  it('fault storm: 64 callers, worker deaths, runaways of both kinds and traps; every call settles once with its own outcome', async () => {
    pool = await createPool({ modules: stormModules, threads: 2 });
    await pool.ready();
    const next = random(9);
    const kinds = shuffled(
      [
        ...Array<Kind>(8).fill('crash'),
        ...Array<Kind>(8).fill('terminated'),
        ...Array<Kind>(30).fill('interrupted'),
        ...Array<Kind>(1200).fill('trap'),
        ...Array<Kind>(1800).fill('ok'),
      ],
      next,
    );
    const settled = new Map<number, number>();
    const outcomes: Awaited<ReturnType<typeof stormCall>>[] = [];
    let taken = 0;
    // 64 callers, each awaiting its own calls one after another.
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (taken < kinds.length) {
          const n = taken++;
          outcomes.push(await stormCall(pool!, kinds[n]!, n, settled));
        }
      }),
    );
    expect(outcomes).toHaveLength(kinds.length);
    expect([...settled.values()].every((count) => count === 1)).toBe(true);
    const wrong = outcomes.filter((o) => (o.kind === 'ok' ? o.ok !== o.n + 1 : o.code !== expectedCode[o.kind]));
    expect(wrong).toEqual([]);
    // A worker died for each exit and each runaway that started (one still queued at its deadline never ran).
    const replaced = outcomes.filter((o) => o.kind === 'terminated' && /terminated and replaced/.test(o.message ?? '')).length;
    expect((await pool.profile()).workers.crashes).toBe(8 + replaced);
    // Nothing is left behind, and the same pool still serves.
    expect(await pool.invoke('add', 'add', [40, 2], { timeoutMs: 2000 })).toBe(42);
    const internals = pool as unknown as { links: { inFlight: Map<number, unknown>; outbox: unknown[] }[]; budget: { queued: number } };
    expect(internals.links.map((l) => [l.inFlight.size, l.outbox.length])).toEqual([[0, 0], [0, 0]]);
    expect(internals.budget.queued).toBe(0);
  });

  it('saturation burst: 10,000 calls at once through tiny rings settle once each, answered or ERR_POOL_SATURATED', async () => {
    pool = await createPool({ modules: { add: guestPath('add'), sum: guestPath('sum') }, threads: 2, ringBytes: 4096, maxQueue: 200 });
    await pool.ready();
    const settled = new Map<number, number>();
    const values = Float64Array.from({ length: 600 }, (_, i) => i); // 4.8 KB: streamed through a 4 KiB ring
    const calls = Array.from({ length: 10_000 }, (_, n) =>
      (n % 50 === 0 ? pool!.invoke('sum', 'sumF64', [values], { signature: { params: ['Float64Array'], result: 'f64' } }) : pool!.call('add', 'add', n, 1))
        .then((ok) => ({ n, ok }), (error: { code?: string }) => ({ n, code: error.code }))
        .finally(() => settled.set(n, (settled.get(n) ?? 0) + 1)),
    );
    const outcomes = await Promise.all(calls);
    expect(settled.size).toBe(10_000);
    expect([...settled.values()].every((count) => count === 1)).toBe(true);
    const answered = outcomes.filter((o) => 'ok' in o);
    expect(answered.filter((o) => o.ok !== (o.n % 50 === 0 ? 179_700 : o.n + 1))).toEqual([]);
    expect(outcomes.filter((o) => 'code' in o && o.code !== 'ERR_POOL_SATURATED')).toEqual([]);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(10_000); // the queue bound held
    expect(await pool.invoke('add', 'add', [40, 2], { timeoutMs: 2000 })).toBe(42);
  });

  for (const cancel of [false, true]) {
    it(`close${cancel ? '({ cancel: true })' : '()'} under load: every call settles once; ${cancel ? 'unfinished ones with ERR_POOL_CLOSED' : 'calls made before it finish'}`, async () => {
      const loaded = await createPool({ modules: stormModules, threads: 2 });
      await loaded.ready();
      const next = random(cancel ? 2 : 1);
      const settled = new Map<number, number>();
      const outcomes: Promise<Awaited<ReturnType<typeof stormCall>>>[] = [];
      let n = 0;
      // 64 callers pipelining calls (a few of them poison) until close() has been called.
      let closed = false;
      const callers = Array.from({ length: 64 }, async () => {
        while (!closed) {
          const kind: Kind = next() < 0.01 ? 'crash' : next() < 0.2 ? 'trap' : 'ok';
          const outcome = stormCall(loaded, kind, n++, settled);
          outcomes.push(outcome);
          await outcome;
        }
      });
      while (n < 1000) await new Promise((r) => setImmediate(r));
      closed = true;
      const report = await loaded.close({ cancel });
      await Promise.all(callers);
      const all = await Promise.all(outcomes);
      expect(settled.size).toBe(all.length);
      expect([...settled.values()].every((count) => count === 1)).toBe(true);
      const allowed = (o: (typeof all)[number]): boolean =>
        (o.kind === 'ok' && o.ok === o.n + 1) ||
        (o.kind !== 'ok' && o.code === expectedCode[o.kind]) ||
        (cancel && o.code === 'ERR_POOL_CLOSED');
      expect(all.filter((o) => !allowed(o))).toEqual([]);
      expect(report.unstoppedThreads).toEqual([]);
      await expect(loaded.call('add', 'add', 1, 1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    });
  }
});

/** Saved profiles: what this version reads, and the typed error for what it cannot. */
import { describe, expect, it } from 'vitest';
import { ProfileFormatError } from '../src/errors.js';
import { parseSavedProfile, parseSavedProfileText, SAVED_PROFILE_SCHEMA } from '../src/profiler/model/saved-profile.js';
import { moduleProfile, treeOf } from './helpers/profiles.js';

function failure(action: () => unknown): ProfileFormatError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileFormatError);
    return error as ProfileFormatError;
  }
  throw new Error('expected a failure');
}

describe('saved profiles', () => {
  const tree = treeOf('instructions', 'instructions', [['f', 10, 1]]);
  const saved = { schema: SAVED_PROFILE_SCHEMA, savedAt: '2026-12-01T00:00:00.000Z', modules: [{ profile: moduleProfile('m.wasm'), tree, limits: { fuel: 100 } }] };

  it('round-trips through JSON', () => {
    const back = parseSavedProfileText(JSON.stringify(saved), 'run.json');
    expect(back).toEqual(JSON.parse(JSON.stringify(saved)));
  });

  it('reads a bare module profile (run --json) as one module', () => {
    const back = parseSavedProfile(JSON.parse(JSON.stringify(moduleProfile('m.wasm'))));
    expect(back.modules.map((m) => m.profile.module.label)).toEqual(['m.wasm']);
  });

  const cases: { name: string; text: string; reason: ProfileFormatError['reason']; message: string; found?: string }[] = [
    { name: 'not JSON', text: '{"schema":', reason: 'not-json', message: 'run.json is not JSON: ' },
    { name: 'a newer version', text: JSON.stringify({ ...saved, schema: 'wasm-sandbox/saved-profile@2' }), reason: 'newer-schema', found: 'wasm-sandbox/saved-profile@2', message: 'run.json is wasm-sandbox/saved-profile@2, newer than this version of wasm-sandbox reads (wasm-sandbox/saved-profile@1); upgrade wasm-sandbox to read it' },
    { name: 'an unknown schema', text: JSON.stringify({ schema: 'speedscope@0.6' }), reason: 'unknown-schema', found: 'speedscope@0.6', message: 'run.json has schema speedscope@0.6, which wasm-sandbox does not read (it reads wasm-sandbox/saved-profile@1, wasm-sandbox/module-profile@1)' },
    { name: 'no schema', text: '{"modules":[]}', reason: 'malformed', message: 'run.json has no schema string; expected wasm-sandbox/saved-profile@1' },
    { name: 'a newer module profile inside', text: JSON.stringify({ ...saved, modules: [{ profile: { ...moduleProfile('m'), schema: 'wasm-sandbox/module-profile@7' } }] }), reason: 'newer-schema', found: 'wasm-sandbox/module-profile@7', message: 'run.json: modules[0].profile is wasm-sandbox/module-profile@7, newer than' },
    { name: 'a module without exports', text: JSON.stringify({ ...saved, modules: [{ profile: { ...moduleProfile('m'), exports: 3 } }] }), reason: 'malformed', message: 'run.json: modules[0].profile has no well-formed exports list' },
    { name: 'an array', text: '[]', reason: 'malformed', message: 'run.json is not a JSON object' },
    { name: 'a hostile schema string', text: JSON.stringify({ schema: 'x\u001b[2J@1' }), reason: 'unknown-schema', found: 'x\\x1b[2J@1', message: 'run.json has schema x\\x1b[2J@1' },
  ];
  for (const c of cases) {
    it(`${c.name} → ERR_PROFILE_FORMAT (${c.reason})`, () => {
      const error = failure(() => parseSavedProfileText(c.text, 'run.json'));
      expect(error.code).toBe('ERR_PROFILE_FORMAT');
      expect(error.reason).toBe(c.reason);
      expect(error.message.startsWith(c.message)).toBe(true);
      if (c.found !== undefined) expect(error.found).toBe(c.found);
      expect(error.supported).toEqual(['wasm-sandbox/saved-profile@1', 'wasm-sandbox/module-profile@1']);
    });
  }
});

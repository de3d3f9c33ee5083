// What tests of hostile input share: the error an action threw, and the check that the host
// it was thrown by still serves.
import { expect } from 'vitest';
import type { WasmHost, WasmSandboxError } from '../../src/index.js';
import { guestBytes } from './guests.js';

/** The error `action` throws; fails the test when it returns instead. */
export function failure(action: () => unknown): WasmSandboxError {
  try {
    action();
  } catch (error) {
    return error as WasmSandboxError;
  }
  throw new Error('expected a failure');
}

/** The same host still loads and runs a module, promptly. */
export function expectServes(host: WasmHost): void {
  const started = performance.now();
  expect(host.loadSync(guestBytes('add')).instantiate().call('add', 40, 2)).toBe(42);
  expect(performance.now() - started).toBeLessThan(1000);
}

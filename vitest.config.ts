import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Each file gets a fresh worker: wasm memories and V8 state do not leak between files.
    pool: 'forks',
  },
});

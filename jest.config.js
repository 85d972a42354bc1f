/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  setupFiles: ['reflect-metadata'],
  // A guard against hangs, not a speed limit: CI is a busy 2-core machine where a test that spawns a process or
  // posts hundreds of orders can take a while.
  testTimeout: 120_000,
  maxWorkers: 2,
};

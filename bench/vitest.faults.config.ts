import { configDefaults } from 'vitest/config';
import { omniProject } from '../vitest.shared.js';
import { WAITING_FAULT_SUITES } from './vitest.faults-waits.config.js';

// The fault suites only (`pnpm test:faults`): emulators and the adapter in process, faults injected.
// Not mergeConfig: it would append to the shared `include` instead of replacing it.
const config = omniProject('bench-faults');
config.test = {
  ...config.test,
  include: ['src/**/*.faults.test.ts'],
  // The waiting suites run in a vitest of their own beside this one (run-faults.mjs).
  exclude: [...configDefaults.exclude, ...WAITING_FAULT_SUITES],
  testTimeout: 60_000,
  // One suite at a time: each one loads the machine on purpose.
  fileParallelism: false,
  // Beside, not over, the report of the bench's normal tests (CI adds them up).
  ...(process.env.CI ? { outputFile: { json: 'test-results/faults.json' } } : {}),
};

export default config;

import { omniProject } from '../vitest.shared.js';

// The scale-out fault suite: every service replica its own OS process. Part of `pnpm test:faults` (short mode,
// after the suites that load the machine: run-faults.mjs); `pnpm --filter @omni/bench test:scale-out` runs it alone
// at the full size.
const config = omniProject('bench-scale-out');
config.test = {
  ...config.test,
  include: ['src/**/*.scale.test.ts'],
  testTimeout: 600_000,
  hookTimeout: 600_000,
  fileParallelism: false,
  ...(process.env.CI ? { outputFile: { json: 'test-results/scale-out.json' } } : {}),
};

export default config;

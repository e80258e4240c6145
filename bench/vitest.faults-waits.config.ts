import { omniProject } from '../vitest.shared.js';

// The fault suites that spend their minutes waiting (a 60-second outage and the policy's 2-minute hold; session
// locks and the SDK's reconnects after dropped connections), not loading the machine: `pnpm test:faults` runs them
// beside the others (run-faults.mjs), and side by side with each other, so their waits overlap.
export const WAITING_FAULT_SUITES = [
  'src/faults/outages.faults.test.ts',
  'src/faults/servicebus-drop.faults.test.ts',
];

const config = omniProject('bench-faults-waits');
config.test = {
  ...config.test,
  include: WAITING_FAULT_SUITES,
  testTimeout: 60_000,
  fileParallelism: true,
  // One worker per suite (the default on 2 cores is one worker in all): they wait, they do not compete for CPU.
  maxWorkers: WAITING_FAULT_SUITES.length,
  ...(process.env.CI ? { outputFile: { json: 'test-results/faults-waits.json' } } : {}),
};

export default config;

import { mergeConfig } from 'vitest/config';
import { omniProject } from '../vitest.shared.js';

// `pnpm test` runs the fuzz tests; the fault suites (`*.faults.test.ts`) run on their own: `pnpm test:faults`.
export default mergeConfig(omniProject('bench'), {
  test: {
    exclude: ['**/node_modules/**', '**/dist/**', 'src/**/*.faults.test.ts', 'src/**/*.scale.test.ts'],
  },
});

import { mergeConfig } from 'vitest/config';
import { omniProject } from '../vitest.shared.js';

// The checks live in tests/ (they test the deployment files, not code under src/). Several import the four apps'
// configuration modules (and through them most packages): cold, on a machine busy with the whole `pnpm test`,
// that import alone has taken over 20 s, so these checks get a longer bound than the shared 20 s.
export default mergeConfig(omniProject('infra'), {
  test: { include: ['tests/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});

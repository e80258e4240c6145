import { mergeConfig } from 'vitest/config';
import { omniProject } from '../vitest.shared.js';

// The checks live in tests/ (they test the deployment files, not code under src/).
export default mergeConfig(omniProject('infra'), { test: { include: ['tests/**/*.test.ts'] } });

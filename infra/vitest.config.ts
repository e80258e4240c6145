import { omniProject } from '../vitest.shared.js';

export default omniProject('infra');

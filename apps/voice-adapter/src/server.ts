import { bootService } from '@omni/service-kit';
import { readConfig } from './config.js';
import { createAdapter } from './wiring.js';

await bootService({
  service: 'voice-adapter',
  loadConfig: () => readConfig(),
  build: (config, logger) => createAdapter(config, logger),
});

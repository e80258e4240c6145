import { bootService } from '@omni/service-kit';
import { readConfig } from './config.js';
import { createRouter } from './wiring.js';

await bootService({
  service: 'channel-router',
  loadConfig: () => readConfig(),
  build: (config, logger) => createRouter(config, logger),
});

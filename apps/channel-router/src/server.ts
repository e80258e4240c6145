import { bootService } from '@omni/service-kit';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

await bootService({
  service: 'channel-router',
  loadConfig: () => readConfig(),
  build: (config, logger) => buildApp({ config, logger }),
});

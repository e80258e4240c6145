import { bootService } from '@omni/service-kit';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

await bootService({
  service: 'whatsapp-adapter',
  loadConfig: () => readConfig(),
  build: (config, logger) => buildApp({ config, logger }),
});

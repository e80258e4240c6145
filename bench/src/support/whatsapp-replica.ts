/**
 * One whatsapp-adapter replica as its own OS process: the adapter's real wiring and `bootService` (config from
 * the environment, graceful shutdown), with the {@link EchoDriver} as the model so every answer can be matched to
 * the message it answers. Started by the scale-out fault suite and the mass-event benchmark.
 */
import { bootService } from '@omni/service-kit';
import { readConfig } from '@omni/whatsapp-adapter/dist/config.js';
import { createAdapter } from '@omni/whatsapp-adapter/dist/wiring.js';
import { EchoDriver } from './echo-driver.js';

await bootService({
  service: 'whatsapp-adapter',
  loadConfig: () => readConfig(),
  build: (config, logger) => createAdapter(config, logger, { driver: new EchoDriver() }),
});

import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { bootService } from '@omni/service-kit';
import { buildApp } from './app.js';
import { readConfig } from './config.js';
import { SimulatedLoad } from './simulated-load.js';

await bootService({
  service: 'sandbox',
  loadConfig: () => readConfig(),
  build: (config, logger) => {
    if (config.SERVICEBUS_CONNECTION_STRING === undefined) return buildApp({ config, logger });
    const client = createServiceBusClient({ connectionString: config.SERVICEBUS_CONNECTION_STRING });
    const publisher = new EventPublisher({ client });
    const app = buildApp({ config, logger, load: new SimulatedLoad(publisher) });
    app.addHook('onClose', async () => {
      await publisher.close();
      await client.close();
    });
    return app;
  },
});

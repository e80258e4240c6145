// A minimal service for stack tests: the service kit's app and runService (the same signal handling as the real
// services), with an onClose hook that takes a moment, as draining consumers does.
import { createLogger, createServiceApp, runService } from '@omni/service-kit';

const name = process.env.TINY_SERVICE_NAME ?? 'tiny';
const app = createServiceApp({ service: name, logger: createLogger({ service: name, level: 'info' }) });
app.addHook('onClose', () => new Promise((resolve) => setTimeout(resolve, 200)));
await runService({ app, port: Number(process.env.PORT ?? 0), host: '127.0.0.1', graceMs: 8_000 });

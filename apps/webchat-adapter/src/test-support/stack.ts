import { type AgentStepRequest, type AgentStepResult, OfflineDriver } from '@omni/conversation';
import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { type DirectLineEmulator, startDirectLineEmulator } from '@omni/emulators/directline';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { readConfig } from '../config.js';
import { createAdapter } from '../wiring.js';

/** The offline driver, except `echo ...` (answered `echo: ...`). */
export class ScriptedDriver extends OfflineDriver {
  override async step(request: AgentStepRequest): Promise<AgentStepResult> {
    if (request.input.kind === 'text' && request.input.text.startsWith('echo ')) {
      const usage = { inputTokens: 1, outputTokens: 1 };
      return { text: `echo: ${request.input.text.slice(5)}`, toolCalls: [], usage, model: request.model };
    }
    return super.step(request);
  }
}

/** The adapter on the Service Bus, Cosmos and Direct Line emulators, listening on a free port. */
export interface WebchatStack {
  readonly url: string;
  readonly directLine: DirectLineEmulator;
  readonly bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
  readonly app: FastifyInstance;
  readonly env: Record<string, string>;
  /** A second store on the same Cosmos, for seeding customers and tokens. */
  readonly context: ReturnType<typeof createCustomerContextStore>;
  stop(): Promise<void>;
}

/** Starts the emulators and the adapter (auth disabled, as with the local Direct Line emulator). */
export async function startWebchatStack(): Promise<WebchatStack> {
  const [bus, cosmos, directLine] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startDirectLineEmulator({ port: 0 }),
  ]);
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'w'.repeat(48),
    BOT_AUTH_DISABLED: 'true',
    DIRECTLINE_ENDPOINT: directLine.endpoint,
    LOG_LEVEL: 'silent',
  };
  const config = readConfig(env);
  const app = await createAdapter(config, pino({ level: 'silent' }), { driver: new ScriptedDriver(), env });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;
  directLine.connectBot(`${url}/api/messages`);
  const context = createCustomerContextStore(config);
  return {
    url,
    directLine,
    bus,
    app,
    env,
    context,
    async stop() {
      await app.close();
      await context.close();
      await Promise.all([directLine.stop(), cosmos.stop(), bus.stop()]);
    },
  };
}

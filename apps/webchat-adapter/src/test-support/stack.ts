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

/** The bot's app registration in the tests (the Direct Line emulator plays Entra ID for it). */
export const TEST_BOT = {
  appId: '00000000-0000-0000-0000-0000000b07a1',
  appPassword: 'test-bot-password',
  tenantId: '00000000-0000-0000-0000-00000000d11e',
} as const;

/**
 * Starts the emulators and the adapter, authenticated both ways as in Azure: the Direct Line emulator signs
 * its calls to the bot and checks the bot's connector tokens, from a local OpenID configuration.
 */
export async function startWebchatStack(
  options: { driver?: OfflineDriver; env?: Record<string, string> } = {},
): Promise<WebchatStack> {
  const [bus, cosmos, directLine] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startDirectLineEmulator({ port: 0, bot: TEST_BOT }),
  ]);
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'w'.repeat(48),
    MicrosoftAppId: TEST_BOT.appId,
    MicrosoftAppType: 'SingleTenant',
    MicrosoftAppTenantId: TEST_BOT.tenantId,
    MicrosoftAppPassword: TEST_BOT.appPassword,
    BOT_AUTH_AUTHORITY: directLine.authority ?? '',
    DIRECTLINE_ENDPOINT: directLine.endpoint,
    DIRECTLINE_SECRET: directLine.secret,
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = readConfig(env);
  const app = await createAdapter(config, pino({ level: process.env.STACK_LOG ?? 'silent' }), {
    driver: options.driver ?? new ScriptedDriver(),
    env,
  });
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

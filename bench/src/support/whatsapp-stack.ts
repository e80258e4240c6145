import { type AcsMessagesEmulator, startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { type ServiceBusEmulator, startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createAdapter } from '@omni/whatsapp-adapter/dist/wiring.js';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { EchoDriver } from './echo-driver.js';
import { withLockDuration } from './topology.js';
import { WEBHOOK_SECRET, whatsappConfig } from './whatsapp-config.js';

export { EchoDriver } from './echo-driver.js';
export { withLockDuration } from './topology.js';

/** The whatsapp-adapter (real wiring) on in-process emulators. */
export interface WhatsAppStack {
  readonly bus: ServiceBusEmulator;
  readonly cosmos: CosmosEmulator;
  readonly acs: AcsMessagesEmulator;
  readonly app: FastifyInstance;
  /** The webhook URL with the secret. */
  readonly webhook: string;
  /** Text replies the ACS emulator accepted for a number, oldest first. */
  replies(phone: string): string[];
  /** Closes the adapter and the emulators. */
  stop(): Promise<void>;
}

/** Options: where Cosmos is reached (a fault proxy), a Redis URL, extra settings. */
export interface WhatsAppStackOptions {
  /** Given the Cosmos emulator, the endpoint the adapter uses (e.g. a fault proxy in front of it). */
  cosmosEndpoint?: (cosmos: CosmosEmulator) => Promise<string>;
  /** Given the ACS messages emulator, the endpoint the adapter uses (e.g. a gate in front of it). */
  acsEndpoint?: (acs: AcsMessagesEmulator) => Promise<string>;
  env?: Record<string, string>;
  /** The adapter's logger; silent by default. */
  logger?: Logger;
  /**
   * Lock duration of every queue and subscription (ISO 8601, e.g. `PT5S`); default the topology's. A session
   * orphaned by a dropped connection stays locked until its lock expires, so drop tests shorten it.
   */
  lockDuration?: string;
}

/** Starts the emulators and the adapter on free ports. */
export async function startWhatsAppStack(options: WhatsAppStackOptions = {}): Promise<WhatsAppStack> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({
      amqpPort: 0,
      httpPort: 0,
      ...(options.lockDuration ? { topology: withLockDuration(options.lockDuration) } : {}),
    }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: options.cosmosEndpoint ? await options.cosmosEndpoint(cosmos) : cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    ACS_MESSAGES_CONNECTION_STRING: options.acsEndpoint
      ? acs.connectionString.replace(/endpoint=[^;]+/i, `endpoint=${await options.acsEndpoint(acs)}/`)
      : acs.connectionString,
    WHATSAPP_CHANNEL_REGISTRATION_ID: acs.channelRegistrationId,
    ...options.env,
  };
  const app = await createAdapter(
    whatsappConfig(env),
    options.logger ?? pino({ level: process.env.STACK_LOG_LEVEL ?? 'silent' }),
    {
      driver: new EchoDriver(),
      env: { ...env, LOG_LEVEL: 'silent' },
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    bus,
    cosmos,
    acs,
    app,
    webhook: `http://127.0.0.1:${address.port}/api/events?code=${WEBHOOK_SECRET}`,
    replies: (phone) =>
      acs.messages.whatsapp(phone).map((m) => (m.body.kind === 'text' ? m.body.content : `[${m.body.kind}]`)),
    async stop() {
      await app.close();
      await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
    },
  };
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/**
 * The Service Bus, Cosmos and ACS Advanced Messaging emulators in a process of their own (`fork`), so a
 * benchmark's subject does not share its event loop with them (in process they took ~40 % of a turn's CPU).
 * Answers the parent's `start` with the connection settings, reports each message the ACS emulator accepts
 * (recipient, `preciseNow()` comparable across processes, and the text or `[template]`), and stops on `stop`.
 * `EMULATOR_LOCK_DURATION` (ISO 8601) shortens every lock: a session a killed replica held comes back in seconds.
 */
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import pino from 'pino';
import { preciseNow } from '../load/stats.js';
import { withLockDuration } from '../support/topology.js';
import type { EmulatorHostMessage, EmulatorHostRequest } from './whatsapp-emulators.js';

const send = (message: EmulatorHostMessage) => process.send?.(message);

async function main(): Promise<void> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({
      amqpPort: 0,
      httpPort: 0,
      ...(process.env.EMULATOR_LOCK_DURATION
        ? { topology: withLockDuration(process.env.EMULATOR_LOCK_DURATION) }
        : {}),
      // EMULATOR_LOG_LEVEL=debug: the Service Bus emulator's log (AMQP errors, refused links) on stderr.
      ...(process.env.EMULATOR_LOG_LEVEL
        ? { logger: pino({ level: process.env.EMULATOR_LOG_LEVEL }, pino.destination(2)) }
        : {}),
    }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const store = acs.messages;
  const add = store.add.bind(store);
  store.add = (message) => {
    const body = message.body as { kind?: string; content?: string };
    const text = body.kind === 'text' ? (body.content ?? '') : `[${body.kind ?? 'sms'}]`;
    send({ kind: 'accepted', to: message.to, at: preciseNow(), text });
    add(message);
  };
  process.on('message', (request: EmulatorHostRequest) => {
    if (request.kind !== 'stop') return;
    Promise.all([acs.stop(), cosmos.stop(), bus.stop()]).finally(() => {
      send({ kind: 'stopped' });
      process.exit(0);
    });
  });
  send({
    kind: 'ready',
    settings: {
      serviceBusConnectionString: bus.connectionString,
      serviceBusHttpUrl: bus.httpUrl,
      serviceBusAmqpPort: bus.amqpPort,
      cosmosEndpoint: cosmos.endpoint,
      cosmosKey: cosmos.key,
      acsConnectionString: acs.connectionString,
      acsPort: acs.port,
      channelRegistrationId: acs.channelRegistrationId,
    },
  });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});

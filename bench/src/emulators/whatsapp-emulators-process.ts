/**
 * The Service Bus, Cosmos and ACS Advanced Messaging emulators in a process of their own (`fork`), so a
 * benchmark's subject does not share its event loop with them (in process they took ~40 % of a turn's CPU).
 * Answers the parent's `start` with the connection settings, reports each message the ACS emulator accepts
 * (recipient and `preciseNow()`, comparable across processes), and stops on `stop`.
 */
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { preciseNow } from '../load/stats.js';
import type { EmulatorHostMessage, EmulatorHostRequest } from './whatsapp-emulators.js';

const send = (message: EmulatorHostMessage) => process.send?.(message);

async function main(): Promise<void> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const store = acs.messages;
  const add = store.add.bind(store);
  store.add = (message) => {
    send({ kind: 'accepted', to: message.to, at: preciseNow() });
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

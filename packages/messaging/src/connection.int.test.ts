import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { ServiceBusClient } from '@azure/service-bus';
import { sampleEvent } from '@omni/contracts/testing';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceBusClient } from './connection.js';
import { EventPublisher } from './publisher.js';

type Emulator = Awaited<ReturnType<typeof startServiceBusEmulator>>;

/** Every client socket this process opens, with the `setNoDelay` calls made on it. */
const sockets: { socket: Socket; noDelay: boolean[] }[] = [];
const onClientSocket = (message: unknown) => {
  const { socket } = message as { socket: Socket };
  const entry = { socket, noDelay: [] as boolean[] };
  const setNoDelay = socket.setNoDelay.bind(socket);
  socket.setNoDelay = (noDelay?: boolean) => {
    entry.noDelay.push(noDelay ?? true);
    return setNoDelay(noDelay);
  };
  sockets.push(entry);
};

let emulator: Emulator;
let client: ServiceBusClient | undefined;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({});
  subscribe('net.client.socket', onClientSocket);
});
afterAll(async () => {
  unsubscribe('net.client.socket', onClientSocket);
  await client?.close();
  await emulator?.stop();
});

describe('createServiceBusClient', () => {
  it('opens its AMQP socket with Nagle off (TCP_NODELAY), so small frames do not wait for delayed ACKs', async () => {
    client = createServiceBusClient({ connectionString: emulator.connectionString });
    const publisher = new EventPublisher({ client });
    await publisher.publish(sampleEvent('handoff.requested'));
    await publisher.close();
    const amqp = sockets.filter(({ socket }) => socket.remotePort === emulator.amqpPort);
    expect(amqp.length).toBeGreaterThan(0);
    for (const { noDelay } of amqp) expect(noDelay.at(-1)).toBe(true);
  });
});

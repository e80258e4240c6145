import type { ServiceBusClient, ServiceBusClientOptions } from '@azure/service-bus';
import * as sdk from '@azure/service-bus';
import {
  type ServiceBusEmulator,
  type ServiceBusEmulatorOptions,
  startServiceBusEmulator,
} from '../emulator.js';

/** The real `@azure/service-bus` SDK, as product code uses it. */
export { sdk };

/** Receiver settings of a test queue or subscription (Config.json `Properties`). */
export interface TestReceiverProperties {
  readonly LockDuration?: string;
  readonly MaxDeliveryCount?: number;
  readonly DefaultMessageTimeToLive?: string;
  readonly RequiresSession?: boolean;
  readonly DeadLetteringOnMessageExpiration?: boolean;
  readonly RequiresDuplicateDetection?: boolean;
  readonly DuplicateDetectionHistoryTimeWindow?: string;
}

/** A Config.json with the given queues (short locks keep tests fast). */
export function queuesConfig(queues: Readonly<Record<string, TestReceiverProperties>>): unknown {
  return {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: Object.entries(queues).map(([Name, Properties]) => ({
            Name,
            Properties: { LockDuration: 'PT2S', MaxDeliveryCount: 10, ...Properties },
          })),
          Topics: [],
        },
      ],
      Logging: { Type: 'Console' },
    },
  };
}

/** A running emulator with a client connected to it. */
export interface TestBus {
  readonly emulator: ServiceBusEmulator;
  readonly client: ServiceBusClient;
  close(): Promise<void>;
}

/** Starts an emulator and a client; fast retries so failures surface quickly. */
export async function startTestBus(
  options: ServiceBusEmulatorOptions,
  clientOptions: ServiceBusClientOptions = {},
): Promise<TestBus> {
  const emulator = await startServiceBusEmulator(options);
  const client = new sdk.ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 2, retryDelayInMs: 100, timeoutInMs: 10_000 },
    ...clientOptions,
  });
  return {
    emulator,
    client,
    async close() {
      await client.close();
      await emulator.stop();
    },
  };
}

/** Receives until a receive comes back empty (300 ms), then closes the receiver: everything it could get. */
export async function receiveAll(
  receiver: sdk.ServiceBusReceiver | sdk.ServiceBusSessionReceiver,
): Promise<sdk.ServiceBusReceivedMessage[]> {
  try {
    const received: sdk.ServiceBusReceivedMessage[] = [];
    for (;;) {
      const batch = await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 });
      if (batch.length === 0) return received;
      received.push(...batch);
    }
  } finally {
    await receiver.close();
  }
}

/** Waits until a condition holds (polling), failing after a timeout. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

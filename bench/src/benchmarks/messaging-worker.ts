/**
 * Child process of the messaging benchmark: publishes `count` events to the `escalations` queue and consumes them,
 * either through `@omni/messaging` (EventPublisher / EventConsumer) or through the raw `@azure/service-bus`
 * sender / receiver with the same concurrency, and reports the times.
 */
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { createEvent, newCustomerId } from '@omni/contracts';
import { EventConsumer, EventPublisher } from '@omni/messaging';
import pino from 'pino';
import { preciseNow } from '../load/stats.js';

/** A job for the worker. */
export interface MessagingJob {
  connectionString: string;
  implementation: 'raw' | 'omni';
  count: number;
  /** Sends in flight at once, and messages handled at once. */
  concurrency: number;
  run: number;
}

/** The worker's report. */
export interface MessagingReport {
  publishMs: number;
  endToEndMs: number;
  received: number;
  distinct: number;
}

function events(job: MessagingJob) {
  const customerId = newCustomerId();
  return Array.from({ length: job.count }, (_, index) =>
    createEvent(
      'escalation.requested',
      {
        escalationId: `esc_${job.run}_${index}`,
        customerId,
        channel: 'whatsapp',
        reason: 'customer asked for a person',
        summary: 'Outage at the customer address; wants an estimate.',
        collectedData: { postcode: 'SW1A 1AA' },
        priority: 5,
        requestedAt: new Date().toISOString(),
      },
      { source: '/bench', correlationId: `bench-${job.run}-${index}` },
    ),
  );
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

async function runJob(job: MessagingJob): Promise<MessagingReport> {
  const client = new ServiceBusClient(job.connectionString);
  const all = events(job);
  const seen = new Set<string>();
  let received = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const count = (id: string) => {
    received += 1;
    seen.add(id);
    if (seen.size >= job.count) resolveDone();
  };
  const started = preciseNow();
  let publishMs: number;
  if (job.implementation === 'omni') {
    const publisher = new EventPublisher({ client });
    const consumer = new EventConsumer({
      client,
      source: { queue: 'escalations' },
      handler: async (event) => count(event.id),
      maxConcurrency: job.concurrency,
      logger: pino({ level: 'silent' }),
    });
    consumer.start();
    await inParallel(all, job.concurrency, (event) => publisher.publish(event));
    publishMs = preciseNow() - started;
    await done;
    const endToEndMs = preciseNow() - started;
    await consumer.stop();
    await publisher.close();
    await client.close();
    return { publishMs, endToEndMs, received, distinct: seen.size };
  }
  const sender = client.createSender('escalations');
  const receiver = client.createReceiver('escalations');
  const subscription = receiver.subscribe(
    {
      processMessage: async (message: ServiceBusReceivedMessage) => {
        const body = message.body as { id: string };
        count(body.id);
        await receiver.completeMessage(message);
      },
      processError: async () => {},
    },
    { autoCompleteMessages: false, maxConcurrentCalls: job.concurrency },
  );
  await inParallel(all, job.concurrency, (event) =>
    sender.sendMessages({ messageId: event.id, body: event, contentType: 'application/json' }),
  );
  publishMs = preciseNow() - started;
  await done;
  const endToEndMs = preciseNow() - started;
  await subscription.close();
  await receiver.close();
  await sender.close();
  await client.close();
  return { publishMs, endToEndMs, received, distinct: seen.size };
}

process.on('message', (job: MessagingJob) => {
  runJob(job).then(
    (report) => process.send?.({ ok: true, report }),
    (error: unknown) => process.send?.({ ok: false, error: String(error) }),
  );
});

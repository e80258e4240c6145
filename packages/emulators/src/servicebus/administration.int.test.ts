import { ServiceBusAdministrationClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustCertificate } from '../local-tls.js';
import { startTestBus, type TestBus } from './test-support/fixture.js';

// ServiceBusAdministrationClient speaks ATOM over https to the connection string's endpoint and port (issue #22: it got
// ECONNRESET after ~5 s and queueExists() answered false for an existing queue). The platform's topology (the default).

let bus: TestBus;
let admin: ServiceBusAdministrationClient;
let untrust: () => void;
let queueName: string;

beforeAll(async () => {
  bus = await startTestBus({});
  untrust = trustCertificate(bus.emulator.caCertificatePem);
  admin = new ServiceBusAdministrationClient(bus.emulator.connectionString, {
    retryOptions: { maxRetries: 0 },
  });
  queueName = bus.emulator.broker.allQueues()[0]?.name ?? '';
});

afterAll(async () => {
  untrust?.();
  await bus?.close();
});

describe('ServiceBusAdministrationClient against the emulator', () => {
  it('answers queueExists / topicExists / subscriptionExists honestly', async () => {
    expect(await admin.queueExists(queueName)).toBe(true);
    expect(await admin.queueExists('no-such-queue')).toBe(false);
    expect(await admin.topicExists('queue-events')).toBe(true);
    expect(await admin.subscriptionExists('queue-events', 'voice-adapter')).toBe(true);
    expect(await admin.subscriptionExists('queue-events', 'nobody')).toBe(false);
  });

  it('gets a queue with its configured properties, and 404s (MessageEntityNotFoundError) an unknown one', async () => {
    const settings = bus.emulator.broker.allQueues()[0]?.settings;
    const queue = await admin.getQueue(queueName);

    expect(queue).toMatchObject({
      name: queueName,
      requiresSession: settings?.requiresSession,
      maxDeliveryCount: settings?.maxDeliveryCount,
      status: 'Active',
      maxMessageSizeInKilobytes: 256,
    });
    expect(queue.lockDuration).toMatch(/^PT/);
    await expect(admin.getQueue('no-such-queue')).rejects.toMatchObject({
      code: 'MessageEntityNotFoundError',
    });
  });

  it('lists queues, topics and subscriptions, page by page', async () => {
    const queues: string[] = [];
    for await (const queue of admin.listQueues()) queues.push(queue.name);
    const topics: string[] = [];
    for await (const page of admin.listTopics().byPage({ maxPageSize: 1 }))
      topics.push(...page.map((t) => t.name));
    const subscriptions: string[] = [];
    for await (const sub of admin.listSubscriptions('queue-events')) subscriptions.push(sub.subscriptionName);

    expect(queues.sort()).toEqual(
      bus.emulator.broker
        .allQueues()
        .map((q) => q.name)
        .sort(),
    );
    expect(topics.sort()).toEqual(
      bus.emulator.broker
        .allTopics()
        .map((t) => t.name)
        .sort(),
    );
    expect(subscriptions.sort()).toEqual(['channel-router', 'voice-adapter']);
  });

  it('gives runtime counts from the broker', async () => {
    const sender = bus.client.createSender(queueName);
    const requiresSession = bus.emulator.broker.allQueues()[0]?.settings.requiresSession;
    try {
      await sender.sendMessages({ body: 'counted', ...(requiresSession ? { sessionId: 's1' } : {}) });
    } finally {
      await sender.close();
    }

    const runtime = await admin.getQueueRuntimeProperties(queueName);

    expect(runtime).toMatchObject({ name: queueName, activeMessageCount: 1, totalMessageCount: 1 });
  });

  it('refuses what it does not emulate with 501 NotImplemented and the reason, at once', async () => {
    const error = await admin.createQueue('new-queue').catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'RestError', statusCode: 501, code: 'NotImplemented' });
    expect((error as Error).message).toContain('come from its config');
    await expect(admin.getNamespaceProperties()).rejects.toMatchObject({ statusCode: 501 });
  });

  it('refuses a request signed with another key (401)', async () => {
    const forged = new ServiceBusAdministrationClient(
      bus.emulator.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=wrong'),
      { retryOptions: { maxRetries: 0 } },
    );

    await expect(forged.getQueue(queueName)).rejects.toMatchObject({
      statusCode: 401,
      code: 'UnauthorizedRequestError',
    });
  });
});

import type { ServiceBusError, ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesConfig, sdk, startTestBus, type TestBus } from './test-support/fixture.js';

let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({
    config: queuesConfig({
      ordered: { RequiresSession: true, LockDuration: 'PT5S' },
      exclusive: { RequiresSession: true },
      renewal: { RequiresSession: true, LockDuration: 'PT2S' },
      state: { RequiresSession: true },
      release: { RequiresSession: true },
    }),
  });
});

afterAll(async () => {
  await bus?.close();
});

describe('sessions', () => {
  it('keeps send order within each session with two concurrent acceptNextSession loops, one holder per session', async () => {
    const sessions = ['s-a', 's-b', 's-c'];
    const perSession = 20;
    const sender = bus.client.createSender('ordered');
    const messages = [];
    for (let index = 0; index < perSession; index += 1) {
      for (const sessionId of sessions) messages.push({ body: { sessionId, index }, sessionId });
    }
    await sender.sendMessages(messages);
    await sender.close();

    // A client whose acceptNextSession gives up quickly once everything is consumed.
    const client = new sdk.ServiceBusClient(bus.emulator.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 1500 },
    });
    const received = new Map<string, number[]>(sessions.map((sessionId) => [sessionId, []]));
    const held = new Set<string>();
    const acceptedBy = new Map<string, Set<string>>();
    let total = 0;
    const violations: string[] = [];

    const loop = async (name: string) => {
      while (total < sessions.length * perSession) {
        let receiver: Awaited<ReturnType<typeof client.acceptNextSession>>;
        try {
          receiver = await client.acceptNextSession('ordered', { maxAutoLockRenewalDurationInMs: 0 });
        } catch (error) {
          if ((error as ServiceBusError).code === 'ServiceTimeout') continue;
          throw error;
        }
        const { sessionId } = receiver;
        if (held.has(sessionId)) violations.push(`${sessionId} held twice`);
        held.add(sessionId);
        acceptedBy.set(sessionId, (acceptedBy.get(sessionId) ?? new Set()).add(name));
        const batch: ServiceBusReceivedMessage[] = await receiver.receiveMessages(7, {
          maxWaitTimeInMs: 200,
        });
        for (const message of batch) {
          const body = message.body as { sessionId: string; index: number };
          if (body.sessionId !== sessionId)
            violations.push(`${body.sessionId} message in session ${sessionId}`);
          received.get(body.sessionId)?.push(body.index);
          await receiver.completeMessage(message);
          total += 1;
        }
        held.delete(sessionId);
        await receiver.close();
      }
    };

    try {
      await Promise.all([loop('first'), loop('second')]);
    } finally {
      await client.close();
    }
    expect(violations).toEqual([]);
    for (const sessionId of sessions) {
      expect(received.get(sessionId)).toEqual(Array.from({ length: perSession }, (_, index) => index));
    }
    // Sessions are re-accepted after each batch of 7, so both loops took part.
    expect(new Set([...acceptedBy.values()].flatMap((names) => [...names])).size).toBe(2);
  }, 30_000);

  it('a named session held by one receiver cannot be accepted by another', async () => {
    const sender = bus.client.createSender('exclusive');
    await sender.sendMessages({ body: 'mine', sessionId: 'only-one' });
    await sender.close();
    const first = await bus.client.acceptSession('exclusive', 'only-one');
    const error = await bus.client.acceptSession('exclusive', 'only-one').then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    expect(error?.code).toBe('SessionCannotBeLocked');
    // The held session is not offered as "next" either: with nothing else available, the wait times out.
    const quick = new sdk.ServiceBusClient(bus.emulator.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 1000 },
    });
    const next = await quick.acceptNextSession('exclusive').then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    await quick.close();
    expect(next?.code).toBe('ServiceTimeout');
    await first.close();
    const second = await bus.client.acceptSession('exclusive', 'only-one', {
      receiveMode: 'receiveAndDelete',
    });
    const [message] = await second.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(message?.body).toBe('mine');
    await second.close();
  }, 15_000);

  it('renews the session lock so the receiver outlives the lock duration', async () => {
    const sender = bus.client.createSender('renewal');
    await sender.sendMessages({ body: 'late', sessionId: 'long-session' });
    await sender.close();
    const receiver = await bus.client.acceptSession('renewal', 'long-session', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    const initial = receiver.sessionLockedUntilUtc.getTime();
    expect(initial - Date.now()).toBeGreaterThan(1000);
    expect(initial - Date.now()).toBeLessThanOrEqual(2100);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const renewed = await receiver.renewSessionLock();
    expect(renewed.getTime()).toBeGreaterThan(initial + 1000);
    expect(receiver.sessionLockedUntilUtc.getTime()).toBe(renewed.getTime());
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, initial - Date.now() + 300)));
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(message?.body).toBe('late');
    if (message !== undefined) await receiver.completeMessage(message);
    await receiver.close();
  }, 10_000);

  it('an unrenewed session lock expires: the receiver loses the session and another can take it', async () => {
    const sender = bus.client.createSender('renewal');
    await sender.sendMessages({ body: 'abandoned', sessionId: 'lapsed' });
    await sender.close();
    const receiver = await bus.client.acceptSession('renewal', 'lapsed', {
      maxAutoLockRenewalDurationInMs: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 2300));
    const lost = await receiver.renewSessionLock().then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    expect(lost?.code).toBe('SessionLockLost');
    const other = await bus.client.acceptSession('renewal', 'lapsed', { receiveMode: 'receiveAndDelete' });
    const [message] = await other.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(message?.body).toBe('abandoned');
    await other.close();
    await receiver.close();
  }, 10_000);

  it('stores and returns session state', async () => {
    const receiver = await bus.client.acceptSession('state', 'stateful');
    expect(await receiver.getSessionState()).toBeNull();
    await receiver.setSessionState({ step: 2 });
    expect(await receiver.getSessionState()).toEqual({ step: 2 });
    await receiver.close();
    const again = await bus.client.acceptSession('state', 'stateful');
    expect(await again.getSessionState()).toEqual({ step: 2 });
    await again.close();
  });

  it('closing a session receiver releases its unsettled messages to the next holder', async () => {
    const sender = bus.client.createSender('release');
    await sender.sendMessages([
      { body: 1, sessionId: 'handover' },
      { body: 2, sessionId: 'handover' },
    ]);
    await sender.close();
    const first = await bus.client.acceptNextSession('release', { maxAutoLockRenewalDurationInMs: 0 });
    expect(first.sessionId).toBe('handover');
    const taken = await first.receiveMessages(2, { maxWaitTimeInMs: 500 });
    expect(taken.map((message) => message.body)).toEqual([1, 2]);
    await first.close();
    const second = await bus.client.acceptSession('release', 'handover');
    const again = await second.receiveMessages(2, { maxWaitTimeInMs: 500 });
    expect(again.map((message) => [message.body, message.deliveryCount])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    for (const message of again) await second.completeMessage(message);
    await second.close();
  });

  it('refuses a plain receiver on a session-enabled queue', async () => {
    const receiver = bus.client.createReceiver('state');
    const error = await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }).then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    expect(error).toBeDefined();
    await receiver.close();
  });
});

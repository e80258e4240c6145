import type { ServiceBusClient, ServiceBusSessionReceiver } from '@azure/service-bus';
import { type ServiceBusTopology, serviceBusTopology } from '@omni/contracts';
import { type ConsumerSource, sourcePath } from './consumer.js';

/** The outcome of {@link PendingSessions.purge}. */
export interface PendingSessionsPurge {
  /** Messages removed per entity path (entities with none are left out). */
  readonly removed: Record<string, number>;
  /** `<entity>#<n>` of sessions a consumer held at the time (their messages reach it; it must drop them). */
  readonly busy: string[];
}

/** Options of {@link PendingSessions}. */
export interface PendingSessionsOptions {
  client: ServiceBusClient;
  topology?: ServiceBusTopology;
  /** How long one receive waits for more messages of a session, ms. Default 300. */
  receiveWaitMs?: number;
}

/** Every session-enabled queue and subscription of a topology. */
function sessionSources(topology: ServiceBusTopology): ConsumerSource[] {
  return [
    ...topology.queues.filter((queue) => queue.requiresSession).map((queue) => ({ queue: queue.name })),
    ...topology.topics.flatMap((topic) =>
      topic.subscriptions
        .filter((subscription) => subscription.requiresSession)
        .map((subscription) => ({ topic: topic.name, subscription: subscription.name })),
    ),
  ];
}

/**
 * Pending (not yet delivered) messages of given sessions, removed from every session-enabled entity: sessions are
 * keyed by customer (or by the sender's identity for inbound messages), so a customer's pending messages can be
 * taken out without touching anyone else's. Used by erasure. A session a consumer holds at that moment cannot be
 * locked: it is reported as busy (the consumer gets those messages and must drop them).
 */
export class PendingSessions {
  readonly #client: ServiceBusClient;
  readonly #sources: ConsumerSource[];
  readonly #receiveWaitMs: number;

  constructor(options: PendingSessionsOptions) {
    this.#client = options.client;
    this.#sources = sessionSources(options.topology ?? serviceBusTopology);
    this.#receiveWaitMs = options.receiveWaitMs ?? 300;
  }

  /** The entity paths it purges. */
  get entities(): string[] {
    return this.#sources.map(sourcePath);
  }

  /** Removes every pending message of the sessions `sessionIds` from every session-enabled entity. */
  async purge(sessionIds: readonly string[]): Promise<PendingSessionsPurge> {
    const removed: Record<string, number> = {};
    const busy: string[] = [];
    for (const source of this.#sources) {
      const entity = sourcePath(source);
      for (const [index, sessionId] of sessionIds.entries()) {
        let receiver: ServiceBusSessionReceiver;
        try {
          receiver =
            'queue' in source
              ? await this.#client.acceptSession(source.queue, sessionId)
              : await this.#client.acceptSession(source.topic, source.subscription, sessionId);
        } catch {
          busy.push(`${entity}#${index}`);
          continue;
        }
        try {
          for (;;) {
            const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: this.#receiveWaitMs });
            if (batch.length === 0) break;
            for (const message of batch) await receiver.completeMessage(message);
            removed[entity] = (removed[entity] ?? 0) + batch.length;
          }
        } finally {
          await receiver.close();
        }
      }
    }
    return { removed, busy };
  }
}

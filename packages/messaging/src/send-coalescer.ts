import type { ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';

/** Thrown when one message does not fit in an empty batch. */
export class MessageTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageTooLargeError';
  }
}

interface Waiting {
  readonly message: ServiceBusMessage;
  readonly sent: () => void;
  readonly failed: (error: unknown) => void;
}

interface Lane {
  readonly sender: ServiceBusSender;
  /** Messages that arrived while a send was in flight, in arrival order. */
  queue: Waiting[];
  sending: boolean;
}

/**
 * Sends messages one batch at a time per lane (an entity, and on session entities one session of it), and while a
 * batch is in flight collects what arrives for that lane into the next batch. A lone message goes out at once,
 * as a plain send would; under load, N concurrent publishes to one lane cost one round trip per batch instead of N
 * sends. Order within a lane is arrival order. Each caller's promise settles with the batch that carried its
 * message: resolved once the broker accepted it, rejected with the batch's error (nothing of that batch is
 * assumed sent; callers retry as they would a failed send).
 *
 * Lanes are per session on session entities because a batch is one transfer to one partition: on partitioned
 * entities Service Bus refuses a batch whose messages carry different session ids.
 */
export class SendCoalescer {
  readonly #lanes = new Map<string, Lane>();

  /** Sends `message` on `sender`, batched with other messages of the same lane that wait meanwhile. */
  send(sender: ServiceBusSender, message: ServiceBusMessage): Promise<void> {
    const key = `${sender.entityPath}\u0000${message.sessionId ?? ''}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { sender, queue: [], sending: false };
      this.#lanes.set(key, lane);
    }
    const current = lane;
    return new Promise<void>((sent, failed) => {
      current.queue.push({ message, sent, failed });
      if (!current.sending) void this.#drain(key, current);
    });
  }

  /** Sends batches from the lane until its queue is empty, then forgets the lane. Every caller is settled. */
  async #drain(key: string, lane: Lane): Promise<void> {
    lane.sending = true;
    try {
      while (lane.queue.length > 0) {
        const waiting = lane.queue;
        lane.queue = [];
        try {
          await this.#sendAll(lane.sender, waiting);
        } catch (error) {
          // Unexpected: settle whoever is still waiting on this round rather than leave them hanging.
          for (const item of waiting) item.failed(error);
        }
      }
    } finally {
      lane.sending = false;
      if (lane.queue.length === 0) this.#lanes.delete(key);
      else void this.#drain(key, lane);
    }
  }

  /** Sends `waiting` in as few batches as fit, in order; settles each caller with its batch. */
  async #sendAll(sender: ServiceBusSender, waiting: readonly Waiting[]): Promise<void> {
    if (waiting.length === 1) {
      const [only] = waiting as [Waiting];
      await sender.sendMessages(only.message).then(only.sent, only.failed);
      return;
    }
    let index = 0;
    while (index < waiting.length) {
      let batch: ServiceBusMessageBatch;
      try {
        batch = await sender.createMessageBatch();
      } catch (error) {
        for (const rest of waiting.slice(index)) rest.failed(error);
        return;
      }
      const inBatch: Waiting[] = [];
      while (index < waiting.length) {
        const next = waiting[index] as Waiting;
        let added: boolean;
        try {
          added = batch.tryAddMessage(next.message);
        } catch (error) {
          // A message the SDK refuses (e.g. a property out of range) fails alone; the others go on.
          next.failed(error);
          index += 1;
          continue;
        }
        if (!added) break;
        inBatch.push(next);
        index += 1;
      }
      if (inBatch.length === 0) {
        const tooLarge = waiting[index] as Waiting;
        tooLarge.failed(
          new MessageTooLargeError(
            `message ${String(tooLarge.message.messageId)} is larger than a Service Bus message may be`,
          ),
        );
        index += 1;
        continue;
      }
      try {
        await sender.sendMessages(batch);
        for (const item of inBatch) item.sent();
      } catch (error) {
        for (const item of inBatch) item.failed(error);
      }
    }
  }
}

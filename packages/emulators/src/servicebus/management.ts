import rhea from 'rhea';
import { type AmqpMessage, listFrom, lockTokenFrom, longFrom } from './amqp-values.js';
import { type Broker, notFound } from './broker.js';
import {
  BrokerError,
  type BrokeredMessage,
  type Disposition,
  type Entity,
  MESSAGE_STATE_CODES,
} from './entity.js';

/** A reply to a request on `$management` or `$cbs`: status plus body. */
export interface ManagementReply {
  readonly statusCode: number;
  readonly description: string;
  readonly condition?: string;
  readonly body?: unknown;
}

/**
 * The message a receiver gets for a brokered message: the message as sent plus the broker's annotations
 * (`x-opt-sequence-number`, `x-opt-enqueued-time`, `x-opt-locked-until`, `x-opt-lock-token`,
 * `x-opt-message-state`) and the `delivery-count` header.
 */
export function deliveryMessage(
  message: BrokeredMessage,
  lock: { token: string; lockedUntil: number } | undefined,
): AmqpMessage {
  const annotations: Record<string, unknown> = {
    ...(message.amqp.message_annotations ?? {}),
    'x-opt-sequence-number': rhea.types.wrap_long(message.sequenceNumber),
    'x-opt-enqueued-time': new Date(message.enqueuedAt),
    'x-opt-message-state': rhea.types.wrap_int(MESSAGE_STATE_CODES[message.state]),
  };
  if (lock !== undefined) {
    annotations['x-opt-locked-until'] = new Date(lock.lockedUntil);
    annotations['x-opt-lock-token'] = rhea.types.wrap_uuid(rhea.string_to_uuid(lock.token));
  }
  return { ...message.amqp, delivery_count: message.deliveryCount, message_annotations: annotations };
}

function ok(body?: unknown): ManagementReply {
  return { statusCode: 200, description: 'Success', ...(body === undefined ? {} : { body }) };
}

function fail(error: unknown): ManagementReply {
  if (error instanceof BrokerError) {
    return { statusCode: error.statusCode, description: error.message, condition: error.condition };
  }
  return {
    statusCode: 500,
    description: error instanceof Error ? error.message : String(error),
    condition: 'amqp:internal-error',
  };
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function sequenceNumbers(body: unknown): number[] {
  return listFrom(field(body, 'sequence-numbers')).map((value) => {
    const number = longFrom(value);
    if (number === undefined)
      throw new BrokerError('com.microsoft:argument-error', 'Invalid sequence number.');
    return number;
  });
}

function lockTokens(body: unknown): string[] {
  return listFrom(field(body, 'lock-tokens')).map((value) => {
    const token = lockTokenFrom(value);
    if (token === undefined) throw new BrokerError('com.microsoft:argument-error', 'Invalid lock token.');
    return token;
  });
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function dispositionOf(body: unknown): Disposition {
  const status = field(body, 'disposition-status');
  const modified = field(body, 'properties-to-modify');
  const properties =
    typeof modified === 'object' && modified !== null ? (modified as Record<string, unknown>) : undefined;
  switch (status) {
    case 'completed':
      return { kind: 'complete' };
    case 'abandoned':
      return { kind: 'abandon', ...(properties === undefined ? {} : { properties }) };
    case 'defered':
    case 'deferred':
      return { kind: 'defer', ...(properties === undefined ? {} : { properties }) };
    case 'suspended': {
      const reason = optionalString(field(body, 'deadletter-reason'));
      const description = optionalString(field(body, 'deadletter-description'));
      return {
        kind: 'deadLetter',
        ...(reason === undefined ? {} : { reason }),
        ...(description === undefined ? {} : { description }),
        ...(properties === undefined ? {} : { properties }),
      };
    }
    default:
      throw new BrokerError(
        'com.microsoft:argument-error',
        `Unknown disposition status '${String(status)}'.`,
      );
  }
}

/**
 * The `<entity>/$management` request/response node: the `com.microsoft:*` operations the SDK uses (peek,
 * lock renewal, scheduling, deferred messages, settlement by lock token, sessions).
 */
export class ManagementNode {
  constructor(private readonly broker: Broker) {}

  /** Answers one request sent to `<entityPath>/$management`. */
  handle(entityPath: string, request: AmqpMessage): ManagementReply {
    const operation = field(request.application_properties, 'operation');
    try {
      const target = this.broker.resolve(entityPath);
      if (target === undefined) throw notFound(this.broker.namespace, entityPath);
      const { body } = request;
      if (operation === 'com.microsoft:schedule-message') return this.schedule(entityPath, body);
      if (operation === 'com.microsoft:cancel-scheduled-message') {
        this.broker.cancelScheduled(entityPath, sequenceNumbers(body));
        return ok();
      }
      if (target.kind === 'topic') {
        throw new BrokerError(
          'amqp:not-allowed',
          `Operation ${String(operation)} is not supported on a topic.`,
        );
      }
      const entity = target.entity;
      switch (operation) {
        case 'com.microsoft:peek-message':
          return this.peek(entity, body);
        case 'com.microsoft:renew-lock':
          return ok({ expirations: lockTokens(body).map((token) => new Date(entity.renewLock(token))) });
        case 'com.microsoft:receive-by-sequence-number':
          return this.receiveBySequenceNumber(entity, body);
        case 'com.microsoft:update-disposition': {
          const disposition = dispositionOf(body);
          for (const token of lockTokens(body)) entity.settle(token, disposition);
          return ok();
        }
        case 'com.microsoft:renew-session-lock':
          return ok({ expiration: new Date(entity.renewSessionLock(this.sessionId(body))) });
        case 'com.microsoft:get-session-state': {
          const state = entity.sessionState(this.sessionId(body));
          return ok({ 'session-state': state ?? null });
        }
        case 'com.microsoft:set-session-state': {
          const state = field(body, 'session-state');
          entity.setSessionState(this.sessionId(body), Buffer.isBuffer(state) ? state : undefined);
          return ok();
        }
        case 'com.microsoft:get-message-sessions': {
          const ids = entity.sessionIds();
          return ids.length === 0
            ? { statusCode: 204, description: 'No Content', body: {} }
            : ok({ 'sessions-ids': ids, skip: 0 });
        }
        default:
          throw new BrokerError(
            'amqp:not-implemented',
            `The emulator does not implement the management operation '${String(operation)}'.`,
            501,
          );
      }
    } catch (error) {
      return fail(error);
    }
  }

  private sessionId(body: unknown): string {
    const id = field(body, 'session-id');
    if (typeof id !== 'string')
      throw new BrokerError('com.microsoft:argument-error', 'session-id is required.');
    return id;
  }

  private peek(entity: Entity, body: unknown): ManagementReply {
    const from = longFrom(field(body, 'from-sequence-number')) ?? 1;
    const count = longFrom(field(body, 'message-count')) ?? 1;
    const sessionId = optionalString(field(body, 'session-id'));
    const messages = entity.peek(from, count, sessionId);
    if (messages.length === 0) return { statusCode: 204, description: 'No Content', body: {} };
    return ok({
      messages: messages.map((message) => ({
        message: rhea.message.encode(deliveryMessage(message, message.lock)),
      })),
    });
  }

  private schedule(entityPath: string, body: unknown): ManagementReply {
    const numbers = listFrom(field(body, 'messages')).map((entry) => {
      const encoded = field(entry, 'message');
      if (!Buffer.isBuffer(encoded))
        throw new BrokerError('com.microsoft:argument-error', 'message is required.');
      const amqp = rhea.message.decode(encoded) as unknown as AmqpMessage;
      const at = amqp.message_annotations?.['x-opt-scheduled-enqueue-time'];
      const scheduledAt = at instanceof Date ? at.getTime() : undefined;
      return this.broker.send(entityPath, amqp, scheduledAt) ?? 0;
    });
    return ok({ 'sequence-numbers': rhea.types.wrap_array(numbers, 0x81, undefined) });
  }

  private receiveBySequenceNumber(entity: Entity, body: unknown): ManagementReply {
    const mode = longFrom(field(body, 'receiver-settle-mode')) === 0 ? 'receiveAndDelete' : 'peekLock';
    const sessionId = optionalString(field(body, 'session-id'));
    const received = entity.receiveDeferred(sequenceNumbers(body), mode, sessionId);
    return ok({
      messages: received.map(({ message, lock }) => ({
        ...(lock === undefined
          ? {}
          : { 'lock-token': rhea.types.wrap_uuid(rhea.string_to_uuid(lock.token)) }),
        message: rhea.message.encode(deliveryMessage(message, lock)),
      })),
    });
  }
}

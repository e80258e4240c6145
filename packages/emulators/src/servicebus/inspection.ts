import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type AmqpMessage, idText } from './amqp-values.js';
import type { Broker } from './broker.js';
import type { BrokeredMessage } from './entity.js';

/** A message as the inspection API shows it. */
export interface InspectedMessage {
  readonly sequenceNumber: number;
  readonly state: 'active' | 'deferred' | 'scheduled' | 'deadLettered';
  readonly messageId: string | undefined;
  readonly sessionId: string | undefined;
  readonly subject: string | undefined;
  readonly correlationId: string | undefined;
  readonly contentType: string | undefined;
  readonly enqueuedTimeUtc: string;
  readonly scheduledEnqueueTimeUtc: string | undefined;
  readonly expiresAtUtc: string | undefined;
  readonly deliveryCount: number;
  readonly lockedUntilUtc: string | undefined;
  readonly applicationProperties: Record<string, unknown>;
  /** The body: parsed JSON when it is JSON, text when it is UTF-8 text, else base64. */
  readonly body: unknown;
}

function bodyOf(amqp: AmqpMessage): unknown {
  const body = amqp.body as { typecode?: number; content?: unknown; multiple?: boolean } | unknown;
  let content: unknown = body;
  if (typeof body === 'object' && body !== null && 'typecode' in body && 'content' in body) {
    content = (body as { content: unknown }).content;
  }
  if (Buffer.isBuffer(content)) {
    const text = content.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return Buffer.from(text, 'utf8').equals(content) ? text : content.toString('base64');
    }
  }
  return content;
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function inspect(message: BrokeredMessage, deadLettered: boolean): InspectedMessage {
  const { amqp } = message;
  const applicationProperties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(amqp.application_properties ?? {}))
    applicationProperties[key] = plain(value);
  return {
    sequenceNumber: message.sequenceNumber,
    state: deadLettered ? 'deadLettered' : message.state,
    messageId: idText(amqp.message_id),
    sessionId: message.sessionId,
    subject: amqp.subject,
    correlationId: idText(amqp.correlation_id),
    contentType: amqp.content_type,
    enqueuedTimeUtc: new Date(message.enqueuedAt).toISOString(),
    scheduledEnqueueTimeUtc:
      message.scheduledAt === undefined ? undefined : new Date(message.scheduledAt).toISOString(),
    expiresAtUtc: Number.isFinite(message.expiresAt) ? new Date(message.expiresAt).toISOString() : undefined,
    deliveryCount: message.deliveryCount,
    lockedUntilUtc: message.lock === undefined ? undefined : new Date(message.lock.lockedUntil).toISOString(),
    applicationProperties,
    body: bodyOf(amqp),
  };
}

const messagesQuery = z.object({
  state: z.enum(['active', 'deadletter', 'scheduled', 'deferred']).default('active'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * The inspection HTTP API: `GET /entities` (counts per queue, topic and subscription),
 * `GET /entities/:path/messages?state=active|deadletter|scheduled|deferred&limit=` (peek, path URL-encoded,
 * e.g. `handoff-events%2FSubscriptions%2Fwhatsapp-adapter`) and `POST /reset` (drop every message, keep the
 * entities). Plus `/healthz` and problem+json errors from `@omni/service-kit`.
 */
export function createInspectionApp(broker: Broker, logger: Logger): FastifyInstance {
  const app = createServiceApp({ service: 'servicebus-emulator', logger, defaultMetrics: false });
  app.get('/entities', async () => ({ namespace: broker.namespace, entities: broker.summaries() }));
  app.get<{ Params: { path: string }; Querystring: unknown }>(
    '/entities/:path/messages',
    async (request, reply) => {
      const query = messagesQuery.safeParse(request.query);
      if (!query.success) {
        return reply.status(400).type('application/problem+json').send({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: query.error.issues[0]?.message,
        });
      }
      const { state, limit } = query.data;
      const target = broker.resolve(request.params.path);
      if (target === undefined) {
        return reply
          .status(404)
          .type('application/problem+json')
          .send({
            type: 'about:blank',
            title: 'Not Found',
            status: 404,
            detail: `No entity '${request.params.path}'.`,
          });
      }
      if (target.kind === 'topic') {
        const scheduled = state === 'scheduled' ? target.topic.scheduledMessages() : [];
        return {
          path: target.topic.name,
          state,
          messages: scheduled.slice(0, limit).map((message) =>
            inspect(
              {
                sequenceNumber: message.sequenceNumber,
                amqp: message.amqp,
                enqueuedAt: message.scheduledAt,
                expiresAt: Number.POSITIVE_INFINITY,
                deliveryCount: 0,
                state: 'scheduled',
                scheduledAt: message.scheduledAt,
                sessionId: typeof message.amqp.group_id === 'string' ? message.amqp.group_id : undefined,
              },
              false,
            ),
          ),
        };
      }
      const entity = target.entity;
      const deadLetter = state === 'deadletter';
      const source = deadLetter && target.kind !== 'deadLetter' ? entity.deadLetterQueue : entity;
      const messages = source === undefined ? [] : source.list(deadLetter ? 'all' : state).slice(0, limit);
      return {
        path: entity.path,
        state,
        messages: messages.map((message) => inspect(message, deadLetter || target.kind === 'deadLetter')),
      };
    },
  );
  app.post('/reset', async (_request, reply) => {
    broker.reset();
    return reply.status(204).send();
  });
  return app;
}

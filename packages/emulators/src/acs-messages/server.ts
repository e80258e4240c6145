import { randomUUID } from 'node:crypto';
import { createServiceApp, fieldIssuesFromZod } from '@omni/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LocalEntraIssuer } from '../acs-common/entra-tokens.js';
import { AcsError, acsErrorHandler } from '../acs-common/errors.js';
import type { AcsFaults } from '../acs-common/faults.js';
import { requireAcsHmac } from '../acs-common/signed-routes.js';
import { chatWith } from './chat-view.js';
import type { CustomerMessage, SimulatedCustomer } from './customer.js';
import { notificationContentSchema, smsSendSchema } from './schemas.js';
import type { MessageStore, RecordedAdvancedMessage, RecordedSms } from './store.js';

/** What the HTTP layer serves. */
export interface AcsServerState {
  readonly accessKey: string;
  readonly channelRegistrationId: string;
  readonly messagesApiVersions: readonly string[];
  readonly smsApiVersions: readonly string[];
  readonly store: MessageStore;
  readonly customer: SimulatedCustomer;
  /** The local Entra issuer whose bearer tokens are accepted besides the HMAC (over https). */
  readonly entra: LocalEntraIssuer;
  /** Fault switches (429 / 500 / 503 instead of an answer). */
  readonly faults: AcsFaults;
  /** Answers of sends made with a `Repeatability-Request-ID`, by that id. */
  readonly repeatable: Map<string, unknown>;
  /** The emulator's clock (epoch ms): the repeatability window is measured on it. */
  readonly now: () => number;
  reset(): void;
}

const sendError = acsErrorHandler('acs messages emulator');
/** How long ACS tracks a repeatable request (its REST docs: 5 minutes). */
const REPEATABILITY_WINDOW_MS = 5 * 60_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function apiVersionOf(request: FastifyRequest, accepted: readonly string[]): string {
  const version = (request.query as Record<string, string | undefined>)['api-version'];
  if (version === undefined || version === '') {
    throw new AcsError(400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
  }
  if (!accepted.includes(version)) {
    throw new AcsError(
      400,
      'UnsupportedApiVersion',
      `The api-version '${version}' is not supported; supported: ${accepted.join(', ')}.`,
    );
  }
  return version;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The ACS data-plane routes, each behind the HMAC check. */
/** A recipient's refused repeatable send, as the SMS API answers per recipient. */
function smsRefused(to: string, httpStatusCode: number, errorMessage: string) {
  return { to, httpStatusCode, repeatabilityResult: 'rejected', errorMessage, successful: false };
}

function registerAcsRoutes(scope: FastifyInstance, state: AcsServerState): void {
  scope.setErrorHandler(sendError);
  requireAcsHmac(
    scope,
    state.accessKey,
    () => new AcsError(400, 'BadRequest', 'The request body is not valid JSON.'),
    state.entra,
  );
  scope.addHook('preHandler', async () => state.faults.take());

  scope.post('/messages/notifications:send', async (request, reply) => {
    const apiVersion = apiVersionOf(request, state.messagesApiVersions);
    const parsed = notificationContentSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new AcsError(400, 'BadRequest', 'The request body is invalid.', fieldIssuesFromZod(parsed.error));
    }
    const body = parsed.data;
    if (body.channelRegistrationId !== state.channelRegistrationId) {
      throw new AcsError(400, 'BadRequest', 'Unknown channelRegistrationId.', [
        { path: 'channelRegistrationId', message: 'no such channel registration' },
      ]);
    }
    const repeatabilityRequestId = header(request, 'repeatability-request-id');
    if (repeatabilityRequestId !== undefined) {
      // ACS repeatable requests (OASIS Repeatable Requests 1.0, as the ACS REST docs describe them): a GUID and
      // the IMF-fixdate of the first attempt; requests are tracked for 5 minutes and an older first attempt is
      // refused with 412, since ACS can no longer tell whether it ran.
      const firstSent = Date.parse(header(request, 'repeatability-first-sent') ?? '');
      if (!GUID.test(repeatabilityRequestId) || Number.isNaN(firstSent)) {
        reply.header('repeatability-result', 'rejected');
        throw new AcsError(
          400,
          'BadRequest',
          'Invalid Repeatability-Request-ID or Repeatability-First-Sent.',
        );
      }
      if (state.now() - firstSent > REPEATABILITY_WINDOW_MS) {
        reply.header('repeatability-result', 'rejected');
        throw new AcsError(
          412,
          'PreconditionFailed',
          'The Repeatability-First-Sent header is not within the 5 minute window.',
        );
      }
      const repeated = state.repeatable.get(repeatabilityRequestId);
      // Within the window a request id seen before gets the first answer again: nothing is sent twice.
      if (repeated !== undefined) {
        return reply.status(202).header('repeatability-result', 'accepted').send(repeated);
      }
    }
    const receivedAt = new Date().toISOString();
    const receipts = body.to.map((to) => {
      const message: RecordedAdvancedMessage = {
        channel: 'whatsapp',
        messageId: randomUUID(),
        to,
        kind: body.kind,
        body,
        apiVersion,
        receivedAt,
        ...(repeatabilityRequestId === undefined ? {} : { repeatabilityRequestId }),
        statuses: [],
      };
      state.store.add(message);
      return message;
    });
    for (const message of receipts) state.customer.outbound(message);
    const answer = { receipts: receipts.map((m) => ({ messageId: m.messageId, to: m.to })) };
    if (repeatabilityRequestId !== undefined) {
      state.repeatable.set(repeatabilityRequestId, answer);
      reply.header('repeatability-result', 'accepted');
    }
    return reply.status(202).send(answer);
  });

  scope.post('/sms', async (request, reply) => {
    const apiVersion = apiVersionOf(request, state.smsApiVersions);
    const parsed = smsSendSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new AcsError(400, 'BadRequest', 'The request body is invalid.', fieldIssuesFromZod(parsed.error));
    }
    const body = parsed.data;
    const receivedAt = new Date().toISOString();
    const value = body.smsRecipients.map((recipient) => {
      // Repeatability is per recipient in the SMS API (the same OASIS rules as the headers of the Messages API):
      // a repeat within 5 minutes gets the first answer and sends nothing; an older first attempt or a malformed
      // id is refused for that recipient.
      const id = recipient.repeatabilityRequestId;
      if (id !== undefined) {
        const firstSent = Date.parse(recipient.repeatabilityFirstSent ?? '');
        if (!GUID.test(id) || Number.isNaN(firstSent)) {
          return smsRefused(recipient.to, 400, 'Invalid repeatabilityRequestId or repeatabilityFirstSent.');
        }
        if (state.now() - firstSent > REPEATABILITY_WINDOW_MS) {
          return smsRefused(
            recipient.to,
            412,
            'The repeatabilityFirstSent is not within the 5 minute window.',
          );
        }
        const repeated = state.repeatable.get(`sms:${id}`);
        if (repeated !== undefined) return repeated;
      }
      const messageId = randomUUID();
      const sms: RecordedSms = {
        channel: 'sms',
        messageId,
        to: recipient.to,
        from: body.from,
        message: body.message,
        body,
        apiVersion,
        receivedAt,
      };
      state.store.add(sms);
      state.customer.smsOutbound(sms);
      const item = {
        to: recipient.to,
        messageId,
        httpStatusCode: 202,
        ...(id === undefined ? {} : { repeatabilityResult: 'accepted' }),
        successful: true,
      };
      if (id !== undefined) state.repeatable.set(`sms:${id}`, item);
      return item;
    });
    return reply.status(202).send({ value });
  });

  // Every other ACS path (templates, streams, conversations...): signed requests get an honest 501, not a 404 or
  // a bad-body 400 that reads like the caller's mistake.
  scope.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (request) => {
      throw new AcsError(
        501,
        'NotImplemented',
        `The ACS emulator does not implement ${request.method} ${request.url.split('?')[0]}.`,
      );
    },
  });
}

const connectBody = z.strictObject({ url: z.url(), secret: z.string().min(1).optional() });

const customerMessageBody = z
  .strictObject({
    /** The sender's number (E.164); empty when the user hides it behind a username. */
    from: z.string(),
    fromBSUID: z.string().min(1).optional(),
    text: z.string().min(1).max(4096).optional(),
    button: z.strictObject({ text: z.string().min(1), payload: z.string().optional() }).optional(),
    media: z
      .strictObject({
        mimeType: z.string().min(3),
        caption: z.string().optional(),
        fileName: z.string().optional(),
      })
      .optional(),
  })
  .refine((body) => [body.text, body.button, body.media].filter((part) => part !== undefined).length === 1, {
    message: 'give exactly one of text, button, media',
  })
  .refine((body) => body.from.length > 0 || body.fromBSUID !== undefined, {
    message: 'give from, fromBSUID or both',
  });

function messageOf(body: z.infer<typeof customerMessageBody>): CustomerMessage {
  if (body.button !== undefined) return { button: body.button };
  if (body.media !== undefined) return { media: body.media };
  return body.text ?? '';
}

function invalid(error: z.ZodError): AcsError {
  return new AcsError(400, 'BadRequest', 'The request body is invalid.', fieldIssuesFromZod(error));
}

/**
 * Inspection and simulator routes for tests and the sandbox (no authentication: local only). The simulator side
 * is the customer's phone: connect it to a webhook, send as the customer, read the chat as the customer sees it.
 */
function registerInspectionRoutes(scope: FastifyInstance, state: AcsServerState): void {
  scope.setErrorHandler(sendError);
  scope.post('/customer/connect', async (request, reply) => {
    const parsed = connectBody.safeParse(request.body);
    if (!parsed.success) throw invalid(parsed.error);
    try {
      await state.customer.connect(
        parsed.data.url,
        parsed.data.secret === undefined ? {} : { secret: parsed.data.secret },
      );
    } catch (error) {
      throw new AcsError(
        502,
        'WebhookValidationFailed',
        `The webhook did not complete the Event Grid handshake: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return reply.status(204).send();
  });
  scope.post('/customer/messages', async (request, reply) => {
    const parsed = customerMessageBody.safeParse(request.body);
    if (!parsed.success) throw invalid(parsed.error);
    const { event, delivery } = await state.customer.send(
      parsed.data.from,
      messageOf(parsed.data),
      parsed.data.fromBSUID === undefined ? {} : { fromBSUID: parsed.data.fromBSUID },
    );
    return reply.status(202).send({ messageId: event.data.messageId, eventId: event.id, delivery });
  });
  scope.post<{ Params: { messageId: string } }>('/customer/read/:messageId', async (request, reply) => {
    try {
      await state.customer.read(request.params.messageId);
    } catch {
      throw new AcsError(404, 'NotFound', 'No outbound WhatsApp message with this id.');
    }
    return reply.status(204).send();
  });
  scope.get<{ Params: { address: string } }>('/chats/:address', async (request) => ({
    value: chatWith(request.params.address, state.customer.events(), state.store.whatsapp()),
  }));
  scope.get('/messages', async () => ({ value: state.store.list() }));
  scope.get('/events', async () => ({ value: state.customer.events() }));
  scope.get('/deliveries', async () => ({ value: state.customer.deliveries() }));
  scope.post('/reset', async (_request, reply) => {
    state.reset();
    return reply.status(204).send();
  });
}

/** The emulator's fastify app (not yet listening). */
export function createAcsMessagesApp(state: AcsServerState, logger?: Logger): FastifyInstance {
  const app = createServiceApp({
    service: 'acs-messages-emulator',
    defaultMetrics: false,
    ...(logger ? { logger } : {}),
  });
  app.register(async (scope) => registerAcsRoutes(scope, state));
  app.register(async (scope) => registerInspectionRoutes(scope, state), { prefix: '/_emulator' });
  return app;
}

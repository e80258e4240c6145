import { AgentStatus, createEvent, type OmniEvent, queueName } from '@omni/contracts';
import {
  type Customer,
  CustomerNotFoundError,
  type HandoffDocument,
  maskIdentityKey,
  type Turn,
} from '@omni/customer-context';
import type { DeadLetterQueues } from '@omni/messaging';
import { badRequest, createServiceApp, fieldIssuesFromZod, HttpProblem } from '@omni/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from './config.js';
import type { HandoffStatus } from './domain/handoff-saga.js';
import { handoffView } from './handoff/handoff-saga-handler.js';
import type { SagaRepository } from './handoff/saga-repository.js';
import type { OpsCredentialCheck } from './ops/auth.js';
import { type CustomerPrivacyDeps, customerPrivacyRoutes } from './ops/customer-routes.js';
import { deadLetterRoutes } from './ops/dead-letter-routes.js';
import { channelsUsed, deskView } from './ops/desk.js';
import { handoffMetrics } from './ops/handoff-metrics.js';
import type { LiveFeed } from './ops/live-feed.js';
import type { QueueMonitor } from './queue/queue-monitor.js';
import type { QueueState } from './queue/queue-state.js';

const SOURCE = '/apps/channel-router';

/** What the timeline reads from the customer context. */
export interface TimelineStore {
  getCustomer(customerId: string, options?: { fresh?: boolean }): Promise<Customer>;
  recentTurns(customerId: string, n: number, options?: { fresh?: boolean }): Promise<Turn[]>;
  handoffs(customerId: string): Promise<Omit<HandoffDocument, '_etag'>[]>;
}

/** What the channel-router needs; `wiring.ts` wires the real ones, tests pass their own. */
export interface ChannelRouterDeps {
  config: Config;
  logger?: Logger;
  monitor: QueueMonitor;
  queueState: QueueState;
  sagas: SagaRepository;
  store: TimelineStore;
  publisher: { publish(event: OmniEvent): Promise<void> };
  feed: LiveFeed;
  /** The dead-letter queues the ops API lists (reason, age, event type; never bodies). */
  deadLetters?: Pick<DeadLetterQueues, 'entities' | 'list' | 'redrive'>;
  auth: OpsCredentialCheck;
  /** Customer export and erasure (`/api/customers...`); absent: those routes are not served. */
  privacy?: CustomerPrivacyDeps;
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
  /** SSE keep-alive comment interval, ms. Default 15 s. */
  streamKeepAliveMs?: number;
}

const HANDOFF_STATUSES = [
  'pending',
  'dispatching',
  'dispatched',
  'delivered',
  'completed',
  'expired',
  'failed',
  'rejected',
] as const satisfies readonly HandoffStatus[];

const agentBody = z.object({
  status: AgentStatus,
  queues: z.array(queueName).min(1, 'must list at least one queue').max(50),
});
const agentId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\w.@-]+$/, 'must be letters, digits, ".", "_", "-" or "@"');
const customerIdParam = z.string().min(1).max(256);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`Invalid ${what}.`, fieldIssuesFromZod(result.error));
  return result.data;
}

/** One entry of a customer's timeline, oldest first. */
export type TimelineEntry =
  | {
      kind: 'session';
      at: string;
      channel: string;
      sessionId: string;
      status: string;
      endedAt: string | null;
      /** How sure we are who the person in the session is, and how that level was reached. */
      assurance: string;
      assuranceMethod: string | null;
    }
  | {
      kind: 'turn';
      at: string;
      channel: string;
      sessionId: string;
      role: string;
      text: string;
      agentId: string | null;
    }
  | { kind: 'handoff'; at: string; handoffId: string; status: string; toChannel: string; eventId: string };

/**
 * The channel-router's HTTP surface: health and metrics (service-kit), and the ops API under `/api`
 * (API key or Entra bearer): queues, agents and their assignments, handoffs, customer timelines, handoff
 * metrics and the SSE stream. See the README for every JSON shape.
 */
export function buildApp(deps: ChannelRouterDeps): FastifyInstance {
  const app = createServiceApp({
    service: 'channel-router',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const clock = deps.clock ?? Date.now;
  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of [...streams]) end();
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', async (request: FastifyRequest) => {
        await deps.auth(request);
      });

      if (deps.privacy !== undefined) api.register(customerPrivacyRoutes(deps.privacy));

      api.get('/queues', async () => ({ queues: await deps.monitor.statuses() }));

      api.get('/queues/:queue', async (request) => {
        const { queue } = parse(z.object({ queue: queueName }), request.params, 'queue name');
        return deps.monitor.status(queue);
      });

      api.get('/agents', async () => ({ agents: await deps.queueState.agents() }));

      api.put('/agents/:agentId', async (request) => {
        const id = parse(z.object({ agentId }), request.params, 'agent id').agentId;
        const body = parse(agentBody, request.body, 'agent status');
        const at = new Date(clock());
        const agent = await deps.monitor.applyAgent(id, body.status, body.queues, at.getTime());
        await deps.publisher.publish(
          createEvent(
            'agent.availability.changed',
            { agentId: id, queues: body.queues, status: body.status, at: at.toISOString() },
            { source: SOURCE, correlationId: `agent-${id}`, subject: id },
          ),
        );
        return { agent };
      });

      api.get('/agents/:agentId/assignments', async (request) => {
        const id = parse(z.object({ agentId }), request.params, 'agent id').agentId;
        const assignments = await deps.queueState.assignmentsOf(id);
        return { assignments: await Promise.all(assignments.map((a) => deskView(a, deps.store))) };
      });

      api.get('/handoffs', async (request) => {
        const { status } = parse(
          z.object({ status: z.enum(HANDOFF_STATUSES).optional() }),
          request.query,
          'status filter',
        );
        const states = await deps.sagas.list(status);
        const views = states
          .map(handoffView)
          .sort((a, b) => (b.requestedAt ?? '').localeCompare(a.requestedAt ?? ''));
        return { handoffs: views };
      });

      api.get('/metrics/handoffs', async () => handoffMetrics(await deps.sagas.list()));

      api.register(deadLetterRoutes, { deadLetters: deps.deadLetters });

      api.get('/customers/:customerId/timeline', async (request) => {
        const customerId = parse(
          z.object({ customerId: customerIdParam }),
          request.params,
          'customer id',
        ).customerId;
        let customer: Customer;
        try {
          // Fresh from Cosmos: ops see what is stored now (a cache in memory misses other services' writes).
          customer = await deps.store.getCustomer(customerId, { fresh: true });
        } catch (error) {
          if (error instanceof CustomerNotFoundError) {
            throw new HttpProblem(404, 'Not Found', { detail: `No customer ${customerId}.` });
          }
          throw error;
        }
        const [turns, sagas, records] = await Promise.all([
          deps.store.recentTurns(customer.customerId, 1000, { fresh: true }),
          deps.sagas.ofCustomer(customer.customerId),
          deps.store.handoffs(customer.customerId),
        ]);
        const entries: TimelineEntry[] = [
          ...customer.sessions.map(
            (session): TimelineEntry => ({
              kind: 'session',
              at: session.startedAt,
              channel: session.channel,
              sessionId: session.sessionId,
              status: session.status,
              endedAt: session.endedAt,
              assurance: session.assurance,
              assuranceMethod: session.assuranceMethod,
            }),
          ),
          ...turns.map(
            (turn): TimelineEntry => ({
              kind: 'turn',
              at: turn.at,
              channel: turn.channel,
              sessionId: turn.sessionId,
              role: turn.role,
              text: turn.text,
              agentId: turn.agentId,
            }),
          ),
          ...sagas.flatMap((saga) =>
            saga.transitions.map(
              (transition): TimelineEntry => ({
                kind: 'handoff',
                at: transition.at,
                handoffId: saga.handoffId,
                status: transition.status,
                toChannel: saga.toChannel,
                eventId: transition.eventId,
              }),
            ),
          ),
        ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        return {
          customer: {
            customerId: customer.customerId,
            displayName: customer.displayName,
            identities: customer.identities.map((key) => maskIdentityKey(key)),
            channels: channelsUsed(customer, turns),
            verifiedAccounts: customer.verifiedAccounts.length,
            summary: customer.summary,
            collectedData: customer.collectedData,
          },
          handoffs: sagas.map(handoffView),
          handoffRecords: records.map((record) => ({
            handoffId: record.id,
            fromChannel: record.fromChannel,
            toChannel: record.toChannel,
            status: record.status,
            offeredAt: record.offeredAt,
            expiresAt: record.expiresAt,
            redeemedAt: record.redeemedAt,
          })),
          entries,
        };
      });

      api.get('/stream', async (request, reply) => {
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        const send = (event: string, data: unknown) => {
          raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        send('hello', { at: new Date(clock()).toISOString() });
        for (const status of await deps.monitor.statuses()) send('queue', status);
        const unsubscribe = deps.feed.subscribe((message) => send(message.kind, message.data));
        const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), deps.streamKeepAliveMs ?? 15_000);
        keepAlive.unref();
        const close = () => {
          if (!streams.delete(close)) return;
          clearInterval(keepAlive);
          unsubscribe();
          raw.end();
        };
        streams.add(close);
        request.raw.once('close', close);
      });
    },
    { prefix: '/api' },
  );
  return app;
}

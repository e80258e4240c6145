import type { DeadLetterQueues, RedriveSelection } from '@omni/messaging';
import { badRequest, fieldIssuesFromZod, HttpProblem } from '@omni/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';

/** What the dead-letter routes need: the queues, read-only for the list, `redrive` for the redrive. */
export interface DeadLetterRoutesOptions {
  /** Absent: the lists are empty and a redrive is a 404 (no queues to act on). */
  readonly deadLetters?: Pick<DeadLetterQueues, 'entities' | 'list' | 'redrive'> | undefined;
}

const entityPath = z.string().min(1).max(260);

/** `{entity, messageIds}` | `{entity, reason}` | `{entity, all: true}`: exactly one selection. */
const redriveBody = z
  .object({
    entity: entityPath,
    messageIds: z.array(z.string().min(1).max(128)).min(1).max(1_000).optional(),
    reason: z.string().min(1).max(256).optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine(
    (body) => [body.messageIds, body.reason, body.all].filter((value) => value !== undefined).length === 1,
    { message: 'give exactly one of messageIds, reason or all: true', path: ['messageIds'] },
  );

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`Invalid ${what}.`, fieldIssuesFromZod(result.error));
  return result.data;
}

function selectionOf(body: z.infer<typeof redriveBody>): RedriveSelection {
  if (body.messageIds !== undefined) return { messageIds: body.messageIds };
  if (body.reason !== undefined) return { reason: body.reason };
  return { all: true };
}

/**
 * The ops API's dead letters (under the caller's `/api` prefix and auth): `GET /dead-letters[?entity=]` lists them
 * per queue / subscription (reason, event type, age; never bodies), `POST /dead-letters/redrive` sends one, a
 * reason's or all of an entity's back to that entity only (ADR 0085) and answers the counts.
 */
export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRoutesOptions> = async (api, options) => {
  const known = (entity: string): void => {
    if (options.deadLetters?.entities.includes(entity) !== true) {
      throw new HttpProblem(404, 'Not Found', { detail: `No queue or subscription ${entity}.` });
    }
  };

  api.get('/dead-letters', async (request) => {
    const queues = options.deadLetters;
    if (queues === undefined) return { entities: [] };
    const { entity } = parse(
      z.object({ entity: entityPath.optional() }),
      request.query,
      'dead-letter filter',
    );
    if (entity !== undefined) known(entity);
    const entities = entity === undefined ? queues.entities : [entity];
    const listed = await Promise.all(
      entities.map(async (path) => {
        const messages = await queues.list(path, 100);
        return { entity: path, count: messages.length, messages };
      }),
    );
    return { entities: listed };
  });

  api.post('/dead-letters/redrive', async (request) => {
    const body = parse(redriveBody, request.body, 'redrive');
    known(body.entity);
    const result = await options.deadLetters?.redrive(body.entity, selectionOf(body));
    request.log.info({ entity: body.entity, ...result }, 'dead letters redriven');
    return result;
  });
};

import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import { isoDateTime } from '../values.js';
import { queueName } from './queue-events.js';

/** How loaded a queue is; the voice agent offers a channel switch at `high` and `critical`. */
export const QueueLevel = z.enum(['normal', 'high', 'critical']);

/** How loaded a queue is. */
export type QueueLevel = z.infer<typeof QueueLevel>;

const count = z.int().nonnegative();
const seconds = z.number().nonnegative();

/**
 * `queue.status.changed` (topic `queue-status`): a snapshot of one human-agent queue from the queue
 * monitor. Subject = `queue`. Snapshots supersede each other, so a late one is worthless.
 */
export const queueStatusChanged = defineEvent(
  'queue.status.changed',
  z.object({
    queue: queueName,
    depth: count,
    longestWaitSeconds: seconds,
    estimatedWaitSeconds: seconds,
    availableAgents: count,
    level: QueueLevel,
    /** A mass event (outage, storm) is driving the load; agents may announce it. */
    massEvent: z.boolean(),
    at: isoDateTime,
  }),
  { description: 'A snapshot of a human-agent queue (depth, waits, level).', subjectField: 'queue' },
);

/** The events published on the `queue-status` topic. */
export const queueStatusEvents = [queueStatusChanged] as const;

import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import { customerId, identifier, isoDateTime } from '../values.js';

/** A human-agent queue name, e.g. `billing`. Also the `queue` application property on the bus. */
export const queueName = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][\w.-]*$/, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Queue priority: an integer from 0 (lowest) to 9 (highest). */
export const priority = z.int().min(0).max(9);

/** A duration in seconds, zero or more. */
const seconds = z.number().nonnegative();

/** Whether a human agent can take calls. */
export const AgentStatus = z.enum(['available', 'busy', 'offline']);

/** Whether a human agent can take calls. */
export type AgentStatus = z.infer<typeof AgentStatus>;

/** What every call-queue event names: which call, whose, and which queue. */
const queuedCall = { callId: identifier, customerId, queue: queueName } as const;

/** `call.queued` (topic `queue-events`): a caller was put in a human-agent queue. `callId` is the call connection id. */
export const callQueued = defineEvent(
  'call.queued',
  z.object({
    ...queuedCall,
    priority,
    enqueuedAt: isoDateTime,
  }),
  { description: 'A caller joined a human-agent queue.', subjectField: 'customerId' },
);

/** `call.assigned` (topic `queue-events`): a queued call was given to a human agent; the voice adapter transfers it. */
export const callAssigned = defineEvent(
  'call.assigned',
  z.object({
    ...queuedCall,
    agentId: identifier,
    assignedAt: isoDateTime,
    waitSeconds: seconds,
  }),
  { description: 'A queued call was assigned to a human agent.', subjectField: 'customerId' },
);

/** `call.abandoned` (topic `queue-events`): a caller hung up while waiting in a queue. */
export const callAbandoned = defineEvent(
  'call.abandoned',
  z.object({
    ...queuedCall,
    abandonedAt: isoDateTime,
    waitSeconds: seconds,
  }),
  { description: 'A caller hung up while queued.', subjectField: 'customerId' },
);

/** `agent.availability.changed` (topic `queue-events`): a human agent's status changed. Subject = `agentId`. */
export const agentAvailabilityChanged = defineEvent(
  'agent.availability.changed',
  z.object({
    agentId: identifier,
    queues: z.array(queueName).min(1, 'must list at least one queue'),
    status: AgentStatus,
    at: isoDateTime,
  }),
  { description: "A human agent's availability changed.", subjectField: 'agentId' },
);

/** The events published on the `queue-events` topic. */
export const queueEvents = [callQueued, callAssigned, callAbandoned, agentAvailabilityChanged] as const;

import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import { Channel, collectedData, customerId, identifier, isoDateTime, MAX_TEXT_LENGTH } from '../values.js';
import { priority } from './queue-events.js';

/**
 * `escalation.requested` (queue `escalations`): a channel hands the customer to a human agent (warm
 * handoff) with the summary and collected data, so the agent starts with the context.
 */
export const escalationRequested = defineEvent(
  'escalation.requested',
  z.object({
    escalationId: identifier,
    customerId,
    channel: Channel,
    reason: z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
    summary: z.string().max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
    collectedData,
    priority,
    requestedAt: isoDateTime,
  }),
  { description: 'A channel asked for a human agent (warm handoff).', subjectField: 'customerId' },
);

/** The events sent to the `escalations` queue. */
export const escalationEvents = [escalationRequested] as const;

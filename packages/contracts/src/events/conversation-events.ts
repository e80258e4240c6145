import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import { Channel, customerId, identifier, isoDateTime, MAX_TEXT_LENGTH } from '../values.js';

/** Who spoke a turn: the customer (`user`), an AI or human agent (`assistant`), or the platform (`system`). */
export const TurnRole = z.enum(['user', 'assistant', 'system']);

/** Who spoke a turn. */
export type TurnRole = z.infer<typeof TurnRole>;

/** How a channel session ended. */
export const SessionEndStatus = z.enum(['completed', 'abandoned', 'handed_off', 'escalated', 'timed_out']);

/** How a channel session ended. */
export type SessionEndStatus = z.infer<typeof SessionEndStatus>;

/**
 * `conversation.turn.recorded` (topic `conversation-events`): one turn of a conversation, on any channel.
 * The vendor-neutral transcript (Cosmos `transcripts`) is built from these.
 */
export const conversationTurnRecorded = defineEvent(
  'conversation.turn.recorded',
  z.object({
    customerId,
    channel: Channel,
    sessionId: identifier,
    turnId: identifier,
    role: TurnRole,
    text: z.string().max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
    /** The AI agent (e.g. `billing`) or human agent who spoke an `assistant` turn. */
    agentId: identifier.optional(),
    at: isoDateTime,
  }),
  { description: 'One conversation turn was recorded.', subjectField: 'customerId' },
);

/** `conversation.session.started` (topic `conversation-events`): a customer began a session on a channel. */
export const conversationSessionStarted = defineEvent(
  'conversation.session.started',
  z.object({
    customerId,
    channel: Channel,
    sessionId: identifier,
    startedAt: isoDateTime,
  }),
  { description: 'A customer started a session on a channel.', subjectField: 'customerId' },
);

/** `conversation.session.ended` (topic `conversation-events`): a channel session ended, and how. */
export const conversationSessionEnded = defineEvent(
  'conversation.session.ended',
  z.object({
    customerId,
    channel: Channel,
    sessionId: identifier,
    endedAt: isoDateTime,
    status: SessionEndStatus,
  }),
  { description: 'A channel session ended.', subjectField: 'customerId' },
);

/** The events published on the `conversation-events` topic. */
export const conversationEvents = [
  conversationTurnRecorded,
  conversationSessionStarted,
  conversationSessionEnded,
] as const;

import type { MessageKind } from '@omni/contracts';

/** Sent when a customer sends an image, document, video or audio message: the agent reads text only. */
export const MEDIA_REPLY =
  "I can't open attachments yet, sorry. Could you describe what you wanted to show me in a text message?";

/** Sent for message types the adapter does not understand (location, contacts, stickers...). */
export const UNSUPPORTED_REPLY =
  "Sorry, I can't read that kind of message yet. Could you send it as a text message?";

/** Sent once per throttled burst when a sender goes over the per-sender rate limit. */
export const RATE_LIMITED_REPLY =
  "You're sending messages faster than I can answer. Please give me a moment, then send your message again.";

/**
 * The canned reply the adapter sends for an inbound message kind, or `undefined` when the message goes to
 * the agent (text, button, interactive) or needs no answer at all (reaction).
 */
export function replyForInboundKind(kind: MessageKind): string | undefined {
  switch (kind) {
    case 'media':
      return MEDIA_REPLY;
    case 'unsupported':
      return UNSUPPORTED_REPLY;
    case 'text':
    case 'button':
    case 'interactive':
    case 'reaction':
      return undefined;
  }
}

/** Whether messages of this kind are handed to the conversation engine (the agent). */
export function goesToAgent(kind: MessageKind): boolean {
  return kind === 'text' || kind === 'button' || kind === 'interactive';
}

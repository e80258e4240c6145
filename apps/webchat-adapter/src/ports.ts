import type { OmniEvent } from '@omni/contracts';
import type { CustomerContextStore } from '@omni/customer-context';
import type { MessageReceivedData } from './domain/index.js';

/** The `source` of every event this service publishes. */
export const SOURCE = '/apps/webchat-adapter';

/** Port: publishes platform events (the messaging `EventPublisher`). */
export interface Publisher {
  publish(event: OmniEvent): Promise<void>;
  publishAll(events: readonly OmniEvent[]): Promise<void>;
}

/** The subset of the customer context store the adapter uses. */
export type AdapterStore = Pick<
  CustomerContextStore,
  | 'resolveCustomer'
  | 'getCustomer'
  | 'recentTurns'
  | 'handoffs'
  | 'runOnce'
  | 'redeemHandoffToken'
  | 'startSession'
>;

/** Where a web chat reply goes: the Bot Framework conversation reference carried by `message.received`. */
export type ReplyTo = NonNullable<MessageReceivedData['replyTo']>;

/** A message the bot sends to the web user. */
export interface OutgoingMessage {
  readonly type: 'message' | 'typing';
  readonly text?: string;
  readonly textFormat?: 'markdown' | 'plain';
}

/** Port: sends activities to a web chat conversation (the Bot Connector at the conversation's serviceUrl). */
export interface ReplySender {
  /** Sends one activity; resolves to the id the channel gave it. */
  send(replyTo: ReplyTo, userId: string, message: OutgoingMessage): Promise<string>;
}

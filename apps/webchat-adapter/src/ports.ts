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
  | 'openHandoffs'
  | 'closeHandoff'
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

/** A reply shown as it is produced (the Agents SDK's streaming response on Direct Line / Web Chat). */
export interface ReplyStream {
  /** A status line before any text ("Looking that up..."). */
  inform(text: string): void;
  /** The next piece of the reply's text. */
  delta(text: string): void;
  /** Whether anything was shown yet (then the stream must end with a final message). */
  started(): boolean;
}

/** Port: sends activities to a web chat conversation (the Bot Connector at the conversation's serviceUrl). */
export interface ReplySender {
  /** Sends one activity; resolves to the id the channel gave it. */
  send(replyTo: ReplyTo, userId: string, message: OutgoingMessage): Promise<string>;
  /**
   * Runs `produce` with a stream shown as it grows; once it resolves, a started stream ends with `final` (the
   * text the transcript keeps, replacing what was streamed). When `produce` throws, a started stream ends with
   * a clear "interrupted" message and the error propagates (the message is retried).
   */
  stream<T>(
    replyTo: ReplyTo,
    userId: string,
    produce: (stream: ReplyStream) => Promise<{ result: T; final: string | undefined }>,
  ): Promise<T>;
}

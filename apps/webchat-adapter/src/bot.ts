import { Activity } from '@microsoft/agents-activity';
import { createEvent } from '@omni/contracts';
import type { Logger } from 'pino';
import {
  type InboundActivity,
  inboundFromActivity,
  joinedUsers,
  type ReturningCustomer,
  welcomeMessages,
} from './domain/index.js';
import { type AdapterStore, type Publisher, SOURCE } from './ports.js';

/** What {@link WebchatBot} needs. */
export interface WebchatBotOptions {
  readonly publisher: Publisher;
  readonly store: Pick<AdapterStore, 'resolveCustomer' | 'recentTurns' | 'runOnce' | 'openHandoffs'>;
  /** How many earlier turns a returning customer is shown. */
  readonly recentTurns: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/** The part of the Agents SDK's `TurnContext` the bot uses. */
export interface BotTurn {
  readonly activity: InboundActivity;
  sendActivity(activity: Activity): Promise<unknown>;
}

/** What became of an activity the bot was given. */
export type TurnOutcome =
  | { readonly kind: 'enqueued'; readonly messageId: string }
  | { readonly kind: 'welcomed'; readonly users: number }
  | { readonly kind: 'ignored'; readonly type: string }
  | { readonly kind: 'rejected'; readonly message: string };

/**
 * The bot's turn logic inside `POST /api/messages`: a message is validated, answered with a typing indicator
 * and enqueued on `inbound-messages` (the agent turn runs in the consumer, so slow model calls never time
 * out the channel); a user joining is greeted (welcome, or "welcome back" with the summary and recent turns).
 */
export class WebchatBot {
  readonly #o: WebchatBotOptions;
  readonly #clock: () => number;

  constructor(options: WebchatBotOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  async onTurn(turn: BotTurn, log: Logger): Promise<TurnOutcome> {
    const activity = turn.activity;
    if (activity.type === 'message') {
      const result = inboundFromActivity(activity, new Date(this.#clock()));
      if (!result.ok) {
        log.warn({ activityId: activity.id, detail: result.message }, 'web chat message rejected');
        return { kind: 'rejected', message: result.message };
      }
      try {
        await turn.sendActivity(Activity.fromObject({ type: 'typing' }));
      } catch (error) {
        // The channel refused the conversation (e.g. 404: it does not know it): a request that cannot succeed.
        const status = statusOf(error);
        if (typeof status === 'number' && status >= 400 && status < 500) {
          log.warn(
            { activityId: activity.id, status },
            'web chat message rejected: the channel refused the reply',
          );
          return { kind: 'rejected', message: `the channel refused the conversation (${status})` };
        }
        throw error;
      }
      const conversationId = activity.conversation?.id ?? '';
      await this.#o.publisher.publish(
        createEvent('message.received', result.data, {
          source: SOURCE,
          correlationId: result.data.providerMessageId,
          // Direct Line activity ids are unique per conversation: the broker drops a redelivered activity.
          id: `webchat:${conversationId}:${result.data.providerMessageId}`.slice(0, 128),
        }),
      );
      log.info({ activityId: activity.id }, 'web chat message enqueued');
      return { kind: 'enqueued', messageId: result.data.providerMessageId };
    }
    if (activity.type === 'conversationUpdate') {
      const users = joinedUsers(activity);
      for (const userId of users) await this.#welcome(turn, userId, activity.conversation?.id ?? '');
      return { kind: 'welcomed', users: users.length };
    }
    return { kind: 'ignored', type: String(activity.type) };
  }

  async #welcome(turn: BotTurn, userId: string, conversationId: string): Promise<void> {
    const { customer, created } = await this.#o.store.resolveCustomer(
      { kind: 'webchat', value: userId },
      { channel: 'webchat' },
    );
    const turns = created ? [] : await this.#o.store.recentTurns(customer.customerId, this.#o.recentTurns);
    // Just came by a handoff link (redeemed after the last turn): the channel the handoff came from;
    // otherwise where the last turn happened.
    const lastTurnAt = turns.at(-1)?.at ?? '';
    const handedOff = created
      ? undefined
      : (await this.#o.store.openHandoffs(customer.customerId))
          .filter(
            (h) =>
              h.toChannel === 'webchat' &&
              h.redeemedBy === `webchat:${userId}` &&
              h.redeemedAt !== null &&
              h.redeemedAt > lastTurnAt,
          )
          .sort((a, b) => (a.redeemedAt ?? '').localeCompare(b.redeemedAt ?? ''))
          .at(-1);
    const returning: ReturningCustomer = {
      isNew: created,
      displayName: customer.displayName ?? undefined,
      summary: customer.summary ?? undefined,
      previousChannel: handedOff?.fromChannel ?? turns.at(-1)?.channel,
      recentTurns: turns.map((t) => ({ role: t.role, text: t.text, channel: t.channel })),
    };
    // The channel retries a conversationUpdate it got no answer to: greet once per conversation.
    await this.#o.store.runOnce(`webchat:welcome:${conversationId}:${userId}`, async () => {
      for (const text of welcomeMessages(returning)) {
        await turn.sendActivity(Activity.fromObject({ type: 'message', text, textFormat: 'markdown' }));
      }
      return true;
    });
  }
}

/** The HTTP status of a failed connector call (the Agents SDK's `HttpError.status`). */
function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  if (typeof status === 'number') return status;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

import { Activity, ActivityTypes, type ConversationReference } from '@microsoft/agents-activity';
import {
  type AuthConfiguration,
  AuthType,
  CloudAdapter,
  createOutboundHostValidator,
  StreamingResponseResult,
  type TurnContext,
} from '@microsoft/agents-hosting';
import type { Config } from './config.js';
import { LocalClientCredentials } from './local-client-credentials.js';
import type { OutgoingMessage, ReplySender, ReplyStream, ReplyTo } from './ports.js';

/**
 * The Agents SDK's authentication settings from the configuration: the Azure Bot's app registration
 * (MicrosoftAppId / Type / TenantId / Password) and, when set, the authority its tokens come from
 * (`BOT_AUTH_AUTHORITY`, locally the Direct Line emulator's). Issuers are always validated. With
 * BOT_AUTH_DISABLED (the local emulator without a bot registration) there is no client id, the only case the
 * SDK lets a request without a token through.
 */
export function authConfigurationOf(config: Config): AuthConfiguration {
  if (config.BOT_AUTH_DISABLED) {
    return { clientId: undefined, tenantId: undefined, clientSecret: undefined };
  }
  return {
    clientId: config.MicrosoftAppId,
    tenantId: config.MicrosoftAppTenantId,
    clientSecret: config.MicrosoftAppPassword,
    authType:
      config.MicrosoftAppType === 'UserAssignedMSI' ? AuthType.UserManagedIdentity : AuthType.ClientSecret,
    ...(config.BOT_AUTH_AUTHORITY ? { authority: config.BOT_AUTH_AUTHORITY } : {}),
    validateIssuer: true,
  };
}

/**
 * The Agents SDK's `CloudAdapter` for the configuration. In Azure, outbound calls are limited to Microsoft's
 * channel hosts, and every incoming token's serviceurl claim must match the activity. Errors of a turn propagate to the caller (the SDK's
 * default would post "The agent encountered an error" into the chat); connector tokens come from MSAL, or,
 * with an `http:` authority (the local emulator, which MSAL refuses), from a plain client-credentials request.
 */
export function createBotAdapter(config: Config): CloudAdapter {
  // In Azure the bot only ever posts to Microsoft's channel hosts (*.botframework.com, ...): a serviceUrl from a
  // forged or replayed message.received on the bus cannot make it post elsewhere (docs/adr/0020). The token's
  // serviceurl claim must match the activity's serviceUrl everywhere.
  const azure = !config.BOT_AUTH_DISABLED && !config.BOT_AUTH_AUTHORITY?.startsWith('http:');
  const adapter = new CloudAdapter(
    authConfigurationOf(config),
    undefined,
    undefined,
    { validateServiceUrl: true },
    createOutboundHostValidator({ enabled: azure }),
  );
  adapter.onTurnError = async (_context, error) => {
    throw error;
  };
  if (!config.BOT_AUTH_DISABLED && config.BOT_AUTH_AUTHORITY?.startsWith('http:')) {
    adapter.connectionManager = new LocalClientCredentials({
      authority: config.BOT_AUTH_AUTHORITY,
      clientId: config.MicrosoftAppId ?? '',
      clientSecret: config.MicrosoftAppPassword ?? '',
    });
  }
  return adapter;
}

/** The identity proactive replies are sent as: the app id, or anonymous with auth disabled. */
function identityOf(appId: string | undefined): string | { aud?: string } {
  return appId ?? {};
}

/** Sends replies proactively through the Agents SDK's `CloudAdapter` (Bot Connector REST at the serviceUrl). */
export class ConnectorReplySender implements ReplySender {
  readonly #adapter: CloudAdapter;
  readonly #appId: string | undefined;
  readonly #streamIntervalMs: number;

  /**
   * @param adapter - the Agents SDK adapter
   * @param appId - the bot's app id (undefined with auth disabled)
   * @param streamIntervalMs - the least time between two streamed updates (the SDK's Direct Line default: 500)
   */
  constructor(adapter: CloudAdapter, appId: string | undefined, streamIntervalMs = 500) {
    this.#adapter = adapter;
    this.#appId = appId;
    this.#streamIntervalMs = streamIntervalMs;
  }

  #reference(replyTo: ReplyTo, userId: string): ConversationReference {
    return {
      channelId: 'directline',
      serviceUrl: replyTo.serviceUrl,
      conversation: { id: replyTo.conversationId, isGroup: false },
      user: { id: userId },
      agent: {
        id: replyTo.botId ?? this.#appId ?? 'omni-bot',
        ...(replyTo.botName ? { name: replyTo.botName } : {}),
      },
      ...(replyTo.activityId ? { activityId: replyTo.activityId } : {}),
      ...(replyTo.locale ? { locale: replyTo.locale } : {}),
    } as ConversationReference;
  }

  async #continue(replyTo: ReplyTo, userId: string, logic: (context: TurnContext) => Promise<void>) {
    await this.#adapter.continueConversation(
      identityOf(this.#appId) as string,
      this.#reference(replyTo, userId),
      logic,
    );
  }

  async send(replyTo: ReplyTo, userId: string, message: OutgoingMessage): Promise<string> {
    let id = '';
    await this.#continue(replyTo, userId, async (context) => {
      const response = await context.sendActivity(Activity.fromObject(activityOf(message)));
      id = response?.id ?? '';
    });
    return id;
  }

  async stream<T>(
    replyTo: ReplyTo,
    userId: string,
    produce: (stream: ReplyStream) => Promise<{ result: T; final: string | undefined }>,
  ): Promise<T> {
    let outcome: { result: T; final: string | undefined } | undefined;
    await this.#continue(replyTo, userId, async (context) => {
      const streaming = context.streamingResponse;
      streaming.setDelayInMs(this.#streamIntervalMs);
      // The SDK swallows a failed send (it only stops streaming): remember it, so a reply the user never got is
      // not recorded as sent but retried.
      let failure: unknown;
      context.onSendActivities(async (_context, activities, next) => {
        for (const activity of activities) mirrorStreamInfo(activity);
        try {
          return await next();
        } catch (error) {
          failure ??= error;
          throw error;
        }
      });
      let started = false;
      const stream: ReplyStream = {
        started: () => started,
        inform(text: string) {
          started = true;
          streaming.queueInformativeUpdate(text);
        },
        delta(text: string) {
          if (text === '') return;
          started = true;
          streaming.queueTextChunk(text);
        },
      };
      try {
        outcome = await produce(stream);
      } catch (error) {
        // Never leave a half reply on screen as if it were complete: the stream ends with a clear message.
        if (started) {
          streaming.setFinalMessage(finalActivity(STREAM_FAILED_REPLY));
          await streaming.endStream();
        }
        throw error;
      }
      if (started) {
        streaming.setFinalMessage(finalActivity(outcome.final ?? STREAM_EMPTY_REPLY));
        const ended = await streaming.endStream();
        if (failure !== undefined || ended !== StreamingResponseResult.Success) {
          throw new Error(`the streamed reply did not reach the channel (${ended})`, { cause: failure });
        }
      }
    });
    if (outcome === undefined) throw new Error('the reply stream produced nothing');
    return outcome.result;
  }
}

/** What a stream cut by an error ends with, in place of the partial text. */
export const STREAM_FAILED_REPLY =
  'Sorry, my answer was interrupted by an error and is incomplete. Please send your message again.';
/** What a stream ends with when the turn had nothing to say after all. */
const STREAM_EMPTY_REPLY = '…';

/**
 * Copies the SDK's `streaminfo` entity (streamType, streamSequence, streamId) into `channelData`, where
 * BotFramework-WebChat 4.18 reads livestreaming metadata (the Teams form); the entity stays for newer clients.
 */
export function mirrorStreamInfo(activity: Activity): void {
  const info = activity.entities?.find((entity) => entity.type?.toLowerCase() === 'streaminfo') as
    | { streamType?: unknown; streamSequence?: unknown; streamId?: unknown }
    | undefined;
  if (info === undefined) return;
  const channelData = (activity.channelData ?? {}) as Record<string, unknown>;
  activity.channelData = {
    ...channelData,
    ...(info.streamType !== undefined ? { streamType: info.streamType } : {}),
    ...(info.streamSequence !== undefined ? { streamSequence: info.streamSequence } : {}),
    ...(info.streamId !== undefined ? { streamId: info.streamId } : {}),
  };
}

function activityOf(message: OutgoingMessage): Record<string, unknown> {
  const activity: Record<string, unknown> = { type: message.type };
  if (message.text !== undefined) activity.text = message.text;
  if (message.textFormat !== undefined) activity.textFormat = message.textFormat;
  return activity;
}

function finalActivity(text: string): Activity {
  return Activity.fromObject({ type: ActivityTypes.Message, text, textFormat: 'markdown', entities: [] });
}

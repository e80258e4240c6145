import {
  type Activity,
  type CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConversationReference,
} from 'botbuilder';
import type { Config } from './config.js';
import type { OutgoingMessage, ReplySender, ReplyTo } from './ports.js';

/**
 * Bot Framework authentication from the configuration: the app registration (MicrosoftAppId / Type /
 * TenantId / Password) in Azure; nothing when BOT_AUTH_DISABLED (the local Direct Line emulator), which is
 * the only case botbuilder lets an unauthenticated request through.
 */
export function botAuthenticationOf(config: Config): ConfigurationBotFrameworkAuthentication {
  if (config.BOT_AUTH_DISABLED) return new ConfigurationBotFrameworkAuthentication({});
  return new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.MicrosoftAppId,
    MicrosoftAppType: config.MicrosoftAppType,
    MicrosoftAppTenantId: config.MicrosoftAppTenantId,
    MicrosoftAppPassword: config.MicrosoftAppPassword,
  });
}

/** Sends replies proactively through botbuilder's `CloudAdapter` (Bot Connector REST at the serviceUrl). */
export class ConnectorReplySender implements ReplySender {
  readonly #adapter: CloudAdapter;
  readonly #appId: string;

  constructor(adapter: CloudAdapter, appId: string | undefined) {
    this.#adapter = adapter;
    this.#appId = appId ?? '';
  }

  async send(replyTo: ReplyTo, userId: string, message: OutgoingMessage): Promise<string> {
    const reference: Partial<ConversationReference> = {
      channelId: 'directline',
      serviceUrl: replyTo.serviceUrl,
      conversation: { id: replyTo.conversationId, isGroup: false, conversationType: '', name: '' },
      user: { id: userId, name: '' },
      bot: { id: replyTo.botId ?? this.#appId, name: replyTo.botName ?? '' },
      ...(replyTo.activityId ? { activityId: replyTo.activityId } : {}),
      ...(replyTo.locale ? { locale: replyTo.locale } : {}),
    };
    let id = '';
    await this.#adapter.continueConversationAsync(this.#appId, reference, async (context) => {
      const activity: Partial<Activity> = { type: message.type };
      if (message.text !== undefined) activity.text = message.text;
      if (message.textFormat !== undefined) activity.textFormat = message.textFormat;
      const response = await context.sendActivity(activity);
      id = response?.id ?? '';
    });
    return id;
  }
}

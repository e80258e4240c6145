import { type EventDataOf, MAX_TEXT_LENGTH, messageReceived } from '@omni/contracts';

/** The `message.received` data of a web chat message. */
export type MessageReceivedData = EventDataOf<'message.received'>;

/** The fields of a Bot Framework activity this adapter reads. */
export interface InboundActivity {
  readonly type?: string;
  readonly id?: string;
  readonly text?: string;
  readonly value?: unknown;
  readonly locale?: string;
  readonly serviceUrl?: string;
  readonly channelId?: string;
  readonly from?: { readonly id?: string; readonly name?: string };
  readonly recipient?: { readonly id?: string; readonly name?: string };
  readonly conversation?: { readonly id?: string };
  readonly attachments?: readonly unknown[];
  readonly membersAdded?: readonly { readonly id?: string; readonly name?: string }[];
}

/** Why an activity was not enqueued. */
export interface ActivityRejection {
  readonly ok: false;
  readonly reason: 'not-a-message' | 'invalid';
  readonly message: string;
}

/** A message activity turned into `message.received` data, or why not. */
export type InboundActivityResult =
  | { readonly ok: true; readonly data: MessageReceivedData }
  | ActivityRejection;

/**
 * A Direct Line message activity as `message.received` data (sender `webchat:<from.id>`, the conversation
 * reference in `replyTo`), validated against the contract. Text over the contract's limit is cut.
 */
export function inboundFromActivity(activity: InboundActivity, receivedAt: Date): InboundActivityResult {
  if (activity.type !== 'message') {
    return { ok: false, reason: 'not-a-message', message: `activity type ${String(activity.type)}` };
  }
  const userId = activity.from?.id ?? '';
  const text = (activity.text ?? '').trim();
  const hasValue = activity.value !== undefined && activity.value !== null;
  const hasAttachments = (activity.attachments?.length ?? 0) > 0;
  const kind = text.length > 0 ? 'text' : hasValue ? 'interactive' : hasAttachments ? 'unsupported' : 'text';
  const candidate = {
    channel: 'webchat',
    providerMessageId: activity.id ?? '',
    sender: { webchatUserId: userId },
    senderKey: `webchat:${userId}`,
    kind,
    ...(text.length > 0 ? { text: text.slice(0, MAX_TEXT_LENGTH) } : {}),
    ...(hasValue ? { payload: jsonOf(activity.value) } : {}),
    receivedAt: receivedAt.toISOString(),
    replyTo: {
      serviceUrl: activity.serviceUrl ?? '',
      conversationId: activity.conversation?.id ?? '',
      ...(activity.id ? { activityId: activity.id } : {}),
      ...(activity.recipient?.id ? { botId: activity.recipient.id } : {}),
      ...(activity.recipient?.name ? { botName: activity.recipient.name } : {}),
      ...(activity.locale ? { locale: activity.locale.slice(0, 64) } : {}),
    },
  };
  const parsed = messageReceived.data.safeParse(candidate);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'activity'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: 'invalid', message };
  }
  return { ok: true, data: parsed.data };
}

function jsonOf(value: unknown): NonNullable<MessageReceivedData['payload']> {
  try {
    return JSON.parse(JSON.stringify(value)) as NonNullable<MessageReceivedData['payload']>;
  } catch {
    return String(value);
  }
}

/** The users (not the bot) a conversationUpdate adds. */
export function joinedUsers(activity: InboundActivity): string[] {
  if (activity.type !== 'conversationUpdate') return [];
  const botId = activity.recipient?.id;
  return (activity.membersAdded ?? [])
    .map((member) => member.id ?? '')
    .filter((id) => id !== '' && id !== botId);
}

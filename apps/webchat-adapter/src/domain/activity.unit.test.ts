import { describe, expect, it } from 'vitest';
import { inboundFromActivity, joinedUsers } from './activity.js';

const AT = new Date('2026-11-23T12:00:00.000Z');
const MESSAGE = {
  type: 'message',
  id: 'conv-1|0000003',
  text: '  my power is out  ',
  locale: 'en-GB',
  serviceUrl: 'http://127.0.0.1:4000/',
  channelId: 'directline',
  from: { id: 'dl_abc123' },
  recipient: { id: 'omni-bot', name: 'Omni' },
  conversation: { id: 'conv-1' },
};

describe('inboundFromActivity', () => {
  it('given a text message, when converted, then it is message.received data with the reply reference', () => {
    const result = inboundFromActivity(MESSAGE, AT);
    expect(result).toEqual({
      ok: true,
      data: {
        channel: 'webchat',
        providerMessageId: 'conv-1|0000003',
        sender: { webchatUserId: 'dl_abc123' },
        senderKey: 'webchat:dl_abc123',
        kind: 'text',
        text: 'my power is out',
        receivedAt: AT.toISOString(),
        replyTo: {
          serviceUrl: 'http://127.0.0.1:4000/',
          conversationId: 'conv-1',
          activityId: 'conv-1|0000003',
          botId: 'omni-bot',
          botName: 'Omni',
          locale: 'en-GB',
        },
      },
    });
  });

  it('given a card submit without text, when converted, then it is interactive with the value as payload', () => {
    const result = inboundFromActivity({ ...MESSAGE, text: undefined, value: { choice: 'whatsapp' } }, AT);
    expect(result.ok && result.data.kind).toBe('interactive');
    expect(result.ok && result.data.payload).toEqual({ choice: 'whatsapp' });
  });

  it('given a message without a sender, when converted, then it is rejected naming the field', () => {
    const result = inboundFromActivity({ ...MESSAGE, from: { id: '' } }, AT);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('invalid');
    expect(!result.ok && result.message).toContain('sender');
  });

  it('given an empty message, when converted, then it is rejected', () => {
    expect(inboundFromActivity({ ...MESSAGE, text: '   ' }, AT).ok).toBe(false);
  });

  it('given a typing activity, when converted, then it is not a message', () => {
    const result = inboundFromActivity({ ...MESSAGE, type: 'typing' }, AT);
    expect(!result.ok && result.reason).toBe('not-a-message');
  });
});

describe('joinedUsers', () => {
  it('given a conversationUpdate adding the bot and a user, when read, then only the user joined', () => {
    const update = {
      type: 'conversationUpdate',
      recipient: { id: 'omni-bot' },
      membersAdded: [{ id: 'omni-bot' }, { id: 'dl_abc123' }],
    };
    expect(joinedUsers(update)).toEqual(['dl_abc123']);
  });

  it('given a message, when read, then nobody joined', () => {
    expect(joinedUsers(MESSAGE)).toEqual([]);
  });
});

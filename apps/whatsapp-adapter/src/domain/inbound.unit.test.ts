import { messageReceived } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { ADVANCED_MESSAGE_RECEIVED, inboundFromEventGrid } from './inbound.js';

const EVENT_TIME = new Date('2025-03-01T09:00:05.000Z');

/** A documented-shape AdvancedMessageReceived event (WhatsApp sends the number without '+'). */
function received(data: Record<string, unknown>, overrides: { type?: string; time?: Date } = {}) {
  return {
    type: overrides.type ?? ADVANCED_MESSAGE_RECEIVED,
    time: overrides.time ?? EVENT_TIME,
    data: {
      from: '14255550123',
      to: 'c2f8c0a8-5f0e-4d2a-9a53-3f7e3d2a1b11',
      receivedTimestamp: '2025-03-01T09:00:00+00:00',
      channelType: 'whatsapp',
      messageId: 'f1b2c3d4-0000-4000-8000-000000000001',
      ...data,
    },
  };
}

function accepted(result: ReturnType<typeof inboundFromEventGrid>) {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.message}`);
  // Every accepted result must be valid message.received data.
  expect(messageReceived.data.safeParse(result.data).success).toBe(true);
  return result.data;
}

describe('inboundFromEventGrid', () => {
  it('given a text message whose from lacks "+", when mapped, then the sender is E.164 and the key is phone:+E164', () => {
    const data = accepted(inboundFromEventGrid(received({ messageType: 'text', content: 'Hello there' })));
    expect(data).toMatchObject({
      channel: 'whatsapp',
      kind: 'text',
      text: 'Hello there',
      sender: { phone: '+14255550123' },
      senderKey: 'phone:+14255550123',
      providerMessageId: 'f1b2c3d4-0000-4000-8000-000000000001',
      receivedAt: '2025-03-01T09:00:00.000Z',
    });
  });

  it('given a from already in +E.164 form, when mapped, then the "+" is not doubled', () => {
    const data = accepted(
      inboundFromEventGrid(received({ from: '+447911123456', messageType: 'text', content: 'hi' })),
    );
    expect(data.sender.phone).toBe('+447911123456');
  });

  it('given a national number and a default region, when mapped, then it is read in that region', () => {
    const event = received({ from: '07911123456', messageType: 'text', content: 'hi' });
    expect(inboundFromEventGrid(event)).toMatchObject({ ok: false, reason: 'invalid-sender' });
    const data = accepted(inboundFromEventGrid(event, { defaultRegion: 'GB' }));
    expect(data.senderKey).toBe('phone:+447911123456');
  });

  it('given an invalid sender, when mapped, then it is rejected without echoing the number', () => {
    const result = inboundFromEventGrid(received({ from: '12', messageType: 'text', content: 'hi' }));
    expect(result).toMatchObject({ ok: false, reason: 'invalid-sender' });
    expect(JSON.stringify(result)).not.toContain('"12"');
  });

  describe('business-scoped user ids (WhatsApp usernames)', () => {
    const BSUID = 'US.13491208655302741918';

    it('given a username user with an empty from and a fromBSUID, when mapped, then the BSUID is the sender and key', () => {
      const data = accepted(
        inboundFromEventGrid(received({ from: '', fromBSUID: BSUID, messageType: 'text', content: 'hi' })),
      );
      expect(data.sender).toEqual({ whatsappBsuid: BSUID });
      expect(data.senderKey).toBe(`whatsapp-bsuid:${BSUID}`);
    });

    it('given a null from and a fromBSUID, when mapped, then it is accepted on the BSUID', () => {
      const data = accepted(
        inboundFromEventGrid(received({ from: null, fromBSUID: BSUID, messageType: 'text', content: 'hi' })),
      );
      expect(data.sender.phone).toBeUndefined();
      expect(data.sender.whatsappBsuid).toBe(BSUID);
    });

    it('given both a number and a BSUID, when mapped, then both are kept and the BSUID keys the session', () => {
      const data = accepted(
        inboundFromEventGrid(received({ fromBSUID: BSUID, messageType: 'text', content: 'hi' })),
      );
      expect(data.sender).toEqual({ phone: '+14255550123', whatsappBsuid: BSUID });
      expect(data.senderKey).toBe(`whatsapp-bsuid:${BSUID}`);
    });

    it('given an empty from and no BSUID, when mapped, then it is rejected as an invalid sender', () => {
      const result = inboundFromEventGrid(received({ from: '', messageType: 'text', content: 'hi' }));
      expect(result).toMatchObject({ ok: false, reason: 'invalid-sender' });
    });

    it('given an empty from and a malformed BSUID, when mapped, then it is rejected and says which field', () => {
      const result = inboundFromEventGrid(
        received({ from: '', fromBSUID: 'not a bsuid', messageType: 'text', content: 'hi' }),
      );
      expect(result).toMatchObject({ ok: false, reason: 'invalid-sender' });
      if (!result.ok) expect(result.message).toContain('fromBSUID');
    });

    it('given a fromBSUID that is not a string, when mapped, then it is malformed', () => {
      const result = inboundFromEventGrid(received({ fromBSUID: 42, messageType: 'text', content: 'hi' }));
      expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    });
  });

  it('given a template quick-reply button, when mapped, then kind is button with the payload', () => {
    const data = accepted(
      inboundFromEventGrid(
        received({ messageType: 'button', button: { text: 'Yes please', payload: 'continue' } }),
      ),
    );
    expect(data.kind).toBe('button');
    expect(data.text).toBe('Yes please');
    expect(data.payload).toEqual({ text: 'Yes please', payload: 'continue' });
  });

  it('given an interactive button reply, when mapped, then kind is interactive with id and title', () => {
    const data = accepted(
      inboundFromEventGrid(
        received({
          messageType: 'interactive',
          interactive: { type: 'buttonReply', buttonReply: { id: 'opt-yes', title: 'Yes' } },
        }),
      ),
    );
    expect(data.kind).toBe('interactive');
    expect(data.text).toBe('Yes');
    expect(data.payload).toEqual({ type: 'buttonReply', id: 'opt-yes', title: 'Yes' });
  });

  it('given an interactive list reply, when mapped, then the list reply (not an absent button) is used', () => {
    const data = accepted(
      inboundFromEventGrid(
        received({
          messageType: 'interactive',
          interactive: {
            type: 'listReply',
            listReply: { id: 'billing', title: 'Billing', description: 'Bills and payments' },
          },
        }),
      ),
    );
    expect(data.payload).toEqual({
      type: 'listReply',
      id: 'billing',
      title: 'Billing',
      description: 'Bills and payments',
    });
  });

  it.each(['image', 'document', 'video', 'audio'])(
    'given a %s message, when mapped, then kind is media with mimeType, id and caption',
    (messageType) => {
      const data = accepted(
        inboundFromEventGrid(
          received({ messageType, media: { mimeType: 'image/jpeg', id: 'media-123', caption: 'my meter' } }),
        ),
      );
      expect(data.kind).toBe('media');
      expect(data.media).toEqual({ mimeType: 'image/jpeg', id: 'media-123', caption: 'my meter' });
      expect(data.text).toBeUndefined();
    },
  );

  it('given a reaction, when mapped, then kind is reaction with the reacted message id and emoji', () => {
    const data = accepted(
      inboundFromEventGrid(
        received({ messageType: 'reaction', reaction: { messageId: 'wamid.abc', emoji: '👍' } }),
      ),
    );
    expect(data.kind).toBe('reaction');
    expect(data.payload).toEqual({ messageId: 'wamid.abc', emoji: '👍' });
  });

  it.each(['location', 'contacts', 'sticker', 'something-new'])(
    'given a %s message, when mapped, then kind is unsupported (and still accepted)',
    (messageType) => {
      const data = accepted(inboundFromEventGrid(received({ messageType })));
      expect(data.kind).toBe('unsupported');
    },
  );

  it('given no receivedTimestamp, when mapped, then receivedAt is the event time', () => {
    const event = received({ messageType: 'text', content: 'hi' });
    delete (event.data as Record<string, unknown>).receivedTimestamp;
    expect(accepted(inboundFromEventGrid(event)).receivedAt).toBe(EVENT_TIME.toISOString());
  });

  it('given another event type, when mapped, then it is rejected as wrong-event-type', () => {
    const event = received(
      { messageType: 'text', content: 'hi' },
      { type: 'Microsoft.Communication.IncomingCall' },
    );
    expect(inboundFromEventGrid(event)).toMatchObject({ ok: false, reason: 'wrong-event-type' });
  });

  it('given a missing messageId, when mapped, then the Event Grid event id is the provider message id', () => {
    const event = { ...received({ messageType: 'text', content: 'hi', messageId: undefined }), id: 'eg-1' };
    expect(accepted(inboundFromEventGrid(event)).providerMessageId).toBe('eventgrid:eg-1');
  });

  it('given neither a messageId nor an event id, when mapped, then it is rejected (dedupe needs one)', () => {
    const event = received({ messageType: 'text', content: 'hi', messageId: undefined });
    expect(inboundFromEventGrid(event)).toMatchObject({ ok: false, reason: 'missing-message-id' });
  });

  it('given text content and no messageType (as in the published examples), when mapped, then it is text', () => {
    const data = accepted(inboundFromEventGrid(received({ content: 'Hello', messageType: undefined })));
    expect(data).toMatchObject({ kind: 'text', text: 'Hello' });
  });

  it('given non-object data, when mapped, then it is rejected as malformed, not thrown', () => {
    expect(inboundFromEventGrid({ type: ADVANCED_MESSAGE_RECEIVED, data: 'nope' })).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('given another channel type, when mapped, then it is rejected', () => {
    const event = received({ channelType: 'rcs', messageType: 'text', content: 'hi' });
    expect(inboundFromEventGrid(event)).toMatchObject({ ok: false, reason: 'unsupported-channel' });
  });

  it('given text over the contract limit, when mapped, then it is rejected as text-too-long', () => {
    const event = received({ messageType: 'text', content: 'a'.repeat(16_001) });
    expect(inboundFromEventGrid(event)).toMatchObject({ ok: false, reason: 'text-too-long' });
  });
});

import {
  type AcsMessagesEmulator,
  startAcsMessagesEmulator,
  trustCertificate,
} from '@omni/emulators/acs-messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcsWhatsAppSender,
  createMessagesClient,
  type NotificationBody,
  repeatabilityRequestId,
} from './acs.js';

// In Azure the adapter reaches ACS with an endpoint and a managed identity (TokenCredential). The ACS emulator over
// https with its local Entra issuer runs that path: @azure-rest/communication-messages 2.0.0 alone fails there
// ("Duplicate policy names not allowed in pipeline" on every send).

let acs: AcsMessagesEmulator;
let untrust: () => void = () => undefined;

beforeAll(async () => {
  acs = await startAcsMessagesEmulator({ https: true });
  untrust = trustCertificate(acs.caCertificatePem ?? '');
});
afterAll(async () => {
  untrust();
  await acs?.stop();
});

describe('createMessagesClient with an endpoint and a TokenCredential', () => {
  it('sends with a bearer token over https', async () => {
    const sender = new AcsWhatsAppSender(
      createMessagesClient({ endpoint: acs.endpoint, credential: acs.credential() }),
    );

    const messageId = await sender.send({
      channelRegistrationId: acs.channelRegistrationId,
      to: ['+14255550501'],
      kind: 'template',
      template: { name: 'continue_conversation', language: 'en_US' },
    });

    expect(acs.messages.get(messageId)?.channel).toBe('whatsapp');
  });
});

describe('AcsWhatsAppSender: repeatable sends (a replica that crashed after ACS accepted its send)', () => {
  const template = (to: string): NotificationBody => ({
    channelRegistrationId: acs.channelRegistrationId,
    to: [to],
    kind: 'template',
    template: { name: 'continue_conversation', language: 'en_US' },
  });
  /** The Repeatability-Request-ID the emulator recorded for a WhatsApp message. */
  const requestIdOf = (messageId: string) => {
    const recorded = acs.messages.get(messageId);
    return recorded?.channel === 'whatsapp' ? recorded.repeatabilityRequestId : 'not a WhatsApp message';
  };

  it('given the same key and first attempt sent again (another replica taking over), then ACS sends once and both get its message id', async () => {
    const sender = new AcsWhatsAppSender(
      createMessagesClient({ endpoint: acs.endpoint, credential: acs.credential() }),
    );
    const to = '+14255550502';
    const repeatable = { key: 'whatsapp:reply:m-1:turn:0', firstSentAt: Date.now() - 60_000 };

    const first = await sender.send(template(to), repeatable);
    const again = await sender.send(template(to), repeatable);

    expect(again).toBe(first);
    expect(acs.messages.whatsapp(to)).toHaveLength(1);
    expect(requestIdOf(first)).toBe(repeatabilityRequestId(repeatable.key));
  });

  it('given a first attempt older than the 5 minutes ACS tracks, then the 412 is answered by sending as a new request', async () => {
    const sender = new AcsWhatsAppSender(
      createMessagesClient({ endpoint: acs.endpoint, credential: acs.credential() }),
    );
    const to = '+14255550503';

    const id = await sender.send(template(to), { key: 'k-late', firstSentAt: Date.now() - 6 * 60_000 });

    expect(acs.messages.whatsapp(to)).toHaveLength(1);
    expect(requestIdOf(id)).toBeUndefined();
  });

  it('derives a version-4-shaped GUID per key, the same every time', () => {
    const id = repeatabilityRequestId('whatsapp:reply:m-1:turn:0');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(repeatabilityRequestId('whatsapp:reply:m-1:turn:0')).toBe(id);
    expect(repeatabilityRequestId('whatsapp:reply:m-1:turn:1')).not.toBe(id);
  });
});

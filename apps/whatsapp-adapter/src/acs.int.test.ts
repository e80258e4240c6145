import {
  type AcsMessagesEmulator,
  startAcsMessagesEmulator,
  trustCertificate,
} from '@omni/emulators/acs-messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcsWhatsAppSender, createMessagesClient } from './acs.js';

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

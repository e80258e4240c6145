import {
  type AcsMessagesEmulator,
  startAcsMessagesEmulator,
  trustCertificate,
} from '@omni/emulators/acs-messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcsSmsSender } from './sms-sender.js';

// The adapter's SMS path as deployed (endpoint + managed identity) against the ACS emulator over https.
let acs: AcsMessagesEmulator;
let untrust: () => void = () => undefined;
let sender: AcsSmsSender;
const FROM = '+18005550100';

beforeAll(async () => {
  acs = await startAcsMessagesEmulator({ https: true });
  untrust = trustCertificate(acs.caCertificatePem ?? '');
  sender = new AcsSmsSender({ endpoint: acs.endpoint, credential: acs.credential() }, FROM);
});
afterAll(async () => {
  untrust();
  await acs?.stop();
});

describe('AcsSmsSender: repeatable sends (a replica taking over from one that crashed after ACS accepted the SMS)', () => {
  it('given the same key and first attempt sent again, then ACS sends one SMS and both get its message id', async () => {
    const to = '+14255550601';
    const repeatable = { key: 'sms:handoff-notice:ho_1', firstSentAt: Date.now() - 60_000 };

    const first = await sender.send(to, 'Continue here: https://x/1', 'handoff:ho_1', repeatable);
    const again = await sender.send(to, 'Continue here: https://x/1', 'handoff:ho_1', repeatable);

    expect(again).toBe(first);
    expect(acs.messages.sms(to)).toHaveLength(1);
  });

  it('given no key (the SDK alone: a new random id per call), then a repeat is a second SMS', async () => {
    const to = '+14255550602';
    await sender.send(to, 'hello', 'tag');
    await sender.send(to, 'hello', 'tag');
    expect(acs.messages.sms(to)).toHaveLength(2);
  });

  it('given a first attempt older than the 5 minutes ACS tracks, then the refusal is answered by sending as a new request', async () => {
    const to = '+14255550603';
    const id = await sender.send(to, 'late', 'tag', {
      key: 'sms:late',
      firstSentAt: Date.now() - 6 * 60_000,
    });
    expect(acs.messages.sms(to).map((sms) => sms.messageId)).toEqual([id]);
  });
});

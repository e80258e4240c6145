import type { MessageContext } from '@omni/messaging';
import type { NotificationBody, WhatsAppSender } from './acs.js';
import type { AdapterStore } from './inbound-handler.js';

/**
 * Sends one WhatsApp message at most once per `key`, from the replica that holds the message being handled: the
 * idempotency ledger runs the send once; the lock is checked right before it (another replica may have the session
 * by now); and ACS gets it as a repeatable request (the key's GUID, its first claim time), so a replica taking over
 * from one that crashed after ACS accepted the send does not send it again (ADR 0091). Returns the message id.
 */
export function sendOnce(
  store: Pick<AdapterStore, 'runOnce'>,
  sender: WhatsAppSender,
  context: Pick<MessageContext, 'assertLockHeld'>,
  key: string,
  body: NotificationBody,
): Promise<string> {
  return store.runOnce(key, ({ firstClaimedAt }) => {
    context.assertLockHeld();
    return sender.send(body, { key, firstSentAt: firstClaimedAt });
  });
}

import type { MessageContext } from '@omni/messaging';
import type { Repeatable } from './acs.js';
import type { AdapterStore } from './inbound-handler.js';

/**
 * Sends one message (WhatsApp or SMS) at most once per `key`, from the replica that holds the message being
 * handled: the idempotency ledger runs the send once; the lock is checked right before it (another replica may have
 * the session by now); and `send` gets the key and its first claim time to give ACS as a repeatable request, so a
 * replica taking over from one that crashed after ACS accepted the send does not send it again (ADR 0091).
 * Returns the message id.
 */
export function sendOnce(
  store: Pick<AdapterStore, 'runOnce'>,
  context: Pick<MessageContext, 'assertLockHeld'>,
  key: string,
  send: (repeatable: Repeatable) => Promise<string>,
): Promise<string> {
  return store.runOnce(key, ({ firstClaimedAt }) => {
    context.assertLockHeld();
    return send({ key, firstSentAt: firstClaimedAt });
  });
}

import type { MessageContext } from '@omni/messaging';
import type { Logger } from 'pino';

/** The context a consumer hands a handler, for tests that call handlers directly: first delivery, lock held. */
export function testMessageContext(log: Logger): MessageContext {
  return { messageId: 'm', attempt: 1, sessionId: undefined, log, assertLockHeld: () => {} };
}

import type { DeadLetterSummary } from '@omni/messaging';
import type { OpsCommand } from './command.js';

interface DeadLetterListing {
  entities: { entity: string; count: number; messages: DeadLetterSummary[] }[];
}

/** `pnpm ops dead-letters [--entity <path>]`: what is dead-lettered where, and why (never bodies). */
export const deadLettersCommand: OpsCommand = {
  name: 'dead-letters',
  summary: 'List dead-lettered messages per queue/subscription: reason, event type, age (never bodies).',
  usage: 'pnpm ops dead-letters [--entity <queue or topic/Subscriptions/name>]',
  options: { entity: { type: 'string' } },
  async run({ values, api, out }) {
    const entity = typeof values.entity === 'string' ? `?entity=${encodeURIComponent(values.entity)}` : '';
    const listing = await api.request<DeadLetterListing>('GET', `/api/dead-letters${entity}`);
    const nonEmpty = listing.entities.filter((e) => e.count > 0);
    if (nonEmpty.length === 0) {
      out('No dead letters.');
      return 0;
    }
    for (const { entity: path, count, messages } of nonEmpty) {
      out(`${path}: ${count}${count >= 100 ? '+' : ''}`);
      for (const message of messages) {
        out(
          `  ${message.enqueuedAt ?? '?'}  ${message.eventType}  ${message.messageId}  ${message.reason}: ${message.description}`,
        );
      }
    }
    return 0;
  },
};

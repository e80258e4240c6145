import type { RedriveResult } from '@omni/messaging';
import { type OpsCommand, UsageError } from './command.js';

/**
 * `pnpm ops redrive --entity <path> (--message-id <id>... | --reason <reason> | --all) [--yes]`: sends dead letters
 * back to the queue / subscription they came from (only that one; same message id), after a confirmation.
 */
export const redriveCommand: OpsCommand = {
  name: 'redrive',
  summary: 'Send dead letters back to their queue/subscription (one, by reason, or all); same message id.',
  usage:
    'pnpm ops redrive --entity <queue or topic/Subscriptions/name> (--message-id <id> [--message-id <id>...] | --reason <reason> | --all) [--yes]',
  options: {
    entity: { type: 'string' },
    'message-id': { type: 'string', multiple: true },
    reason: { type: 'string' },
    all: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
  },
  async run({ values, api, out, confirm }) {
    const entity = values.entity;
    if (typeof entity !== 'string' || entity === '') throw new UsageError('--entity is required.');
    const messageIds = Array.isArray(values['message-id'])
      ? values['message-id'].filter((id): id is string => typeof id === 'string')
      : [];
    const reason = typeof values.reason === 'string' ? values.reason : undefined;
    const all = values.all === true;
    const given = [messageIds.length > 0, reason !== undefined, all].filter(Boolean).length;
    if (given !== 1) throw new UsageError('Give exactly one of --message-id, --reason or --all.');
    const what =
      messageIds.length > 0
        ? `${messageIds.length} dead letter(s) by id`
        : reason !== undefined
          ? `the dead letters with reason "${reason}"`
          : 'all dead letters';
    if (values.yes !== true && !(await confirm(`Redrive ${what} of ${entity}?`))) {
      out('Nothing redriven (confirm, or pass --yes).');
      return 1;
    }
    const body =
      messageIds.length > 0
        ? { entity, messageIds }
        : reason !== undefined
          ? { entity, reason }
          : { entity, all };
    const result = await api.request<RedriveResult>('POST', '/api/dead-letters/redrive', body);
    out(`${result.entity}: ${result.redriven} redriven.`);
    if (result.tooRecent > 0) {
      out(
        `${result.tooRecent} left: still inside the duplicate-detection window (the broker would drop the same id); ` +
          `run again in ${result.retryAfterSeconds ?? '?'} s.`,
      );
    }
    return 0;
  },
};

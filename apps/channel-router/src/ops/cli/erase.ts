import type { ErasureReport } from '../../privacy/customer-erasure-job.js';
import type { OpsCommand } from './command.js';
import { customerIdOf, customerTargetOptions } from './customer-target.js';

/** `pnpm ops erase --customer <id> | --phone <number> [--yes]`: erase a customer from every store. */
export const eraseCommand: OpsCommand = {
  name: 'erase',
  summary: 'Erase a customer from every store (Cosmos, Foundry, Redis, Service Bus); asks to confirm.',
  usage: 'pnpm ops erase (--customer <id> | --phone <number>) [--yes]',
  options: { ...customerTargetOptions, yes: { type: 'boolean' } },
  async run({ values, api, out, confirm }) {
    const customerId = await customerIdOf(values, api);
    if (
      values.yes !== true &&
      !(await confirm(`Erase customer ${customerId} from every store? This cannot be undone.`))
    ) {
      out('Not erased: confirm at the prompt, or pass --yes.');
      return 1;
    }
    const { erasure } = await api.request<{ erasure: ErasureReport }>(
      'DELETE',
      `/api/customers/${encodeURIComponent(customerId)}`,
    );
    out(`Customer ${customerId}: erasure ${erasure.status} (${erasure.id}, run ${erasure.runs}).`);
    for (const [step, done] of Object.entries(erasure.steps)) {
      const removed = Object.entries(done?.removed ?? {})
        .map(([what, n]) => `${what} ${n}`)
        .join(', ');
      out(`  ${step}: ${removed === '' ? 'nothing held' : removed}`);
    }
    return 0;
  },
};

import { writeFile } from 'node:fs/promises';
import type { OpsCommand } from './command.js';
import { customerIdOf, customerTargetOptions } from './customer-target.js';

/** `pnpm ops export --customer <id> | --phone <number> [--out <file>]`: everything held about a customer. */
export const exportCommand: OpsCommand = {
  name: 'export',
  summary:
    'Export everything held about a customer as one JSON document (stdout, or --out <file>, mode 0600).',
  usage: 'pnpm ops export (--customer <id> | --phone <number>) [--out <file>]',
  options: { ...customerTargetOptions, out: { type: 'string' } },
  async run({ values, api, out }) {
    const customerId = await customerIdOf(values, api);
    const exported = await api.request('GET', `/api/customers/${encodeURIComponent(customerId)}/export`);
    const json = JSON.stringify(exported, null, 2);
    if (typeof values.out === 'string') {
      // Personal data: readable by the operator only.
      await writeFile(values.out, `${json}\n`, { mode: 0o600 });
      out(`Customer ${customerId}: export written to ${values.out}.`);
    } else {
      out(json);
    }
    return 0;
  },
};

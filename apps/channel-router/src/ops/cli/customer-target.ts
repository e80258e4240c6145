import { UsageError } from './command.js';
import type { OpsApiClient } from './ops-client.js';

/** The options that name a customer: `--customer <id>` or `--phone <number>` (looked up, never created). */
export const customerTargetOptions = {
  customer: { type: 'string' },
  phone: { type: 'string' },
} as const;

/** The customer id the options name; a phone number is looked up through the ops API. */
export async function customerIdOf(
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
  api: OpsApiClient,
): Promise<string> {
  const customer = typeof values.customer === 'string' ? values.customer : undefined;
  const phone = typeof values.phone === 'string' ? values.phone : undefined;
  if ((customer === undefined) === (phone === undefined)) {
    throw new UsageError('Give exactly one of --customer <id> or --phone <number>.');
  }
  if (customer !== undefined) return customer;
  const found = await api.request<{ customerId: string }>(
    'GET',
    `/api/customers?phone=${encodeURIComponent(phone ?? '')}`,
  );
  return found.customerId;
}

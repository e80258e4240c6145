import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { CustomerContextContainers } from './cosmos.js';

/** The id of a customer's erasure record: `erasure_<sha256 of the customer id>` (the record never names the customer). */
export function erasureId(customerId: string): string {
  return `erasure_${createHash('sha256').update(customerId, 'utf8').digest('hex')}`;
}

/** The Cosmos container of the erasure journal and audit (`erasures`, pk `/id`), next to the customer context's. */
export function erasuresContainerOf(containers: Pick<CustomerContextContainers, 'customers'>): Container {
  return containers.customers.database.container('erasures');
}

/**
 * Whether a customer is erased (or being erased): the channel-router's erasure journal has a record for them. Every
 * service asks before handling an event about a customer, so a late or redelivered event cannot bring an erased
 * customer back. Erasure never ends, so a yes is remembered for the life of the process; a no is asked again.
 */
export class ErasureRegistry {
  readonly #container: Container;
  readonly #erased = new Set<string>();

  constructor(container: Container) {
    this.#container = container;
  }

  async isErased(customerId: string): Promise<boolean> {
    if (this.#erased.has(customerId)) return true;
    const id = erasureId(customerId);
    const { resource } = await this.#container.item(id, id).read();
    if (resource === undefined) return false;
    this.#erased.add(customerId);
    return true;
  }
}

import type { ConversationRecords } from '@omni/conversation';
import type { CustomerRecords } from '@omni/customer-context';

/** The answer to "send me everything you hold about me": one JSON document. */
export interface CustomerExport {
  readonly exportedAt: string;
  readonly customerId: string;
  /** Every Cosmos record: customer (sessions, summary, collected data), identities, transcripts, handoffs, ... */
  readonly records: CustomerRecords;
  /** The items of each of the customer's Foundry conversations (merged customers' included). */
  readonly foundryConversations: readonly { readonly conversationId: string; readonly items: unknown[] }[];
}

/** Builds a customer's export; reads only. Undefined when nothing is held about the customer. */
export async function exportCustomer(
  ports: {
    records: { exportCustomer(customerId: string): Promise<CustomerRecords> };
    conversations?: ConversationRecords;
  },
  customerId: string,
  now: Date,
): Promise<CustomerExport | undefined> {
  const records = await ports.records.exportCustomer(customerId);
  if (
    records.customer === null &&
    records.identities.length === 0 &&
    Object.keys(records.partitions).length === 0
  )
    return undefined;
  const customer = records.customer as {
    foundryConversationId?: unknown;
    mergedConversationIds?: unknown;
  } | null;
  const ids = [
    customer?.foundryConversationId,
    ...(Array.isArray(customer?.mergedConversationIds) ? customer.mergedConversationIds : []),
  ].filter((id): id is string => typeof id === 'string' && id.length > 0);
  const foundryConversations = [];
  for (const conversationId of ids) {
    foundryConversations.push({
      conversationId,
      items: ports.conversations === undefined ? [] : await ports.conversations.items(conversationId),
    });
  }
  return { exportedAt: now.toISOString(), customerId: records.customerId, records, foundryConversations };
}

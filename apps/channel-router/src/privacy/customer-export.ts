import type { ConversationRecords } from '@omni/conversation';
import type { CustomerRecords } from '@omni/customer-context';
import type { DeadLetterAbout, DeadLetterQueues } from '@omni/messaging';
import type { Assignment, QueueItem, QueueState } from '../queue/queue-state.js';
import { workOf } from './customer-erasure-job.js';

/** The answer to "send me everything you hold about me": one JSON document. */
export interface CustomerExport {
  readonly exportedAt: string;
  readonly customerId: string;
  /** Every Cosmos record: customer (sessions, summary, collected data), identities, transcripts, handoffs, ... */
  readonly records: CustomerRecords;
  /** The items of each of the customer's Foundry conversations (merged customers' included). */
  readonly foundryConversations: readonly { readonly conversationId: string; readonly items: unknown[] }[];
  /** What the human-agent queues hold: waiting items (with their summaries) and assignments to agents. */
  readonly queue: { readonly waiting: readonly QueueItem[]; readonly assignments: readonly Assignment[] };
  /** Dead-lettered messages about the customer, with their events. */
  readonly deadLetters: readonly DeadLetterAbout[];
}

/** The stores an export reads; absent ones give empty sections. */
export interface CustomerExportPorts {
  records: { exportCustomer(customerId: string): Promise<CustomerRecords> };
  conversations?: ConversationRecords;
  queueState?: Pick<QueueState, 'queues' | 'snapshot' | 'agents' | 'assignmentsOf' | 'unannounced'>;
  deadLetters?: Pick<DeadLetterQueues, 'listAbout'>;
}

/** What the queues hold about a customer: waiting items, agents' assignment history and unannounced assignments. */
async function queueRecordsOf(
  queueState: NonNullable<CustomerExportPorts['queueState']>,
  customerId: string,
): Promise<CustomerExport['queue']> {
  const waiting: QueueItem[] = [];
  for (const queue of await queueState.queues()) {
    const snapshot = await queueState.snapshot(queue);
    waiting.push(...snapshot.items.filter((item) => item.customerId === customerId));
  }
  const agents = await queueState.agents();
  const lists = [
    await queueState.unannounced(),
    ...(await Promise.all(agents.map((agent) => queueState.assignmentsOf(agent.agentId)))),
  ];
  const assignments = new Map<string, Assignment>();
  for (const list of lists) {
    for (const assignment of list) {
      if (assignment.item.customerId === customerId) assignments.set(assignment.item.id, assignment);
    }
  }
  return { waiting, assignments: [...assignments.values()] };
}

/** Builds a customer's export; reads only. Undefined when nothing is held about the customer. */
export async function exportCustomer(
  ports: CustomerExportPorts,
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
  const work = workOf(records);
  const foundryConversations = [];
  for (const conversationId of work.conversationIds) {
    foundryConversations.push({
      conversationId,
      items: ports.conversations === undefined ? [] : await ports.conversations.items(conversationId),
    });
  }
  const [queue, deadLetters] = await Promise.all([
    ports.queueState === undefined
      ? { waiting: [], assignments: [] }
      : queueRecordsOf(ports.queueState, records.customerId),
    ports.deadLetters === undefined ? [] : ports.deadLetters.listAbout(work.sessionIds),
  ]);
  return {
    exportedAt: now.toISOString(),
    customerId: records.customerId,
    records,
    foundryConversations,
    queue,
    deadLetters,
  };
}

import type { CollectedData } from '@omni/contracts';
import type { Customer, Turn } from '@omni/customer-context';
import { type AssignmentView, assignmentView } from '../queue/queue-monitor.js';
import type { Assignment } from '../queue/queue-state.js';

/** Turns a human agent's desk shows with an assignment. */
export const DESK_TURNS = 6;

/** One turn as the desk shows it. */
export interface DeskTurn {
  readonly at: string;
  readonly channel: Turn['channel'];
  readonly role: Turn['role'];
  readonly text: string;
}

/** An assignment with the warm-handoff context a human agent needs: summary, collected data, last turns. */
export interface DeskView extends AssignmentView {
  readonly lastTurns: readonly DeskTurn[];
}

/** What the desk reads from the customer context. */
export interface DeskStore {
  getCustomer(customerId: string): Promise<Customer>;
  recentTurns(customerId: string, n: number): Promise<Turn[]>;
}

/** Collected data without the engine's reserved keys (`_engine.*`): they are state, not facts for an agent. */
function publicData(data: CollectedData): CollectedData {
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('_')));
}

/**
 * The desk view of an assignment. A messaging escalation carries the summary and collected data taken when it
 * was raised; a queued call carries none (the voice adapter stores them with the customer when it queues the
 * caller), so the customer's stored ones fill in. The last turns, on every channel, come from the transcript.
 */
export async function deskView(assignment: Assignment, store: DeskStore): Promise<DeskView> {
  const view = assignmentView(assignment);
  const customerId = assignment.item.customerId;
  const [customer, turns] = await Promise.all([
    view.summary === null || view.collectedData === null
      ? store.getCustomer(customerId).catch(() => undefined)
      : Promise.resolve(undefined),
    store.recentTurns(customerId, DESK_TURNS).catch(() => [] as Turn[]),
  ]);
  return {
    ...view,
    summary: view.summary ?? customer?.summary ?? null,
    collectedData: view.collectedData ?? (customer ? publicData(customer.collectedData) : null),
    lastTurns: turns
      .filter((t) => t.role === 'customer' || t.role === 'assistant' || t.role === 'agent')
      .slice(-DESK_TURNS)
      .map((t) => ({ at: t.at, channel: t.channel, role: t.role, text: t.text })),
  };
}

/**
 * The channels a customer used, in the order first used: sessions (voice records them), transcript turns and
 * inbound messages (WhatsApp and web chat record those), so the header follows a switch.
 */
export function channelsUsed(
  customer: Customer,
  turns: readonly Turn[],
): Customer['sessions'][number]['channel'][] {
  const firstUse = new Map<string, number>();
  const seen = (channel: string, at: string | null | undefined) => {
    const t = at ? Date.parse(at) : Number.POSITIVE_INFINITY;
    const known = firstUse.get(channel);
    if (known === undefined || t < known) firstUse.set(channel, t);
  };
  for (const s of customer.sessions) seen(s.channel, s.startedAt);
  for (const t of turns) seen(t.channel, t.at);
  for (const [channel, at] of Object.entries(customer.lastInboundAt)) if (at) seen(channel, at);
  return [...firstUse.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([channel]) => channel as Customer['sessions'][number]['channel']);
}

import type { AgentStatus, Channel, CollectedData } from '@omni/contracts';
import { shouldPublishStatus } from '../domain/queue-levels.js';

/** Where a waiting item came from: a queued call, or a messaging escalation (including callback offers). */
export type QueueItemKind = 'voice' | 'messaging';

/** A customer waiting in a human-agent queue. Times are epoch milliseconds. */
export interface QueueItem {
  /** `call:<callId>` or `escalation:<escalationId>`. */
  readonly id: string;
  readonly queue: string;
  readonly kind: QueueItemKind;
  readonly customerId: string;
  readonly channel: Channel;
  /** 0 (lowest) to 9 (highest). */
  readonly priority: number;
  readonly enqueuedAt: number;
  readonly callId?: string;
  readonly escalationId?: string;
  readonly reason?: string;
  /** The warm-handoff context for the agent. */
  readonly summary?: string;
  readonly collectedData?: CollectedData;
  /** The correlation id of the journey that queued it. */
  readonly correlationId: string;
}

/** The contact an agent is handling. */
export interface CurrentContact {
  readonly itemId: string;
  readonly queue: string;
  readonly kind: QueueItemKind;
}

/** A human agent as the router knows them. */
export interface AgentState {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly queues: readonly string[];
  /** When the state last changed (epoch ms); older updates are ignored. */
  readonly updatedAt: number;
  /** When the current contact started (epoch ms), when handling one. */
  readonly busySince?: number;
  readonly current?: CurrentContact;
}

/** An item given to an agent. */
export interface Assignment {
  readonly item: QueueItem;
  readonly agentId: string;
  readonly assignedAt: number;
}

/** An agent's reported status. */
export interface AgentUpdate {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly queues: readonly string[];
  readonly at: number;
}

/** The outcome of {@link QueueState.updateAgent}. */
export interface AgentUpdateResult {
  /** False when the update was older than the state (a redelivery, or our own event coming back). */
  readonly applied: boolean;
  /** A contact the agent finished with this update, and how long it took (seconds). */
  readonly handled?: { readonly queue: string; readonly seconds: number };
  /** The agent before the update. */
  readonly previous?: AgentState;
}

/** Cumulative service-level counters of a queue. */
export interface ServiceLevelCounts {
  /** Items given to an agent. */
  readonly answered: number;
  /** Of those, the ones that waited no longer than the target. */
  readonly answeredWithinTarget: number;
  /** Calls hung up while waiting. */
  readonly abandoned: number;
}

/** Everything the monitor reads about one queue. */
export interface QueueSnapshot {
  /** Waiting items, next first (highest priority, then longest waiting). */
  readonly items: readonly QueueItem[];
  /** Agents serving the queue. */
  readonly agents: readonly AgentState[];
  /** Recent handle times, seconds, newest first. */
  readonly handleSeconds: readonly number[];
  /** Recent arrival times (epoch ms) within the last hour. */
  readonly arrivals: readonly number[];
}

/**
 * The shared queue state, atomic per operation so that several router replicas agree: an item is enqueued
 * once, assigned once, and an agent gets one contact at a time. Redis (Lua scripts) or memory.
 */
export interface QueueState {
  /** Adds an item; false when it was seen before (also after it was assigned or abandoned). */
  enqueue(item: QueueItem): Promise<boolean>;
  /** Removes a waiting item (abandoned); the item, or undefined when it was not waiting. */
  remove(queue: string, itemId: string): Promise<QueueItem | undefined>;
  /** Applies an agent's status when newer than what is known. */
  updateAgent(update: AgentUpdate): Promise<AgentUpdateResult>;
  /** Records a handled contact's duration (the rolling window). */
  recordHandleTime(queue: string, seconds: number): Promise<void>;
  /**
   * Atomically gives the queue's next item to the free agent serving it who has been free longest, marking
   * the agent busy; undefined when there is no item or no free agent.
   */
  assignNext(queue: string, now: number): Promise<Assignment | undefined>;
  snapshot(queue: string): Promise<QueueSnapshot>;
  /** Every queue seen (items or agents). */
  queues(): Promise<string[]>;
  agents(): Promise<AgentState[]>;
  /** Assignments made to an agent, newest first. */
  assignmentsOf(agentId: string): Promise<Assignment[]>;
  /** Counts an answered item (and whether within the target) or an abandoned one. */
  countServiceLevel(queue: string, outcome: 'within-target' | 'late' | 'abandoned'): Promise<void>;
  /** The queue's service-level counters. */
  serviceLevel(queue: string): Promise<ServiceLevelCounts>;
  /** Assignments not yet announced (`call.assigned` not yet published), so a failed publish is retried. */
  unannounced(): Promise<Assignment[]>;
  /**
   * Admits `member` (a handoff) to a capped set under `key` (a destination number and day): true when it is
   * already in the set or the set holds fewer than `limit`; the set expires `ttlMs` after its first member.
   * Idempotent per member, atomic across replicas.
   */
  admitCapped(key: string, member: string, limit: number, ttlMs: number, now: number): Promise<boolean>;
  /** Marks an assignment announced. */
  markAnnounced(itemId: string): Promise<void>;
  /**
   * Claims the right to publish a status of `level` now: true when the level changed or `intervalMs` passed
   * since the last publication (of any replica).
   */
  claimStatus(queue: string, key: string, now: number, intervalMs: number): Promise<boolean>;
  /**
   * Erasure: removes everything held about a customer (waiting items with their summaries, agents' assignment
   * history, unannounced assignments). Returns how many entries were removed. Idempotent.
   */
  eraseCustomer(customerId: string): Promise<number>;
  close(): Promise<void>;
}

/** Handle times kept per queue. */
export const HANDLE_WINDOW = 200;
/** How long arrivals are kept for the mass-event rule. */
export const ARRIVAL_WINDOW_MS = 3_600_000;
/** Assignments kept per agent. */
export const ASSIGNMENTS_PER_AGENT = 50;

/** Orders waiting items: highest priority first, then the longest waiting. */
export function itemOrder(a: QueueItem, b: QueueItem): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id);
}

/** Applies an agent update to the known state (pure; shared by both stores). */
export function applyAgentUpdate(
  previous: AgentState | undefined,
  update: AgentUpdate,
): {
  next: AgentState | undefined;
  result: AgentUpdateResult;
} {
  if (previous !== undefined && previous.updatedAt >= update.at) {
    return { next: undefined, result: { applied: false, previous } };
  }
  const keepsContact = update.status === 'busy' && previous?.current !== undefined;
  const next: AgentState = {
    agentId: update.agentId,
    status: update.status,
    queues: [...update.queues],
    updatedAt: update.at,
    ...(keepsContact && previous?.current !== undefined
      ? {
          current: previous.current,
          ...(previous.busySince !== undefined ? { busySince: previous.busySince } : {}),
        }
      : {}),
  };
  const finished =
    !keepsContact && previous?.current !== undefined && previous.busySince !== undefined
      ? { queue: previous.current.queue, seconds: Math.max(0, (update.at - previous.busySince) / 1000) }
      : undefined;
  return {
    next,
    result: { applied: true, ...(finished ? { handled: finished } : {}), ...(previous ? { previous } : {}) },
  };
}

/** The in-memory {@link QueueState}: one process (tests, a single replica without Redis). */
export class MemoryQueueState implements QueueState {
  readonly #items = new Map<string, Map<string, QueueItem>>();
  readonly #seen = new Set<string>();
  readonly #agents = new Map<string, AgentState>();
  readonly #handle = new Map<string, number[]>();
  readonly #arrivals = new Map<string, number[]>();
  readonly #assignments = new Map<string, Assignment[]>();
  readonly #status = new Map<string, { level: string; publishedAt: number }>();
  readonly #unannounced = new Map<string, Assignment>();
  readonly #serviceLevel = new Map<string, ServiceLevelCounts>();
  readonly #queues = new Set<string>();

  async enqueue(item: QueueItem): Promise<boolean> {
    if (this.#seen.has(item.id)) return false;
    this.#seen.add(item.id);
    this.#queues.add(item.queue);
    const items = this.#items.get(item.queue) ?? new Map<string, QueueItem>();
    items.set(item.id, item);
    this.#items.set(item.queue, items);
    const arrivals = (this.#arrivals.get(item.queue) ?? []).filter(
      (at) => at >= item.enqueuedAt - ARRIVAL_WINDOW_MS,
    );
    arrivals.push(item.enqueuedAt);
    this.#arrivals.set(item.queue, arrivals);
    return true;
  }

  async remove(queue: string, itemId: string): Promise<QueueItem | undefined> {
    const items = this.#items.get(queue);
    const item = items?.get(itemId);
    items?.delete(itemId);
    // A removal before the enqueue arrived (out of order) must keep the late enqueue out.
    this.#seen.add(itemId);
    return item;
  }

  async updateAgent(update: AgentUpdate): Promise<AgentUpdateResult> {
    const { next, result } = applyAgentUpdate(this.#agents.get(update.agentId), update);
    if (next !== undefined) {
      this.#agents.set(update.agentId, next);
      for (const queue of next.queues) this.#queues.add(queue);
    }
    return result;
  }

  async recordHandleTime(queue: string, seconds: number): Promise<void> {
    const list = this.#handle.get(queue) ?? [];
    list.unshift(seconds);
    this.#handle.set(queue, list.slice(0, HANDLE_WINDOW));
  }

  async assignNext(queue: string, now: number): Promise<Assignment | undefined> {
    const items = [...(this.#items.get(queue)?.values() ?? [])].sort(itemOrder);
    const item = items[0];
    if (item === undefined) return undefined;
    const free = [...this.#agents.values()]
      .filter(
        (agent) =>
          agent.status === 'available' && agent.current === undefined && agent.queues.includes(queue),
      )
      .sort((a, b) => a.updatedAt - b.updatedAt || a.agentId.localeCompare(b.agentId))[0];
    if (free === undefined) return undefined;
    this.#items.get(queue)?.delete(item.id);
    this.#agents.set(free.agentId, {
      ...free,
      status: 'busy',
      updatedAt: now,
      busySince: now,
      current: { itemId: item.id, queue, kind: item.kind },
    });
    const assignment: Assignment = { item, agentId: free.agentId, assignedAt: now };
    const list = this.#assignments.get(free.agentId) ?? [];
    this.#assignments.set(free.agentId, [assignment, ...list].slice(0, ASSIGNMENTS_PER_AGENT));
    this.#unannounced.set(item.id, assignment);
    return assignment;
  }

  async snapshot(queue: string): Promise<QueueSnapshot> {
    return {
      items: [...(this.#items.get(queue)?.values() ?? [])].sort(itemOrder),
      agents: [...this.#agents.values()].filter((agent) => agent.queues.includes(queue)),
      handleSeconds: [...(this.#handle.get(queue) ?? [])],
      arrivals: [...(this.#arrivals.get(queue) ?? [])],
    };
  }

  async queues(): Promise<string[]> {
    return [...this.#queues].sort();
  }

  async agents(): Promise<AgentState[]> {
    return [...this.#agents.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  async assignmentsOf(agentId: string): Promise<Assignment[]> {
    return [...(this.#assignments.get(agentId) ?? [])];
  }

  async countServiceLevel(queue: string, outcome: 'within-target' | 'late' | 'abandoned'): Promise<void> {
    // Read and write with no await between: the consumer handles several hang-ups at once, and an await here
    // let them all read the same count and each write it plus one (10 hang-ups counted as 3, issue #18).
    const current = this.#serviceLevel.get(queue) ?? { answered: 0, answeredWithinTarget: 0, abandoned: 0 };
    this.#serviceLevel.set(queue, {
      answered: current.answered + (outcome === 'abandoned' ? 0 : 1),
      answeredWithinTarget: current.answeredWithinTarget + (outcome === 'within-target' ? 1 : 0),
      abandoned: current.abandoned + (outcome === 'abandoned' ? 1 : 0),
    });
  }

  async serviceLevel(queue: string): Promise<ServiceLevelCounts> {
    return this.#serviceLevel.get(queue) ?? { answered: 0, answeredWithinTarget: 0, abandoned: 0 };
  }

  async unannounced(): Promise<Assignment[]> {
    return [...this.#unannounced.values()];
  }

  async markAnnounced(itemId: string): Promise<void> {
    this.#unannounced.delete(itemId);
  }

  async eraseCustomer(customerId: string): Promise<number> {
    let removed = 0;
    for (const items of this.#items.values()) {
      for (const [id, item] of items) {
        if (item.customerId === customerId && items.delete(id)) removed++;
      }
    }
    for (const [agentId, list] of this.#assignments) {
      const kept = list.filter((a) => a.item.customerId !== customerId);
      removed += list.length - kept.length;
      this.#assignments.set(agentId, kept);
    }
    for (const [itemId, assignment] of this.#unannounced) {
      if (assignment.item.customerId === customerId && this.#unannounced.delete(itemId)) removed++;
    }
    return removed;
  }

  readonly #capped = new Map<string, { members: Set<string>; expiresAt: number }>();

  async admitCapped(
    key: string,
    member: string,
    limit: number,
    ttlMs: number,
    now: number,
  ): Promise<boolean> {
    let set = this.#capped.get(key);
    if (set === undefined || set.expiresAt <= now) {
      set = { members: new Set(), expiresAt: now + ttlMs };
      this.#capped.set(key, set);
    }
    if (set.members.has(member)) return true;
    if (set.members.size >= limit) return false;
    set.members.add(member);
    return true;
  }

  async claimStatus(queue: string, key: string, now: number, intervalMs: number): Promise<boolean> {
    const previous = this.#status.get(queue);
    if (!shouldPublishStatus(previous, key, now, intervalMs)) return false;
    this.#status.set(queue, { level: key, publishedAt: now });
    return true;
  }

  async close(): Promise<void> {}
}

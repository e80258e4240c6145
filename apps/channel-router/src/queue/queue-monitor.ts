import { type AgentStatus, createEvent, type OmniEvent, type QueueLevel } from '@omni/contracts';
import type { MessageContext } from '@omni/messaging';
import type { Logger } from 'pino';
import {
  type EstimatorName,
  estimateWaitsSeconds,
  estimators,
  type WaitInputs,
} from '../domain/estimators.js';
import { isMassEvent, type LevelThresholds, type MassEventRule, queueLevel } from '../domain/queue-levels.js';
import type { LiveFeed } from '../ops/live-feed.js';
import type { AgentState, Assignment, QueueItem, QueueSnapshot, QueueState } from './queue-state.js';
import type { RouterMetrics } from './router-metrics.js';

const SOURCE = '/apps/channel-router';

/** One waiting item as the ops API shows it. */
export interface WaitingView {
  readonly itemId: string;
  readonly kind: QueueItem['kind'];
  readonly customerId: string;
  readonly channel: QueueItem['channel'];
  readonly priority: number;
  readonly position: number;
  readonly waitingSeconds: number;
  readonly estimatedWaitSeconds: number;
}

/** The status of one queue (the JSON of `GET /api/queues` and the `queue` SSE messages). */
export interface QueueStatusView {
  readonly queue: string;
  readonly depth: number;
  readonly longestWaitSeconds: number;
  /** For a customer joining now (position depth + 1), by the published estimator. */
  readonly estimatedWaitSeconds: number;
  /** The same by the naive estimator, for comparison. */
  readonly naiveEstimatedWaitSeconds: number;
  readonly estimator: EstimatorName;
  readonly level: QueueLevel;
  readonly massEvent: boolean;
  readonly staffedAgents: number;
  readonly availableAgents: number;
  /** Cumulative since the queue state began: answered (within the target) and abandoned. */
  readonly serviceLevel: {
    readonly targetSeconds: number;
    readonly answered: number;
    readonly answeredWithinTarget: number;
    readonly abandoned: number;
    /** answeredWithinTarget / (answered + abandoned); null before any. */
    readonly ratio: number | null;
  };
  readonly averageHandleSeconds: number | null;
  readonly waiting: readonly WaitingView[];
  readonly at: string;
}

/** What a {@link QueueMonitor} needs. */
export interface QueueMonitorOptions {
  readonly state: QueueState;
  readonly publisher: { publish(event: OmniEvent): Promise<void> };
  readonly thresholds: LevelThresholds;
  readonly massEvent: MassEventRule;
  /** Unchanged snapshots are published at most this often (and at least, by {@link QueueMonitor.tick}). */
  readonly statusIntervalMs: number;
  /** Average handle time before any contact was handled, seconds. */
  readonly defaultHandleSeconds: number;
  /** The queue escalations (messaging, callbacks) wait in. */
  readonly messagingQueue: string;
  readonly estimator?: EstimatorName;
  /** Service-level target: answered within this many seconds. Default 20. */
  readonly serviceLevelTargetSeconds?: number;
  readonly feed?: LiveFeed;
  readonly logger?: Logger;
  /** Epoch ms; default `Date.now`. */
  readonly clock?: () => number;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The estimator inputs of a queue at `now` for the customer at `position`. */
export function waitInputsOf(
  snapshot: QueueSnapshot,
  position: number,
  now: number,
  defaultHandleSeconds: number,
): WaitInputs {
  const staffed = snapshot.agents.filter((agent) => agent.status !== 'offline');
  return {
    position,
    staffedAgents: staffed.length,
    freeAgents: staffed.filter((agent) => agent.status === 'available' && agent.current === undefined).length,
    busyElapsedSeconds: staffed
      .filter((agent) => agent.status === 'busy')
      .map((agent) => Math.max(0, (now - (agent.busySince ?? agent.updatedAt)) / 1000)),
    recentHandleSeconds: snapshot.handleSeconds,
    defaultHandleSeconds,
  };
}

/**
 * The queue monitor: consumes `queue-events` and `escalations`, keeps the shared {@link QueueState}, assigns
 * the next waiting item to the next free agent (`call.assigned` for calls; an assignment the agent desk
 * reads for escalations), and publishes `queue.status.changed` on a level change and every
 * `statusIntervalMs` otherwise.
 */
export class QueueMonitor {
  readonly #o: QueueMonitorOptions;
  readonly #clock: () => number;
  readonly #estimator: EstimatorName;
  readonly #serviceTarget: number;
  #metrics: RouterMetrics | undefined;

  constructor(options: QueueMonitorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#estimator = options.estimator ?? 'rolling';
    this.#serviceTarget = options.serviceLevelTargetSeconds ?? 20;
  }

  /** Reports to these Prometheus metrics from now on (the app's registry exists after the monitor). */
  attachMetrics(metrics: RouterMetrics): void {
    this.#metrics = metrics;
  }

  /** The `EventConsumer` handler of `queue-events` / `channel-router` and of the `escalations` queue. */
  readonly handle = async (event: OmniEvent, _context?: MessageContext): Promise<void> => {
    switch (event.type) {
      case 'call.queued': {
        const data = event.data;
        await this.#o.state.enqueue({
          id: `call:${data.callId}`,
          queue: data.queue,
          kind: 'voice',
          customerId: data.customerId,
          channel: 'voice',
          priority: data.priority,
          enqueuedAt: Date.parse(data.enqueuedAt),
          callId: data.callId,
          correlationId: event.correlationId,
        });
        await this.#settle(data.queue);
        return;
      }
      case 'call.abandoned': {
        const removed = await this.#o.state.remove(event.data.queue, `call:${event.data.callId}`);
        if (removed !== undefined) {
          await this.#o.state.countServiceLevel(removed.queue, 'abandoned');
          this.#metrics?.abandoned.inc({ queue: removed.queue });
        }
        await this.#settle(event.data.queue);
        return;
      }
      case 'escalation.requested': {
        const data = event.data;
        // At most one open escalation per customer: a second request while one waits (a retried turn, a
        // customer asking again, a loop) adds nothing to the human queue.
        const waiting = await this.#o.state.snapshot(this.#o.messagingQueue);
        if (waiting.items.some((item) => item.customerId === data.customerId)) {
          this.#o.logger?.info(
            { customerId: data.customerId, escalationId: data.escalationId },
            'escalation ignored: the customer already waits for a person',
          );
          return;
        }
        await this.#o.state.enqueue({
          id: `escalation:${data.escalationId}`,
          queue: this.#o.messagingQueue,
          kind: 'messaging',
          customerId: data.customerId,
          channel: data.channel,
          priority: data.priority,
          enqueuedAt: Date.parse(data.requestedAt),
          escalationId: data.escalationId,
          reason: data.reason,
          summary: data.summary,
          collectedData: data.collectedData,
          correlationId: event.correlationId,
        });
        await this.#settle(this.#o.messagingQueue);
        return;
      }
      case 'agent.availability.changed':
        await this.applyAgent(
          event.data.agentId,
          event.data.status,
          event.data.queues,
          Date.parse(event.data.at),
        );
        return;
      default:
        // call.assigned is this router's own output.
        return;
    }
  };

  /**
   * Applies an agent's status (from the agents API or `agent.availability.changed`): newer than the known
   * state only; a finished contact feeds the handle-time window; then free agents take waiting items.
   */
  async applyAgent(
    agentId: string,
    status: AgentStatus,
    queues: readonly string[],
    at: number,
  ): Promise<AgentState | undefined> {
    const result = await this.#o.state.updateAgent({ agentId, status, queues, at });
    if (result.handled !== undefined)
      await this.#o.state.recordHandleTime(result.handled.queue, result.handled.seconds);
    const touched = new Set([...queues, ...(result.previous?.queues ?? [])]);
    for (const queue of touched) await this.#settle(queue);
    return (await this.#o.state.agents()).find((agent) => agent.agentId === agentId);
  }

  /** Publishes the status of every queue that is due (call every `statusIntervalMs`). */
  async tick(): Promise<void> {
    for (const queue of await this.#o.state.queues()) {
      await this.#assign(queue);
      await this.#publishStatus(queue);
    }
  }

  /** The status of a queue now. */
  async status(queue: string): Promise<QueueStatusView> {
    const now = this.#clock();
    const snapshot = await this.#o.state.snapshot(queue);
    const estimate = estimators[this.#estimator];
    const inputs = (position: number) => waitInputsOf(snapshot, position, now, this.#o.defaultHandleSeconds);
    const depth = snapshot.items.length;
    const oldest = snapshot.items.reduce((min, item) => Math.min(min, item.enqueuedAt), now);
    // One resampling run serves every position (the rolling estimator's cost does not multiply by depth).
    const perPosition =
      this.#estimator === 'rolling'
        ? estimateWaitsSeconds(inputs(depth + 1), depth + 1)
        : Array.from({ length: depth + 1 }, (_, i) => estimate(inputs(i + 1)));
    const estimatedWaitSeconds = perPosition[depth] ?? 0;
    const massEvent = isMassEvent(snapshot.arrivals, now, this.#o.massEvent);
    const next = inputs(1);
    const counts = await this.#o.state.serviceLevel(queue);
    const offered = counts.answered + counts.abandoned;
    const longestWaitSeconds = round(Math.max(0, (now - oldest) / 1000));
    this.#metrics?.depth.set({ queue }, depth);
    this.#metrics?.longestWaitSeconds.set({ queue }, longestWaitSeconds);
    this.#metrics?.estimatedWaitSeconds.set({ queue }, estimatedWaitSeconds);
    return {
      queue,
      depth,
      longestWaitSeconds,
      estimatedWaitSeconds: round(estimatedWaitSeconds),
      naiveEstimatedWaitSeconds: round(estimators.naive(inputs(depth + 1))),
      estimator: this.#estimator,
      level: queueLevel(estimatedWaitSeconds, depth, massEvent, this.#o.thresholds),
      massEvent,
      staffedAgents: next.staffedAgents,
      availableAgents: next.freeAgents,
      serviceLevel: {
        targetSeconds: this.#serviceTarget,
        ...counts,
        ratio: offered === 0 ? null : Math.round((counts.answeredWithinTarget / offered) * 1000) / 1000,
      },
      averageHandleSeconds:
        snapshot.handleSeconds.length === 0
          ? null
          : round(snapshot.handleSeconds.reduce((sum, s) => sum + s, 0) / snapshot.handleSeconds.length),
      waiting: snapshot.items.map((item, index) => ({
        itemId: item.id,
        kind: item.kind,
        customerId: item.customerId,
        channel: item.channel,
        priority: item.priority,
        position: index + 1,
        waitingSeconds: round(Math.max(0, (now - item.enqueuedAt) / 1000)),
        estimatedWaitSeconds: round(perPosition[index] ?? 0),
      })),
      at: new Date(now).toISOString(),
    };
  }

  /** The status of every known queue. */
  async statuses(): Promise<QueueStatusView[]> {
    return Promise.all((await this.#o.state.queues()).map((queue) => this.status(queue)));
  }

  async #settle(queue: string): Promise<void> {
    await this.#assign(queue);
    await this.#publishStatus(queue);
  }

  async #assign(queue: string): Promise<void> {
    // Assignments whose announcement failed earlier (the publish threw, the message is being retried).
    for (const pending of await this.#o.state.unannounced()) await this.#announce(pending);
    for (;;) {
      const assignment = await this.#o.state.assignNext(queue, this.#clock());
      if (assignment === undefined) return;
      const waited = Math.max(0, (assignment.assignedAt - assignment.item.enqueuedAt) / 1000);
      await this.#o.state.countServiceLevel(queue, waited <= this.#serviceTarget ? 'within-target' : 'late');
      this.#metrics?.waitSeconds.observe({ queue, kind: assignment.item.kind }, waited);
      await this.#announce(assignment);
    }
  }

  async #announce(assignment: Assignment): Promise<void> {
    const { item } = assignment;
    this.#o.logger?.info({ itemId: item.id, agentId: assignment.agentId, queue: item.queue }, 'assigned');
    this.#o.feed?.publish('assignment', assignmentView(assignment));
    if (item.kind === 'voice' && item.callId !== undefined)
      await this.#publishAssigned(assignment, item.callId);
    await this.#o.state.markAnnounced(item.id);
  }

  async #publishAssigned(assignment: Assignment, callId: string): Promise<void> {
    const { item } = assignment;
    await this.#o.publisher.publish(
      createEvent(
        'call.assigned',
        {
          callId,
          customerId: item.customerId,
          queue: item.queue,
          agentId: assignment.agentId,
          assignedAt: new Date(assignment.assignedAt).toISOString(),
          waitSeconds: Math.max(0, (assignment.assignedAt - item.enqueuedAt) / 1000),
        },
        { source: SOURCE, correlationId: item.correlationId, id: `assigned-${item.id}`.slice(0, 128) },
      ),
    );
  }

  async #publishStatus(queue: string): Promise<void> {
    const status = await this.status(queue);
    const now = this.#clock();
    if (!(await this.#o.state.claimStatus(queue, status.level, now, this.#o.statusIntervalMs))) return;
    this.#o.feed?.publish('queue', status);
    await this.#o.publisher.publish(
      createEvent(
        'queue.status.changed',
        {
          queue,
          depth: status.depth,
          longestWaitSeconds: status.longestWaitSeconds,
          estimatedWaitSeconds: status.estimatedWaitSeconds,
          availableAgents: status.availableAgents,
          level: status.level,
          massEvent: status.massEvent,
          at: status.at,
        },
        { source: SOURCE, correlationId: `queue-status-${queue}`, subject: queue },
      ),
    );
  }
}

/** An assignment as the agent desk reads it (warm handoff: summary and collected data included). */
export interface AssignmentView {
  readonly agentId: string;
  readonly assignedAt: string;
  readonly itemId: string;
  readonly kind: QueueItem['kind'];
  readonly queue: string;
  readonly customerId: string;
  readonly channel: QueueItem['channel'];
  readonly priority: number;
  readonly waitSeconds: number;
  readonly callId: string | null;
  readonly escalationId: string | null;
  readonly reason: string | null;
  readonly summary: string | null;
  readonly collectedData: QueueItem['collectedData'] | null;
}

/** The JSON of an assignment. */
export function assignmentView(assignment: Assignment): AssignmentView {
  const { item } = assignment;
  return {
    agentId: assignment.agentId,
    assignedAt: new Date(assignment.assignedAt).toISOString(),
    itemId: item.id,
    kind: item.kind,
    queue: item.queue,
    customerId: item.customerId,
    channel: item.channel,
    priority: item.priority,
    waitSeconds: Math.max(0, (assignment.assignedAt - item.enqueuedAt) / 1000),
    callId: item.callId ?? null,
    escalationId: item.escalationId ?? null,
    reason: item.reason ?? null,
    summary: item.summary ?? null,
    collectedData: item.collectedData ?? null,
  };
}

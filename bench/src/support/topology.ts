import { type ServiceBusTopology, serviceBusTopology } from '@omni/contracts';

/** The platform topology with one lock duration for every queue and subscription. */
export function withLockDuration(lockDuration: string): ServiceBusTopology {
  return {
    ...serviceBusTopology,
    queues: serviceBusTopology.queues.map((queue) => ({ ...queue, lockDuration })),
    topics: serviceBusTopology.topics.map((topic) => ({
      ...topic,
      subscriptions: topic.subscriptions.map((subscription) => ({ ...subscription, lockDuration })),
    })),
  } as ServiceBusTopology;
}

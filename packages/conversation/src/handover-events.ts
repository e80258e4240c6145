import type { CollectedData, ContactAddress, CustomerId, EventDataOf } from '@omni/contracts';
import { MAX_TEXT_LENGTH } from '@omni/contracts';
import type { EngineAction } from './actions.js';

type EscalateToHuman = Extract<EngineAction, { action: 'escalate_to_human' }>;
type ExecuteChannelHandoff = Extract<EngineAction, { action: 'execute_channel_handoff' }>;

import { publicCollectedData } from './engine/conversation-store.js';

/** What a channel knows when the engine asks it to hand the customer over (to a person or another channel). */
export interface HandoverContext {
  readonly customerId: CustomerId;
  /** The channel the customer is on. */
  readonly channel: 'voice' | 'whatsapp' | 'webchat';
  /**
   * The id of the inbound message (or call turn) that led to the handover: ids derive from it, so the same message
   * delivered again produces the same escalation or handoff, which every consumer drops as a duplicate.
   */
  readonly turnKey: string;
  /** The customer as stored after the engine summarised the conversation. */
  readonly customer: {
    readonly summary: string | null;
    readonly collectedData: CollectedData;
    readonly displayName: string | null;
  };
  readonly requestedAt: string;
}

function clip(text: string, max = MAX_TEXT_LENGTH): string {
  return text.length > max ? text.slice(0, max) : text;
}

/** The `escalation.requested` data for an `escalate_to_human` action: the warm handoff a person's desk receives. */
export function escalationRequestedData(
  action: EscalateToHuman,
  context: HandoverContext,
): EventDataOf<'escalation.requested'> {
  return {
    escalationId: clip(`esc_${context.turnKey}`, 256),
    customerId: context.customerId,
    channel: context.channel,
    reason: action.reason,
    summary: clip(context.customer.summary ?? ''),
    collectedData: publicCollectedData(context.customer.collectedData),
    priority: action.priority,
    requestedAt: context.requestedAt,
  };
}

/** The `handoff.requested` data for an `execute_channel_handoff` action to `address` on the target channel. */
export function handoffRequestedData(
  action: ExecuteChannelHandoff,
  context: HandoverContext,
  address: ContactAddress,
  reason: string,
): EventDataOf<'handoff.requested'> {
  return {
    handoffId: clip(`ho_${context.turnKey}`, 256),
    customerId: context.customerId,
    fromChannel: context.channel,
    toChannel: action.toChannel,
    reason,
    summary: clip(context.customer.summary ?? ''),
    collectedData: publicCollectedData(context.customer.collectedData),
    address,
    ...(context.customer.displayName ? { customerName: context.customer.displayName.slice(0, 200) } : {}),
    requestedAt: context.requestedAt,
  };
}

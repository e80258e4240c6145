import { z } from 'zod';

/** A channel a conversation can be moved to. */
export const SwitchableChannel = z.enum(['voice', 'whatsapp', 'webchat']);

/** A channel a conversation can be moved to. */
export type SwitchableChannel = z.infer<typeof SwitchableChannel>;

/** Offer the customer to continue on another channel (the adapter says it; the customer decides). */
export const OfferChannelSwitchAction = z.object({
  action: z.literal('offer_channel_switch'),
  channels: z.array(SwitchableChannel).min(1),
  estimatedWaitSeconds: z.number().nonnegative(),
});

/** Move the conversation to another channel now (the customer accepted). */
export const ExecuteChannelHandoffAction = z.object({
  action: z.literal('execute_channel_handoff'),
  toChannel: SwitchableChannel,
});

/** Hand the customer to a human agent with the summary (warm handoff). */
export const EscalateToHumanAction = z.object({
  action: z.literal('escalate_to_human'),
  reason: z.string().min(1).max(1024),
  /** 0 (lowest) to 9 (highest), as on the `escalations` queue. */
  priority: z.int().min(0).max(9),
});

/** End the session on this channel (hang up, close the chat). */
export const EndSessionAction = z.object({
  action: z.literal('end_session'),
  reason: z.string().min(1).max(1024),
});

/** An action the engine returns for a channel adapter to carry out. */
export const EngineAction = z.discriminatedUnion('action', [
  OfferChannelSwitchAction,
  ExecuteChannelHandoffAction,
  EscalateToHumanAction,
  EndSessionAction,
]);

/** An action the engine returns for a channel adapter to carry out. */
export type EngineAction = z.infer<typeof EngineAction>;

/** Whether a tool output is an {@link EngineAction} (channel tools return them). */
export function isEngineAction(value: unknown): value is EngineAction {
  return EngineAction.safeParse(value).success;
}

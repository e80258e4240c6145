import { z } from 'zod';
import {
  EndSessionAction,
  type EngineAction,
  EscalateToHumanAction,
  ExecuteChannelHandoffAction,
  OfferChannelSwitchAction,
  SwitchableChannel,
} from '../actions.js';
import { type AnyTool, defineTool, type QueueSnapshot } from './tool-registry.js';

/**
 * The channel tools every scenario can give its agents. They change nothing themselves: they read the
 * queue port or return an {@link EngineAction} the channel adapter carries out.
 */
export function channelTools(): AnyTool[] {
  return [
    defineTool({
      name: 'check_queue_status',
      description:
        'Check the human-agent queue: depth, estimated wait in seconds and load level (normal, high, critical).',
      parameters: z.object({}),
      sideEffect: false,
      async run(_args, ctx): Promise<QueueSnapshot> {
        const { queue, depth, estimatedWaitSeconds, level } = await ctx.queueStatus();
        return { queue, depth, estimatedWaitSeconds, level };
      },
    }),
    defineTool({
      name: 'offer_channel_switch',
      description:
        'Offer to continue the conversation on another channel (e.g. WhatsApp or web chat) instead of waiting.',
      parameters: z.object({
        channels: z
          .array(SwitchableChannel)
          .min(1)
          .optional()
          .describe('The channels to offer; defaults to WhatsApp and web chat, minus the current channel.'),
      }),
      sideEffect: false,
      async run(args, ctx): Promise<EngineAction> {
        const channels =
          args.channels ?? SwitchableChannel.options.filter((c) => c !== 'voice' && c !== ctx.channel);
        const { estimatedWaitSeconds } = await ctx.queueStatus();
        return OfferChannelSwitchAction.parse({
          action: 'offer_channel_switch',
          channels,
          estimatedWaitSeconds,
        });
      },
    }),
    defineTool({
      name: 'execute_channel_handoff',
      description:
        'Move the conversation to the channel the customer accepted; the current session then ends.',
      parameters: z.object({ toChannel: SwitchableChannel }),
      sideEffect: false,
      async run(args): Promise<EngineAction> {
        return ExecuteChannelHandoffAction.parse({
          action: 'execute_channel_handoff',
          toChannel: args.toChannel,
        });
      },
    }),
    defineTool({
      name: 'escalate_to_human',
      description: 'Hand the customer to a human agent with the conversation summary (warm handoff).',
      parameters: z.object({
        reason: z.string().trim().min(1).max(1024).describe('Why a person is needed, in one sentence.'),
        priority: z
          .int()
          .min(0)
          .max(9)
          .default(5)
          .describe('0 (lowest) to 9 (highest); 8+ for safety issues.'),
      }),
      sideEffect: false,
      async run(args): Promise<EngineAction> {
        return EscalateToHumanAction.parse({
          action: 'escalate_to_human',
          reason: args.reason,
          priority: args.priority,
        });
      },
    }),
    defineTool({
      name: 'end_session',
      description:
        'End the session on this channel (hang up the call, close the chat) once the customer has what they need and says goodbye.',
      parameters: z.object({
        reason: z.string().trim().min(1).max(1024).describe('Why the session ends, in one sentence.'),
      }),
      sideEffect: false,
      async run(args): Promise<EngineAction> {
        return EndSessionAction.parse({ action: 'end_session', reason: args.reason });
      },
    }),
  ] as AnyTool[];
}

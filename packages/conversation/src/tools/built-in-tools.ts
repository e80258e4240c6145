import { channelTools } from './channel-tools.js';
import { createEcommerceLedger, type EcommerceLedger, ecommerceTools } from './ecommerce-tools.js';
import { ToolRegistry } from './tool-registry.js';
import { utilitiesTools } from './utilities-tools.js';

/** Options of {@link createBuiltInToolRegistry}. */
export interface BuiltInToolOptions {
  /** Where the e-commerce tools record refunds, returns, cancellations and price reviews. */
  readonly ecommerceLedger?: EcommerceLedger;
  /** Refunds above this many USD go to a person for approval (REFUND_APPROVAL_THRESHOLD_USD). */
  readonly refundApprovalThresholdUsd?: number;
}

/** A registry with every built-in tool: utilities, e-commerce and channel tools, over the demo data set. */
export function createBuiltInToolRegistry(options: BuiltInToolOptions = {}): ToolRegistry {
  return new ToolRegistry([
    ...utilitiesTools(),
    ...ecommerceTools(
      options.ecommerceLedger ?? createEcommerceLedger(),
      options.refundApprovalThresholdUsd === undefined
        ? {}
        : { refundApprovalThresholdUsd: options.refundApprovalThresholdUsd },
    ),
    ...channelTools(),
  ]);
}

/** The names of the built-in tools (what scenario files are validated against by default). */
export const BUILT_IN_TOOL_NAMES: readonly string[] = [
  'get_account',
  'get_bill',
  'check_outage',
  'report_outage',
  'schedule_service_visit',
  'get_usage',
  'get_order',
  'track_order',
  'start_return',
  'issue_refund',
  'cancel_order',
  'recommend_products',
  'change_order_price',
  'check_queue_status',
  'offer_channel_switch',
  'execute_channel_handoff',
  'escalate_to_human',
  'end_session',
];

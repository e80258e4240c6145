import { z } from 'zod';
import {
  DEMO_ORDERS,
  DEMO_PRODUCTS,
  type DemoOrder,
  RETURN_WINDOW_DAYS,
} from '../demo-data/ecommerce-data.js';
import { type AnyTool, defineTool, type ToolContext } from './tool-registry.js';

const orderId = z
  .string()
  .trim()
  .regex(/^ORD-\d{4,}$/i, 'must be an order id like ORD-10042')
  .transform((v) => v.toUpperCase())
  .describe('The order id, e.g. "ORD-10042".');
const money = z.number().positive('must be more than 0').multipleOf(0.01, 'must have at most 2 decimals');

/** Refunds, returns, cancellations and price reviews the e-commerce tools recorded (per registry). */
export interface EcommerceLedger {
  readonly refunds: { refundId: string; orderId: string; amount: number; reason: string }[];
  readonly returns: { returnId: string; orderId: string; skus: string[] }[];
  readonly cancellations: { orderId: string; reason: string }[];
  readonly priceReviews: { reviewId: string; orderId: string; requestedTotal: number; reason: string }[];
}

/** Creates an empty ledger. */
export function createEcommerceLedger(): EcommerceLedger {
  return { refunds: [], returns: [], cancellations: [], priceReviews: [] };
}

/** An order of the current customer (orders of other customers are invisible). */
function findOrder(ctx: ToolContext, id: string): DemoOrder | undefined {
  return DEMO_ORDERS.find((o) => o.orderId === id && o.customerId === ctx.customerId);
}

const orderNotFound = (id: string) => ({
  error: 'order_not_found',
  message: `No order ${id} on this customer's account; ask them to check the order id.`,
});

/** Options of {@link ecommerceTools}. */
export interface EcommerceToolOptions {
  /** Refunds above this many USD are not issued by the agent: they go to a person for approval. Default 100. */
  readonly refundApprovalThresholdUsd?: number;
}

/** The default refund amount above which a person approves (REFUND_APPROVAL_THRESHOLD_USD). */
export const DEFAULT_REFUND_APPROVAL_THRESHOLD_USD = 100;

const cents = (amount: number) => Math.round(amount * 100);

/** The e-commerce scenario tools over the demo data set; state goes to `ledger`. */
export function ecommerceTools(
  ledger: EcommerceLedger = createEcommerceLedger(),
  options: EcommerceToolOptions = {},
): AnyTool[] {
  const approvalThreshold = options.refundApprovalThresholdUsd ?? DEFAULT_REFUND_APPROVAL_THRESHOLD_USD;
  const refunded = (id: string) =>
    ledger.refunds.filter((r) => r.orderId === id).reduce((s, r) => s + r.amount, 0);
  const cancelled = (id: string) => ledger.cancellations.some((c) => c.orderId === id);
  return [
    defineTool({
      name: 'get_order',
      description: 'Get an order of the current customer: items, total, status, refunds so far.',
      parameters: z.object({ orderId }),
      sideEffect: false,
      assurance: 'channel-verified',
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        return {
          ...order,
          status: cancelled(order.orderId) ? 'cancelled' : order.status,
          refundedAmount: refunded(order.orderId),
        };
      },
    }),
    defineTool({
      name: 'track_order',
      description:
        'Track the shipment of an order: carrier, tracking number, latest events, estimated delivery.',
      parameters: z.object({ orderId }),
      sideEffect: false,
      assurance: 'channel-verified',
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        return {
          orderId: order.orderId,
          status: cancelled(order.orderId) ? 'cancelled' : order.status,
          carrier: order.carrier ?? null,
          trackingNumber: order.trackingNumber ?? null,
          estimatedDelivery: order.estimatedDelivery ?? null,
          deliveredAt: order.deliveredAt ?? null,
          events: order.trackingEvents,
        };
      },
    }),
    defineTool({
      name: 'start_return',
      description: `Start a return for delivered items (within ${RETURN_WINDOW_DAYS} days of delivery); returns a label.`,
      parameters: z.object({
        orderId,
        skus: z
          .array(z.string().min(1))
          .min(1, 'must list at least one item')
          .describe('The SKUs to return.'),
        reason: z.string().trim().min(1).max(300),
      }),
      sideEffect: true,
      assurance: 'channel-verified',
      idempotencyKey: (args, ctx) => `${ctx.customerId}:${args.orderId}:${[...args.skus].sort().join(',')}`,
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        if (order.status !== 'delivered' || !order.deliveredAt) {
          return {
            status: 'rejected',
            reason: 'Only delivered orders can be returned; offer a cancellation instead.',
          };
        }
        const ageDays = (ctx.clock() - Date.parse(order.deliveredAt)) / 86_400_000;
        if (ageDays > RETURN_WINDOW_DAYS) {
          return { status: 'rejected', reason: `The ${RETURN_WINDOW_DAYS}-day return window has closed.` };
        }
        const unknown = args.skus.filter((sku) => !order.lines.some((l) => l.sku === sku));
        if (unknown.length > 0)
          return { status: 'rejected', reason: `Not in this order: ${unknown.join(', ')}.` };
        const returnId = `RMA-${String(3000 + ledger.returns.length + 1)}`;
        ledger.returns.push({ returnId, orderId: order.orderId, skus: args.skus });
        return { status: 'started', returnId, labelUrl: `https://returns.example.com/label/${returnId}` };
      },
    }),
    defineTool({
      name: 'issue_refund',
      description:
        'Refund money on an order to the original payment method. Runs once per request, even on retries.',
      parameters: z.object({
        orderId,
        amount: money.describe('The amount in USD.'),
        reason: z.string().trim().min(1).max(300),
      }),
      sideEffect: true,
      assurance: 'channel-verified',
      // The business action, not the model's wording: the same refund asked for again never pays twice.
      idempotencyKey: (args, ctx) => `${ctx.customerId}:${args.orderId}:${cents(args.amount)}`,
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        const refundable = Math.round((order.total - refunded(order.orderId)) * 100) / 100;
        if (args.amount > refundable) {
          return {
            status: 'rejected',
            reason: `At most ${refundable.toFixed(2)} USD can still be refunded.`,
          };
        }
        if (args.amount > approvalThreshold) {
          // Not issued: a person approves refunds this large (the escalation goes to the agent desk).
          return {
            action: 'escalate_to_human' as const,
            reason: `Refund approval needed: ${args.amount.toFixed(2)} USD on ${order.orderId}`,
            priority: 6,
            status: 'pending_approval',
            orderId: order.orderId,
            amount: args.amount,
            currency: 'USD',
          };
        }
        const refundId = `RF-${String(6000 + ledger.refunds.length + 1)}`;
        ledger.refunds.push({ refundId, orderId: order.orderId, amount: args.amount, reason: args.reason });
        return { status: 'issued', refundId, orderId: order.orderId, amount: args.amount, currency: 'USD' };
      },
    }),
    defineTool({
      name: 'cancel_order',
      description: 'Cancel an order that has not shipped yet.',
      parameters: z.object({ orderId, reason: z.string().trim().min(1).max(300) }),
      sideEffect: true,
      assurance: 'channel-verified',
      idempotencyKey: (args, ctx) => `${ctx.customerId}:${args.orderId}`,
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        if (cancelled(order.orderId)) return { status: 'already_cancelled', orderId: order.orderId };
        if (order.status !== 'processing') {
          return {
            status: 'rejected',
            reason: 'The order has shipped; offer a return once it is delivered.',
          };
        }
        ledger.cancellations.push({ orderId: order.orderId, reason: args.reason });
        return { status: 'cancelled', orderId: order.orderId, refundAmount: order.total, currency: 'USD' };
      },
    }),
    defineTool({
      name: 'recommend_products',
      description: 'Suggest products by interest or category, optionally under a budget.',
      parameters: z.object({
        interests: z.array(z.string().trim().min(1)).default([]).describe('e.g. ["running", "music"]'),
        category: z.string().trim().min(1).optional(),
        maxPrice: money.optional(),
        limit: z.int().min(1).max(5).default(3),
      }),
      sideEffect: false,
      async run(args) {
        const wanted = args.interests.map((i) => i.toLowerCase());
        const products = DEMO_PRODUCTS.filter(
          (p) =>
            (args.category === undefined || p.category === args.category.toLowerCase()) &&
            (args.maxPrice === undefined || p.price <= args.maxPrice),
        )
          .map((p) => ({ p, score: p.tags.filter((t) => wanted.includes(t)).length }))
          .sort((a, b) => b.score - a.score || a.p.price - b.p.price)
          .slice(0, args.limit)
          .map(({ p }) => p);
        return { products };
      },
    }),
    defineTool({
      name: 'change_order_price',
      description:
        'Request a price change on an order (price match, goodwill). Never applied directly: it goes to manual review.',
      parameters: z.object({
        orderId,
        requestedTotal: money.describe('The total the customer asks for, in USD.'),
        reason: z.string().trim().min(1).max(300),
      }),
      sideEffect: true,
      assurance: 'channel-verified',
      idempotencyKey: (args, ctx) => `${ctx.customerId}:${args.orderId}:${cents(args.requestedTotal)}`,
      async run(args, ctx) {
        const order = findOrder(ctx, args.orderId);
        if (!order) return orderNotFound(args.orderId);
        const reviewId = `PRV-${String(900 + ledger.priceReviews.length + 1)}`;
        ledger.priceReviews.push({
          reviewId,
          orderId: order.orderId,
          requestedTotal: args.requestedTotal,
          reason: args.reason,
        });
        return {
          status: 'manual_review' as const,
          reviewId,
          orderId: order.orderId,
          currentTotal: order.total,
          requestedTotal: args.requestedTotal,
          message:
            'A price change needs a person to approve it; the customer hears back within 2 business days.',
        };
      },
    }),
  ] as AnyTool[];
}

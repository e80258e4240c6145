import { describe, expect, it } from 'vitest';
import { isEngineAction } from '../actions.js';
import { loadScenario } from '../scenario.js';
import { InMemoryIdempotency, toolContext } from '../test-support/fakes.js';
import { BUILT_IN_TOOL_NAMES, createBuiltInToolRegistry } from './built-in-tools.js';
import { createEcommerceLedger } from './ecommerce-tools.js';
import { invokeTool, toolIdempotencyKey } from './tool-registry.js';

const refunds = {
  id: 'CancellationsRefunds',
  tools: ['get_order', 'issue_refund', 'cancel_order', 'change_order_price'],
};
const returns = { id: 'Returns', tools: ['get_order', 'start_return'] };

describe('ToolRegistry', () => {
  it('given the built-in registry, when listed, then its names match the names scenarios are validated against', () => {
    expect(createBuiltInToolRegistry().names()).toEqual(BUILT_IN_TOOL_NAMES);
  });

  it('given an agent, when its definitions are built, then only its own tools appear with JSON-schema parameters', async () => {
    const scenario = await loadScenario('ecommerce');
    const agent = scenario.agents.find((a) => a.id === 'Returns');
    if (!agent) throw new Error('no Returns agent');
    const defs = createBuiltInToolRegistry().definitionsFor(agent);
    expect(defs.map((d) => d.name)).toEqual([
      'get_order',
      'start_return',
      'escalate_to_human',
      'end_session',
    ]);
    expect(defs[1]?.parameters).toMatchObject({
      type: 'object',
      required: ['orderId', 'skus', 'reason'],
      properties: { orderId: { type: 'string' } },
    });
    expect(defs[1]?.parameters).not.toHaveProperty('$schema');
  });
});

describe('invokeTool', () => {
  it('given invalid arguments, when invoked, then it returns invalid_arguments naming the field and does not run', async () => {
    const ledger = createEcommerceLedger();
    const result = await invokeTool(
      createBuiltInToolRegistry({ ecommerceLedger: ledger }),
      refunds,
      'issue_refund',
      '{"orderId":"12345","amount":-5,"reason":"broken"}',
      toolContext(),
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(result.ok === false && result.error.issues?.map((i) => i.path)).toEqual(['orderId', 'amount']);
    expect(ledger.refunds).toHaveLength(0);
  });

  it('given arguments that are not JSON, when invoked, then it returns invalid_arguments', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      refunds,
      'get_order',
      '{orderId:',
      toolContext(),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments', message: 'arguments are not valid JSON' },
    });
  });

  it("given another agent's tool, when invoked, then it is refused with not_allowed and nothing runs", async () => {
    const ledger = createEcommerceLedger();
    const result = await invokeTool(
      createBuiltInToolRegistry({ ecommerceLedger: ledger }),
      returns,
      'issue_refund',
      { orderId: 'ORD-10042', amount: 10, reason: 'late' },
      toolContext(),
    );
    expect(result).toEqual({
      ok: false,
      tool: 'issue_refund',
      error: { code: 'not_allowed', message: 'agent "Returns" may not call tool "issue_refund"' },
    });
    expect(ledger.refunds).toHaveLength(0);
  });

  it('given an unknown tool, when invoked, then it is refused with unknown_tool', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      { id: 'X', tools: ['nope'] },
      'nope',
      {},
      toolContext(),
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown_tool' } });
  });

  it('given a refund replayed twice in the same turn, when invoked, then the refund runs once and both get its result', async () => {
    const ledger = createEcommerceLedger();
    const registry = createBuiltInToolRegistry({ ecommerceLedger: ledger });
    const ctx = toolContext({ idempotency: new InMemoryIdempotency(), turnId: 'turn-7' });
    const args = { orderId: 'ORD-10042', amount: 20, reason: 'arrived scratched' };
    const first = await invokeTool(registry, refunds, 'issue_refund', args, ctx);
    const replay = await invokeTool(
      registry,
      refunds,
      'issue_refund',
      JSON.stringify({ reason: 'arrived scratched', amount: 20, orderId: 'ord-10042' }),
      ctx,
    );
    expect(ledger.refunds).toHaveLength(1);
    expect(replay).toEqual(first);
    expect(first).toMatchObject({ ok: true, output: { status: 'issued', refundId: 'RF-6001', amount: 20 } });
  });

  it('given the same refund asked for again in another turn and other words, when invoked, then it is paid once (the key is the business action)', async () => {
    const ledger = createEcommerceLedger();
    const registry = createBuiltInToolRegistry({ ecommerceLedger: ledger });
    const idempotency = new InMemoryIdempotency();
    const first = { orderId: 'ORD-10042', amount: 20, reason: 'arrived scratched' };
    const again = {
      orderId: 'ORD-10042',
      amount: 20.0,
      reason: 'the customer says: please, the screen is scratched',
    };
    await invokeTool(
      registry,
      refunds,
      'issue_refund',
      first,
      toolContext({ idempotency, turnId: 'turn-7' }),
    );
    const second = await invokeTool(
      registry,
      refunds,
      'issue_refund',
      again,
      toolContext({ idempotency, turnId: 'turn-8' }),
    );
    expect(ledger.refunds.map((r) => r.refundId)).toEqual(['RF-6001']);
    expect(second).toMatchObject({ ok: true, output: { refundId: 'RF-6001' } });
    // Another amount is another action.
    await invokeTool(
      registry,
      refunds,
      'issue_refund',
      { ...first, amount: 15 },
      toolContext({ idempotency, turnId: 'turn-9' }),
    );
    expect(ledger.refunds.map((r) => r.refundId)).toEqual(['RF-6001', 'RF-6002']);
  });

  it('given a refund above the approval threshold, when invoked, then nothing is refunded and it goes to a person for approval', async () => {
    const ledger = createEcommerceLedger();
    const registry = createBuiltInToolRegistry({ ecommerceLedger: ledger, refundApprovalThresholdUsd: 50 });
    const result = await invokeTool(
      registry,
      refunds,
      'issue_refund',
      { orderId: 'ORD-10042', amount: 120, reason: 'broken' },
      toolContext(),
    );
    expect(ledger.refunds).toHaveLength(0);
    expect(result).toMatchObject({
      ok: true,
      output: { action: 'escalate_to_human', status: 'pending_approval', amount: 120 },
    });
  });

  it('given a side-effecting call, when keyed, then the key derives from customer, turn and canonical args', () => {
    const ctx = { customerId: 'c1', turnId: 't1' };
    expect(toolIdempotencyKey('issue_refund', ctx, { a: 1, b: 2 })).toBe(
      toolIdempotencyKey('issue_refund', ctx, { b: 2, a: 1 }),
    );
    expect(toolIdempotencyKey('issue_refund', ctx, { a: 1 })).not.toBe(
      toolIdempotencyKey('issue_refund', { ...ctx, customerId: 'c2' }, { a: 1 }),
    );
    expect(toolIdempotencyKey('issue_refund', ctx, { a: 1 })).toMatch(/^tool:issue_refund:[0-9a-f]{32}$/);
  });

  it('given a refund above what is left to refund, when invoked, then it is rejected and nothing is recorded', async () => {
    const ledger = createEcommerceLedger();
    const result = await invokeTool(
      createBuiltInToolRegistry({ ecommerceLedger: ledger }),
      refunds,
      'issue_refund',
      { orderId: 'ORD-10042', amount: 500, reason: 'too much' },
      toolContext(),
    );
    expect(result).toMatchObject({ ok: true, output: { status: 'rejected' } });
    expect(ledger.refunds).toHaveLength(0);
  });

  it('given a price change request, when invoked, then it goes to manual review and the order total is unchanged', async () => {
    const ledger = createEcommerceLedger();
    const registry = createBuiltInToolRegistry({ ecommerceLedger: ledger });
    const result = await invokeTool(
      registry,
      refunds,
      'change_order_price',
      { orderId: 'ORD-10057', requestedTotal: 149, reason: 'price dropped' },
      toolContext(),
    );
    expect(result).toMatchObject({
      ok: true,
      output: { status: 'manual_review', currentTotal: 199, requestedTotal: 149 },
    });
    const order = await invokeTool(registry, refunds, 'get_order', { orderId: 'ORD-10057' }, toolContext());
    expect(order).toMatchObject({ ok: true, output: { total: 199 } });
    expect(ledger.priceReviews).toHaveLength(1);
  });

  it("given another customer's order id, when looked up, then it is not found", async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      refunds,
      'get_order',
      { orderId: 'ORD-10063' },
      toolContext(),
    );
    expect(result).toMatchObject({ ok: true, output: { error: 'order_not_found' } });
  });
});

describe('scenario tools', () => {
  const concierge = {
    id: 'UtilitiesConcierge',
    tools: ['check_queue_status', 'offer_channel_switch', 'execute_channel_handoff', 'escalate_to_human'],
  };

  it('given a known outage district, when check_outage runs, then it reports the outage', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      { id: 'Outage', tools: ['check_outage'] },
      'check_outage',
      { postcode: 'ls61lf' },
      toolContext(),
    );
    expect(result).toMatchObject({
      ok: true,
      output: { postcode: 'LS6 1LF', knownOutage: true, outages: [{ outageId: 'OUT-7781' }] },
    });
  });

  it('given the current customer, when get_bill runs without an account number, then their latest bill is returned', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      { id: 'Billing', tools: ['get_bill'] },
      'get_bill',
      {},
      toolContext({ customerId: 'cust-utilities-1' }),
    );
    expect(result).toMatchObject({ ok: true, output: { billId: 'BILL-2025-06-4001234567', amount: 86.4 } });
  });

  it('given the queue port, when check_queue_status runs, then it returns the queue snapshot', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      concierge,
      'check_queue_status',
      {},
      toolContext(),
    );
    expect(result).toEqual({
      ok: true,
      tool: 'check_queue_status',
      output: { queue: 'general', depth: 64, estimatedWaitSeconds: 420, level: 'high' },
    });
  });

  it('given a voice caller, when offer_channel_switch runs, then it returns the offer action with the wait', async () => {
    const result = await invokeTool(
      createBuiltInToolRegistry(),
      concierge,
      'offer_channel_switch',
      {},
      toolContext({ channel: 'voice' }),
    );
    expect(result.ok && result.output).toEqual({
      action: 'offer_channel_switch',
      channels: ['whatsapp', 'webchat'],
      estimatedWaitSeconds: 420,
    });
  });

  it('given the channel action tools, when run, then each output is an EngineAction', async () => {
    const registry = createBuiltInToolRegistry();
    const handoff = await invokeTool(
      registry,
      concierge,
      'execute_channel_handoff',
      { toChannel: 'whatsapp' },
      toolContext(),
    );
    const escalate = await invokeTool(
      registry,
      concierge,
      'escalate_to_human',
      { reason: 'asked for a person' },
      toolContext(),
    );
    expect(handoff.ok && handoff.output).toEqual({
      action: 'execute_channel_handoff',
      toChannel: 'whatsapp',
    });
    expect(escalate.ok && escalate.output).toEqual({
      action: 'escalate_to_human',
      reason: 'asked for a person',
      priority: 5,
    });
    expect(
      isEngineAction(handoff.ok && handoff.output) && isEngineAction(escalate.ok && escalate.output),
    ).toBe(true);
  });
});

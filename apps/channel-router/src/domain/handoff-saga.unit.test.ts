import { createEvent } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import {
  chooseFallback,
  evolve,
  type HandoffFacts,
  type HandoffState,
  isCustomerStranded,
  markDispatched,
  type SagaInput,
  validateHandoff,
} from './handoff-saga.js';

const CUSTOMER = 'cust_01JZ0000000000000000000002';
const AT = '2026-11-23T10:00:00.000Z';
const options = { source: '/apps/test', correlationId: 'ho-1' };

const facts: HandoffFacts = {
  customerExists: true,
  enabledChannels: ['whatsapp', 'webchat', 'sms'],
  consent: {},
  address: { phone: '+14255550123' },
};

function requestedInput(validation = validateHandoff('whatsapp', facts)): SagaInput {
  return {
    kind: 'requested',
    event: createEvent(
      'handoff.requested',
      {
        handoffId: 'ho-1',
        customerId: CUSTOMER,
        fromChannel: 'voice',
        toChannel: 'whatsapp',
        reason: 'long queue',
        summary: 'outage',
        collectedData: {},
        requestedAt: AT,
      },
      { ...options, id: 'req-1' },
    ),
    validation,
    tokenExpiresAt: '2026-11-23T10:15:00.000Z',
  };
}

const completed: SagaInput = {
  kind: 'completed',
  event: createEvent(
    'handoff.completed',
    { handoffId: 'ho-1', customerId: CUSTOMER, toChannel: 'whatsapp', completedAt: AT, switchLatencyMs: 900 },
    { ...options, id: 'done-1' },
  ),
};
const failed: SagaInput = {
  kind: 'failed',
  event: createEvent(
    'handoff.failed',
    {
      handoffId: 'ho-1',
      customerId: CUSTOMER,
      toChannel: 'whatsapp',
      reason: 'rejected',
      retryable: false,
      failedAt: AT,
    },
    { ...options, id: 'fail-1' },
  ),
};
const timer: SagaInput = {
  kind: 'timer',
  event: createEvent(
    'handoff.timer.elapsed',
    { handoffId: 'ho-1', customerId: CUSTOMER, toChannel: 'whatsapp', timer: 'expiry', dueAt: AT },
    { ...options, id: 'timer-1' },
  ),
};

function dispatched(): HandoffState {
  const { state } = evolve(undefined, requestedInput());
  return markDispatched(state, AT, 'dispatched-1');
}

describe('validateHandoff', () => {
  it('given a known customer with a phone, when moving to WhatsApp, then the notice goes by WhatsApp to the phone', () => {
    expect(validateHandoff('whatsapp', facts)).toEqual({
      ok: true,
      deliveryChannel: 'whatsapp',
      address: facts.address,
    });
  });

  it('given a web chat target and a refusal of WhatsApp, when validated, then the link goes by SMS', () => {
    expect(validateHandoff('webchat', { ...facts, consent: { whatsapp: false } })).toMatchObject({
      ok: true,
      deliveryChannel: 'sms',
    });
  });

  it.each([
    [{ ...facts, customerExists: false }, 'customer not found'],
    [{ ...facts, enabledChannels: ['webchat' as const] }, 'channel whatsapp is not enabled'],
    [{ ...facts, consent: { whatsapp: false } }, 'no consent for whatsapp'],
    [{ ...facts, address: {} }, 'no address to reach the customer for whatsapp'],
  ])('given %o, when validated, then it is refused: %s', (given, reason) => {
    expect(validateHandoff('whatsapp', given)).toEqual({ ok: false, reason });
  });
});

describe('evolve', () => {
  it('given no saga, when requested and valid, then it is dispatching with a dispatch action', () => {
    const step = evolve(undefined, requestedInput());
    expect(step.state).toMatchObject({ status: 'dispatching', deliveryChannel: 'whatsapp', requestedAt: AT });
    expect(step.actions).toEqual([{ kind: 'dispatch' }]);
  });

  it('given no saga, when requested but invalid, then it is rejected with a reject action', () => {
    const step = evolve(undefined, requestedInput({ ok: false, reason: 'customer not found' }));
    expect(step.state).toMatchObject({ status: 'rejected', failureReason: 'customer not found' });
    expect(step.actions).toEqual([{ kind: 'reject', reason: 'customer not found' }]);
  });

  it('given an applied event, when delivered again, then nothing changes', () => {
    const first = evolve(undefined, requestedInput());
    const again = evolve(first.state, requestedInput());
    expect(again.state).toBe(first.state);
    expect(again.actions).toEqual([]);
  });

  it('given a dispatched saga, when completed, then it records the switch latency', () => {
    const { state, actions } = evolve(dispatched(), completed);
    expect(state).toMatchObject({ status: 'completed', switchLatencyMs: 900 });
    expect(actions).toEqual([]);
  });

  it('given a dispatched saga, when delivery fails, then it fails and falls back', () => {
    const { state, actions } = evolve(dispatched(), failed);
    expect(state.status).toBe('failed');
    expect(actions).toEqual([{ kind: 'fallback', cause: 'failed' }]);
  });

  it('given a dispatched saga, when the expiry timer fires, then it expires and falls back', () => {
    const { state, actions } = evolve(dispatched(), timer);
    expect(state.status).toBe('expired');
    expect(actions).toEqual([{ kind: 'expire' }, { kind: 'fallback', cause: 'expired' }]);
  });

  it('given a completed saga, when the expiry timer fires late, then it stays completed', () => {
    const done = evolve(dispatched(), completed).state;
    const { state, actions } = evolve(done, timer);
    expect(state.status).toBe('completed');
    expect(actions).toEqual([]);
  });

  it('given a completion before the request, when the request arrives, then nothing is dispatched', () => {
    const early = evolve(undefined, completed).state;
    expect(early.status).toBe('completed');
    const { state, actions } = evolve(early, requestedInput());
    expect(state).toMatchObject({ status: 'completed', requestedAt: AT });
    expect(actions).toEqual([]);
  });

  it('given an expired saga, when the customer arrives anyway, then the completion is recorded', () => {
    const expired = evolve(dispatched(), timer).state;
    expect(evolve(expired, completed).state.status).toBe('completed');
  });
});

describe('chooseFallback', () => {
  it('given a phone and sms-link configured, when falling back, then an SMS link', () => {
    expect(chooseFallback(dispatched(), 'sms-link')).toBe('sms-link');
  });

  it('given no phone, when falling back, then a callback', () => {
    expect(chooseFallback({ ...dispatched(), address: { whatsappBsuid: 'b-1' } }, 'sms-link')).toBe(
      'callback',
    );
  });

  it('given none configured, when falling back, then nothing', () => {
    expect(chooseFallback(dispatched(), 'none')).toBeUndefined();
  });

  it('given a failed SMS-link fallback, when falling back, then a callback (no channel is left)', () => {
    expect(chooseFallback({ ...dispatched(), fallbackOf: 'ho-0', deliveryChannel: 'sms' }, 'sms-link')).toBe(
      'callback',
    );
  });
});

describe('isCustomerStranded', () => {
  const failed = { ...dispatched(), status: 'failed' as const };
  it('given a failed handoff with an SMS link on its way, then not stranded', () => {
    expect(isCustomerStranded({ ...failed, fallback: { kind: 'sms-link', cause: 'failed', at: AT } })).toBe(
      false,
    );
  });
  it('given a failed handoff left to a callback or to nothing, then stranded', () => {
    expect(isCustomerStranded({ ...failed, fallback: { kind: 'callback', cause: 'failed', at: AT } })).toBe(
      true,
    );
    expect(isCustomerStranded(failed)).toBe(true);
  });
  it('given a handoff still under way or completed, then not stranded', () => {
    expect(isCustomerStranded(dispatched())).toBe(false);
    expect(isCustomerStranded({ ...dispatched(), status: 'completed' })).toBe(false);
  });
});

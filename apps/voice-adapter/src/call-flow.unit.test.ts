import { createEvent, type OmniEvent } from '@omni/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallControl, Listen, Prompt } from './acs.js';
import { topicOf, VoiceCallFlow, type VoiceStore } from './call-flow.js';
import { InMemoryCallStateStore } from './call-state.js';

const CUSTOMER = 'cust_01HZY3K7Q8M2N4P6R8T0V2W4X6';
const logger = pino({ level: 'silent' });

/** Records every Call Automation action. */
class RecordingCalls implements CallControl {
  readonly actions: { kind: string; op?: string; text?: string; target?: string }[] = [];
  callbackUrl = '';
  async answer(_context: string, callbackUrl: string): Promise<string> {
    this.actions.push({ kind: 'answer' });
    this.callbackUrl = callbackUrl;
    return 'conn-1';
  }
  async listen(_id: string, _caller: string | undefined, prompt: Prompt, _listen: Listen, op: string) {
    this.actions.push({ kind: 'listen', op, text: prompt.text });
  }
  async say(_id: string, prompt: Prompt, op: string) {
    this.actions.push({ kind: 'say', op, text: prompt.text });
  }
  async transfer(_id: string, target: string, op: string) {
    this.actions.push({ kind: 'transfer', op, target });
  }
  async hangUp() {
    this.actions.push({ kind: 'hangUp' });
  }
}

function setup(reading = { queue: 'support', depth: 0, estimatedWaitSeconds: 30, level: 'normal' as const }) {
  const calls = new RecordingCalls();
  const published: OmniEvent[] = [];
  const store = {
    resolveCustomer: async () => ({ customer: { customerId: CUSTOMER } }),
    getCustomer: async () => ({ customerId: CUSTOMER, collectedData: {} }),
    startSession: async () => ({}),
    endSession: async () => ({}),
    recordTurn: async () => ({}),
  } as unknown as VoiceStore;
  const flow = new VoiceCallFlow({
    settings: {
      callbackBaseUrl: 'https://voice.example',
      queue: 'support',
      thresholds: { waitSeconds: 120, queueDepth: 50 },
      maxReprompts: 2,
      holdPauseSeconds: 0,
      agentTargetTemplate: '8:acs:{agentId}',
    },
    calls,
    states: new InMemoryCallStateStore(),
    store,
    engine: {
      turn: async () => ({
        replies: ["I'm passing you to a member of our team now."],
        agentId: 'UtilitiesConcierge',
        events: [],
        actions: [{ action: 'escalate_to_human', reason: 'asked for a person', priority: 5 }],
        conversationId: 'conv',
        turnId: 't',
      }),
      summarize: async () => ({ summary: 'Power cut.', collectedData: {} }),
    },
    publisher: {
      publish: async (event) => {
        published.push(event);
      },
    },
    queueStatus: () => reading,
    logger,
  });
  return { flow, calls, published };
}

const incoming = {
  from: { rawId: '4:+14255550123', phoneNumber: { value: '+14255550123' } },
  to: { rawId: '4:+18005550100', phoneNumber: { value: '+18005550100' } },
  serverCallId: 'server-call-1',
  incomingCallContext: 'ctx',
  correlationId: 'corr-1',
};

function cloudEvent(id: string, kind: string, data: Record<string, unknown> = {}) {
  return [{ id, type: `Microsoft.Communication.${kind}`, data: { callConnectionId: 'conn-1', ...data } }];
}

/** An answered call: the flow, its recorded actions and events, and the ref and secret of its callback URL. */
async function answered() {
  const result = setup();
  await result.flow.incomingCall(incoming, logger);
  const url = new URL(result.calls.callbackUrl);
  const ref = url.pathname.split('/').at(-1) ?? '';
  return { ...result, ref, secret: url.searchParams.get('secret') ?? '' };
}

describe('VoiceCallFlow', () => {
  it('given the same IncomingCall twice, when handled, then the call is answered once', async () => {
    const { flow, calls } = setup();
    await flow.incomingCall(incoming, logger);
    await flow.incomingCall(incoming, logger);
    expect(calls.actions.filter((a) => a.kind === 'answer')).toHaveLength(1);
  });

  it('given a queued call, when call.assigned arrives twice, then one transfer is requested', async () => {
    const { flow, calls, published, ref, secret } = await answered();
    await flow.callback(ref, secret, cloudEvent('e1', 'CallConnected'));
    const listenOp = calls.actions.at(-1)?.op;
    await flow.callback(
      ref,
      secret,
      cloudEvent('e2', 'RecognizeCompleted', {
        operationContext: listenOp,
        recognitionType: 'speech',
        speechResult: { speech: 'a person please' },
      }),
    );
    expect(published.map((e) => e.type)).toContain('call.queued');
    const assigned = createEvent(
      'call.assigned',
      {
        callId: 'conn-1',
        customerId: CUSTOMER,
        queue: 'support',
        agentId: 'agent-7',
        assignedAt: new Date().toISOString(),
        waitSeconds: 1,
      },
      { source: '/apps/channel-router', correlationId: 'conn-1' },
    );
    await flow.callAssigned(assigned, logger);
    await flow.callAssigned(assigned, logger);
    expect(calls.actions.filter((a) => a.kind === 'transfer')).toEqual([
      expect.objectContaining({ target: '8:acs:agent-7' }),
    ]);
  });

  it('given a callback for an operation no longer awaited, when handled, then nothing happens', async () => {
    const { flow, calls, ref, secret } = await answered();
    await flow.callback(ref, secret, cloudEvent('e1', 'CallConnected'));
    const before = calls.actions.length;
    const awaited = calls.actions.at(-1)?.op;
    await flow.callback(ref, secret, cloudEvent('e9', 'RecognizeFailed', { operationContext: 'listen:0' }));
    expect(calls.actions).toHaveLength(before);
    await flow.callback(ref, secret, cloudEvent('e10', 'RecognizeFailed', { operationContext: awaited }));
    expect(calls.actions.at(-1)).toMatchObject({
      kind: 'listen',
      text: "Sorry, I didn't catch that. How can I help you today?",
    });
  });

  it('given a wrong secret or a malformed ref, when a callback arrives, then it is unauthorized', async () => {
    const { flow, ref } = await answered();
    await expect(flow.callback(ref, 'nope', cloudEvent('e1', 'CallConnected'))).rejects.toMatchObject({
      status: 401,
    });
    await expect(flow.callback('../etc', 'nope', [])).rejects.toMatchObject({ status: 401 });
  });
});

describe('topicOf', () => {
  it('given a collected intent, when read, then it becomes the topic addressed to the customer', () => {
    expect(topicOf({ intent: 'a power outage' })).toEqual({ topic: 'your power outage' });
    expect(topicOf({ intent: 'an engineer visit or meter issue' })).toEqual({
      topic: 'your engineer visit or meter issue',
    });
  });

  it('given no intent, when read, then there is no topic (the template falls back)', () => {
    expect(topicOf({})).toEqual({});
    expect(topicOf({ intent: '  ' })).toEqual({});
  });
});

import type { OmniEvent } from '@omni/contracts';
import type { TurnInput, TurnResult } from '@omni/conversation';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallControl, Listen, Prompt } from './acs.js';
import { VoiceCallFlow, type VoiceStore } from './call-flow.js';
import { InMemoryCallStateStore } from './call-state.js';
import type { QueueReading } from './domain/voice.js';

/**
 * Issue #18, findings 2 and 3: a queued caller reaches the desk with the summary (the conversation is
 * summarised and stored before `call.queued`), and the transcript records the words the caller really heard.
 */
const CUSTOMER = 'cust_01HZY3K7Q8M2N4P6R8T0V2W4X6';
const logger = pino({ level: 'silent' });
const ESCALATION_REPLY =
  "I'm passing you to a member of our team now. They will see everything you've told me, so you won't need to repeat yourself.";

class RecordingCalls implements CallControl {
  readonly prompts: string[] = [];
  callbackUrl = '';
  async answer(_context: string, callbackUrl: string): Promise<string> {
    this.callbackUrl = callbackUrl;
    return 'conn-1';
  }
  async listen(_id: string, _caller: string | undefined, prompt: Prompt, _listen: Listen, _op: string) {
    this.prompts.push(prompt.text);
  }
  async say(_id: string, prompt: Prompt, _op: string) {
    this.prompts.push(prompt.text);
  }
  async transfer() {}
  async hangUp() {}
}

function setup(reading: QueueReading) {
  const calls = new RecordingCalls();
  const order: string[] = [];
  const published: OmniEvent[] = [];
  const recorded: { turnId?: string; role: string; text: string }[] = [];
  const inputs: TurnInput[] = [];
  const store = {
    resolveCustomer: async () => ({ customer: { customerId: CUSTOMER } }),
    getCustomer: async () => ({ customerId: CUSTOMER, collectedData: {} }),
    startSession: async () => ({}),
    endSession: async () => ({}),
    recordTurn: async (_customerId: string, turn: { turnId?: string; role: string; text: string }) => {
      recorded.push(turn);
      return turn;
    },
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
      turn: async (input): Promise<TurnResult> => {
        inputs.push(input);
        return {
          replies: [ESCALATION_REPLY],
          agentId: 'UtilitiesConcierge',
          events: [],
          actions: [{ action: 'escalate_to_human', reason: 'asked for a person', priority: 5 }],
          conversationId: 'conv',
          turnId: input.turnId ?? 't',
        };
      },
      summarize: async () => {
        order.push('summarize');
        return { summary: 'Power cut at LS6 1LF.', collectedData: { postcode: 'LS6 1LF' } };
      },
    },
    publisher: {
      publish: async (event) => {
        order.push(event.type);
        published.push(event);
      },
    },
    queueStatus: () => reading,
    logger,
  });
  return { flow, calls, order, published, recorded, inputs };
}

const incoming = {
  from: { rawId: '4:+14255550123', phoneNumber: { value: '+14255550123' } },
  to: { rawId: '4:+18005550100', phoneNumber: { value: '+18005550100' } },
  serverCallId: 'server-call-1',
  incomingCallContext: 'ctx',
  correlationId: 'corr-1',
};

const cloudEvent = (id: string, kind: string, data: Record<string, unknown> = {}) => [
  { id, type: `Microsoft.Communication.${kind}`, data: { callConnectionId: 'conn-1', ...data } },
];

/** A call that asked for a person: answered, connected, one speech turn. */
async function askForPerson(reading: QueueReading) {
  const fx = setup(reading);
  await fx.flow.incomingCall(incoming, logger);
  const url = new URL(fx.calls.callbackUrl);
  const ref = url.pathname.split('/').at(-1) ?? '';
  const secret = url.searchParams.get('secret') ?? '';
  await fx.flow.callback(ref, secret, cloudEvent('e1', 'CallConnected'));
  await fx.flow.callback(
    ref,
    secret,
    cloudEvent('e2', 'RecognizeCompleted', {
      operationContext: 'listen:1',
      recognitionType: 'speech',
      speechResult: { speech: 'I need to speak to someone' },
    }),
  );
  return { ...fx, ref, secret };
}

const assistantTurns = (published: OmniEvent[]) =>
  published.flatMap((e) =>
    e.type === 'conversation.turn.recorded' && e.data.role === 'assistant' ? [e.data.text] : [],
  );

describe('voice: what the caller heard is what the transcript says', () => {
  it('given a long queue, when the agent escalates and the call offers WhatsApp instead, then the transcript holds the offer, not "passing you to a member of our team"', async () => {
    const fx = await askForPerson({ queue: 'support', depth: 70, estimatedWaitSeconds: 600, level: 'high' });
    const heard = fx.calls.prompts.at(-1) ?? '';
    expect(heard).toMatch(/WhatsApp/);
    expect(fx.inputs[0]?.recordReply).toBe(false);
    expect(assistantTurns(fx.published)).toEqual([heard]);
    expect(fx.recorded).toEqual([expect.objectContaining({ role: 'assistant', text: heard })]);
    for (const t of [...assistantTurns(fx.published), ...fx.recorded.map((r) => r.text)])
      expect(t).not.toContain('passing you to a member of our team');
  });

  it('given a short queue, when the caller is queued, then the transcript holds the reply and the queue message they heard', async () => {
    const fx = await askForPerson({ queue: 'support', depth: 1, estimatedWaitSeconds: 30, level: 'normal' });
    const heard = fx.calls.prompts.at(-1) ?? '';
    expect(heard).toContain("You're in the queue");
    expect(fx.recorded.map((r) => r.text)).toEqual([heard]);
    expect(fx.recorded[0]?.turnId).toMatch(/:t1:assistant$/);
  });
});

describe('voice: a queued caller reaches the desk with context', () => {
  it('given a caller who waits for a person, when queued, then the conversation is summarised (and stored) before call.queued', async () => {
    const fx = await askForPerson({ queue: 'support', depth: 1, estimatedWaitSeconds: 30, level: 'normal' });
    expect(fx.order).toContain('call.queued');
    expect(fx.order.indexOf('summarize')).toBeGreaterThanOrEqual(0);
    expect(fx.order.indexOf('summarize')).toBeLessThan(fx.order.indexOf('call.queued'));
  });

  it('given a caller who declines the switch, when queued, then the conversation is summarised before call.queued', async () => {
    const fx = await askForPerson({ queue: 'support', depth: 70, estimatedWaitSeconds: 600, level: 'high' });
    await fx.flow.callback(
      fx.ref,
      fx.secret,
      cloudEvent('e3', 'RecognizeCompleted', {
        operationContext: 'offer:2',
        recognitionType: 'speech',
        speechResult: { speech: "No thanks, I'll wait" },
      }),
    );
    expect(fx.order.indexOf('summarize')).toBeGreaterThanOrEqual(0);
    expect(fx.order.indexOf('summarize')).toBeLessThan(fx.order.indexOf('call.queued'));
  });
});

describe('voice: a wait is quoted only while the estimate is current (issue #18 finding 4)', () => {
  it('given the newest queue status is 10 minutes old (the router stopped publishing), when the caller is queued, then no figure is quoted', async () => {
    const stale = new Date(Date.now() - 10 * 60_000).toISOString();
    const fx = await askForPerson({
      queue: 'support',
      depth: 1,
      estimatedWaitSeconds: 30,
      level: 'normal',
      at: stale,
    });
    const heard = fx.calls.prompts.at(-1) ?? '';
    expect(heard).toContain("You're in the queue");
    expect(heard).not.toMatch(/wait is (?:about|less)/);
    expect(heard).toContain("don't have an up-to-date wait time");
  });

  it('given a current queue status, when the caller is queued, then its figure is quoted', async () => {
    const fx = await askForPerson({
      queue: 'support',
      depth: 1,
      estimatedWaitSeconds: 545,
      level: 'normal',
      at: new Date().toISOString(),
    });
    expect(fx.calls.prompts.at(-1)).toContain('The wait is about 9 minutes');
  });
});

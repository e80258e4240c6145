import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import type { RunningSandbox } from './sandbox-runner.js';
import { SimulatedLoad } from './simulated-load.js';

/** One line of the cross-channel transcript. */
export interface TranscriptLine {
  readonly channel: 'voice' | 'whatsapp';
  readonly who: 'customer' | 'agent';
  readonly at: string;
  readonly text: string;
}

/** What journey 1 produced: the transcript, the handoff's timings, and whether WhatsApp used the call. */
export interface JourneyOneResult {
  readonly transcript: TranscriptLine[];
  readonly handoff: {
    readonly handoffId: string;
    readonly status: string;
    readonly requestedAt: string | null;
    readonly dispatchedAt: string | null;
    readonly deliveredAt: string | null;
    readonly completedAt: string | null;
    readonly switchLatencyMs: number | null;
  };
  /** The WhatsApp agent's first reply to the customer after the switch. */
  readonly firstWhatsAppReply: string;
  /** Whether that reply names what the caller said on the phone (the address), so nothing is asked again. */
  readonly usedCallContext: boolean;
}

interface CallView {
  state: string;
  pendingRecognize?: { at: string };
  played: { kind: string; content: string; at: string }[];
}

interface ChatEntry {
  direction: 'in' | 'out';
  kind: string;
  text: string;
  at: string;
  buttons?: string[];
}

/** What the caller says, in order. */
export const CALLER_LINES = {
  problem: 'My power is out at 14 Cardigan Road, LS6 1LF',
  human: 'I want to talk to a real person',
  accept: 'Yes please',
} as const;

/** What the customer writes on WhatsApp after the call. */
export const WHATSAPP_LINE = "Hi, it's me from the phone call. Any update on the power cut?";

const ENTITIES: Record<string, string> = { apos: "'", quot: '"', lt: '<', gt: '>', amp: '&' };

function spoken(prompt: { kind: string; content: string }): string {
  if (prompt.kind !== 'ssml') return prompt.content;
  return prompt.content
    .replace(/<break[^>]*>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&(apos|quot|lt|gt|amp);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Journey 1 of ARCHITECTURE.md section 6, scripted against a running sandbox through the emulators' simulator
 * APIs (the same ones the sandbox UI uses): the human queue is pushed over its threshold, the customer calls,
 * describes the problem, asks for a person, accepts WhatsApp, hangs up with "check your WhatsApp", receives the
 * template and writes back; the WhatsApp agent answers with what was said on the call.
 */
export async function runJourneyOne(
  sandbox: RunningSandbox,
  options: { phone?: string; progress?: (line: string) => void } = {},
): Promise<JourneyOneResult> {
  const progress = options.progress ?? (() => {});
  const phone = options.phone ?? '+14255550100';
  const env = sandbox.emulators.env;
  const calling = `${env.ACS_CALLING_EMULATOR_URL}/_emulator`;
  const messages = `${env.ACS_MESSAGES_EMULATOR_URL}/_emulator`;
  const router = `${sandbox.urlOf('channel-router')}/api`;
  const opsHeaders = { 'x-api-key': env.OPS_API_KEY ?? '' };
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  // 1. A busy afternoon: 60 callers already waiting for the one agent on shift.
  const bus = createServiceBusClient({ connectionString: env.SERVICEBUS_CONNECTION_STRING ?? '' });
  const publisher = new EventPublisher({ client: bus });
  const load = new SimulatedLoad(publisher);
  try {
    await json(
      await fetch(`${router}/agents/ada`, {
        method: 'PUT',
        headers: { ...opsHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'available', queues: ['support'] }),
      }),
    );
    await load.add(60, 'support');
    const queue = await until('the support queue to be over its threshold', async () => {
      const { queues } = await json<{
        queues: { queue: string; level: string; depth: number; estimatedWaitSeconds: number }[];
      }>(await fetch(`${router}/queues`, { headers: opsHeaders }));
      const support = queues.find((q) => q.queue === 'support');
      return support !== undefined && support.level !== 'normal' ? support : undefined;
    });
    progress(
      `Queue "support": ${queue.depth} waiting, estimated wait ${Math.round(queue.estimatedWaitSeconds / 60)} min (${queue.level})`,
    );
    // The voice adapter hears the level from the queue-status topic.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // 2. The call.
    const transcript: TranscriptLine[] = [];
    const call = await json<{ callConnectionId: string }>(await post(`${calling}/calls`, { from: phone }));
    const id = encodeURIComponent(call.callConnectionId);
    let heard = 0;
    const readCall = async () => json<CallView>(await fetch(`${calling}/calls/${id}`));
    const hear = (view: CallView) => {
      for (const prompt of view.played.slice(heard)) {
        const text = spoken(prompt);
        transcript.push({ channel: 'voice', who: 'agent', at: prompt.at, text });
        progress(`  voice    agent:    ${text}`);
      }
      heard = view.played.length;
    };
    let saidAt = '';
    // Listening again: a recognize started after the caller last spoke (or the call is over).
    const listening = async (what: string) => {
      const view = await until(what, async () => {
        const current = await readCall();
        const fresh = current.pendingRecognize !== undefined && current.pendingRecognize.at >= saidAt;
        return fresh || current.state === 'disconnected' ? current : undefined;
      });
      hear(view);
      return view;
    };
    const say = async (text: string) => {
      saidAt = new Date().toISOString();
      transcript.push({ channel: 'voice', who: 'customer', at: new Date().toISOString(), text });
      progress(`  voice    customer: ${text}`);
      await json(await post(`${calling}/calls/${id}/say`, { text })).catch(() => undefined);
    };
    progress(`Calling the support line from ${phone}…`);
    await listening('the greeting');
    await say(CALLER_LINES.problem);
    await listening('the next question');
    await say(CALLER_LINES.human);
    const offered = await listening('the channel-switch offer');
    if (!/WhatsApp/i.test(spoken(offered.played.at(-1) ?? { kind: 'text', content: '' }))) {
      throw new Error('the agent did not offer WhatsApp (is the queue over its threshold?)');
    }
    await say(CALLER_LINES.accept);
    const ended = await until('the call to end', async () => {
      const view = await readCall();
      return view.state === 'disconnected' ? view : undefined;
    });
    hear(ended);
    progress('  (the call ends)');

    // 3. WhatsApp: the approved template arrives, the customer answers.
    const chatUrl = `${messages}/chats/${encodeURIComponent(phone)}`;
    const readChat = async () => (await json<{ value: ChatEntry[] }>(await fetch(chatUrl))).value;
    const before = (await readChat()).length;
    const template = await until('the WhatsApp template', async () =>
      (await readChat()).find((entry) => entry.direction === 'out' && entry.kind === 'template'),
    );
    transcript.push({ channel: 'whatsapp', who: 'agent', at: template.at, text: template.text });
    progress(
      `  whatsapp agent:    ${template.text}${template.buttons ? ` [${template.buttons.join('] [')}]` : ''}`,
    );
    const sentAt = new Date().toISOString();
    await json(await post(`${messages}/customer/messages`, { from: phone, text: WHATSAPP_LINE }));
    transcript.push({ channel: 'whatsapp', who: 'customer', at: sentAt, text: WHATSAPP_LINE });
    progress(`  whatsapp customer: ${WHATSAPP_LINE}`);
    const replies = await until('the WhatsApp agent to answer', async () => {
      const chat = await readChat();
      const mine = chat.findIndex((entry) => entry.direction === 'in' && entry.text === WHATSAPP_LINE);
      const after = chat.slice(mine + 1).filter((entry) => entry.direction === 'out');
      return mine >= 0 && after.length > 0 ? after : undefined;
    });
    // Let the rest of the answer (a specialist after a routing line) arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const all = (await readChat()).slice(Math.max(0, before));
    const mine = all.findIndex((entry) => entry.direction === 'in' && entry.text === WHATSAPP_LINE);
    const answer = all.slice(mine + 1).filter((entry) => entry.direction === 'out');
    for (const entry of answer.length > 0 ? answer : replies) {
      transcript.push({ channel: 'whatsapp', who: 'agent', at: entry.at, text: entry.text });
      progress(`  whatsapp agent:    ${entry.text}`);
    }
    const firstWhatsAppReply = (answer.length > 0 ? answer : replies).map((entry) => entry.text).join('\n');

    // 4. The handoff as the router recorded it.
    const handoff = await until('handoff.completed at the router', async () => {
      const { handoffs } = await json<{ handoffs: JourneyOneResult['handoff'][] }>(
        await fetch(`${router}/handoffs?status=completed`, { headers: opsHeaders }),
      );
      return handoffs[0];
    });
    return {
      transcript,
      handoff,
      firstWhatsAppReply,
      usedCallContext: /Cardigan|LS6 1LF/i.test(firstWhatsAppReply),
    };
  } finally {
    await load.clear().catch(() => undefined);
    await publisher.close();
    await bus.close();
  }
}

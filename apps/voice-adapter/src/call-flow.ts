import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createEvent, isE164Phone, MAX_TEXT_LENGTH, type OmniEvent } from '@omni/contracts';
import { type ConversationEngine, type EngineAction, publicCollectedData } from '@omni/conversation';
import type { CustomerContextStore } from '@omni/customer-context';
import { badRequest, HttpProblem, unauthorized } from '@omni/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { CallControl, Listen, Prompt } from './acs.js';
import {
  type CallPhase,
  type CallSession,
  CallStateConflictError,
  type CallStateStore,
  HANDLED_EVENTS_KEPT,
} from './call-state.js';
import {
  exceedsThresholds,
  interpretOfferAnswer,
  PROMPTS,
  type QueueReading,
  quotableWait,
  type SwitchThresholds,
  spoken,
  spokenChannel,
  tonesToDigits,
} from './domain/voice.js';

/** The `source` of every event this service publishes. */
export const SOURCE = '/apps/voice-adapter';

/** Port: publishes platform events (the messaging `EventPublisher`). */
export interface Publisher {
  publish(event: OmniEvent): Promise<void>;
}

/** The subset of the customer context store the voice flow uses. */
export type VoiceStore = Pick<
  CustomerContextStore,
  'resolveCustomer' | 'getCustomer' | 'startSession' | 'endSession' | 'recordTurn'
>;

/** Settings of the voice flow (from the configuration). */
export interface VoiceFlowSettings {
  /** The public base URL ACS calls back. */
  readonly callbackBaseUrl: string;
  readonly queue: string;
  readonly thresholds: SwitchThresholds;
  readonly maxReprompts: number;
  readonly holdPauseSeconds: number;
  /** `{agentId}` is replaced by the agent id of `call.assigned`. */
  readonly agentTargetTemplate: string;
}

/** What {@link VoiceCallFlow} needs. */
export interface VoiceCallFlowOptions {
  readonly settings: VoiceFlowSettings;
  readonly calls: CallControl;
  readonly states: CallStateStore;
  readonly store: VoiceStore;
  readonly engine: Pick<ConversationEngine, 'turn' | 'summarize'>;
  readonly publisher: Publisher;
  /** The human queue's latest snapshot. */
  readonly queueStatus: (queue: string) => QueueReading;
  readonly logger: FastifyBaseLogger;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Runs one callback as one turn of the customer's context (`CustomerContextStore.inTurn`: the customer read
   * once, one write); callbacks of a call already run one at a time. Default: runs it as is.
   */
  readonly turnScope?: <T>(work: () => Promise<T>) => Promise<T>;
}

const identifierModel = z
  .object({
    rawId: z.string().optional(),
    phoneNumber: z.object({ value: z.string() }).loose().optional(),
  })
  .loose();

/** The fields of `Microsoft.Communication.IncomingCall` data the adapter uses. */
const incomingCallData = z
  .object({
    from: identifierModel,
    to: identifierModel,
    serverCallId: z.string().min(1),
    incomingCallContext: z.string().min(1),
    correlationId: z.string().min(1),
  })
  .loose();

/** A mid-call callback CloudEvent (the fields the adapter uses; the rest is kept). */
const callbackEvent = z
  .object({
    id: z.string().min(1),
    type: z.string().startsWith('Microsoft.Communication.'),
    data: z
      .object({
        callConnectionId: z.string().min(1),
        operationContext: z.string().optional(),
        resultInformation: z
          .object({ code: z.number().optional(), subCode: z.number().optional() })
          .loose()
          .optional(),
        recognitionType: z.string().optional(),
        speechResult: z.object({ speech: z.string().optional() }).loose().optional(),
        dtmfResult: z
          .object({ tones: z.array(z.string()).optional() })
          .loose()
          .optional(),
      })
      .loose(),
  })
  .loose();

type CallbackEvent = z.infer<typeof callbackEvent>;

/** The callback body: one or more CloudEvents. */
const callbackBody = z.array(callbackEvent).min(1);

/** Status of the customer's voice session by the phase the call ended in. */
const SESSION_END: Partial<Record<CallPhase, 'handed-off' | 'abandoned' | 'completed'>> = {
  'handing-off': 'handed-off',
  queued: 'abandoned',
  transferring: 'abandoned',
};

/** A concurrent change of the call's state (another replica) answers 503, so that ACS / Event Grid retry. */
async function retryLater(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (error instanceof CallStateConflictError) {
      throw new HttpProblem(503, 'Service Unavailable', {
        detail: 'the call changed concurrently; retry',
        headers: { 'retry-after': '1' },
      });
    }
    throw error;
  }
}

/** The shape of a call ref (hex of a SHA-256 prefix); anything else is refused before any lookup. */
const REF = /^[0-9a-f]{32}$/;

function clip(text: string): string {
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The voice call flow: answers IncomingCall, then runs each call from its ACS callbacks — greeting, speech
 * turns with the conversation engine, re-prompts on silence, the channel-switch offer when the human queue
 * is above the thresholds (yes: summary + `handoff.requested`, confirmation, hang up; no: `call.queued` and
 * hold), the transfer on `call.assigned`, and `call.abandoned` on a hang-up while queued. Per-call state
 * lives in a {@link CallStateStore} (restart-safe); callbacks of one call run one at a time, and a duplicate
 * (same CloudEvent id) or stale (unexpected operationContext) callback causes nothing.
 */
export class VoiceCallFlow {
  readonly #o: VoiceCallFlowOptions;
  readonly #clock: () => number;
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Saves of each live call by this process (a callback's state read is reused only if none came between). */
  readonly #saves = new Map<string, number>();

  constructor(options: VoiceCallFlowOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Runs `work` after every earlier piece of work of the same call (one call is one ordered stream). */
  async #serial<T>(ref: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(ref) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.#locks.set(ref, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(ref) === next) this.#locks.delete(ref);
    }
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }

  /** Handles `Microsoft.Communication.IncomingCall`: identifies the caller, stores the call, answers it. */
  async incomingCall(data: unknown, log: FastifyBaseLogger): Promise<void> {
    const parsed = incomingCallData.safeParse(data);
    if (!parsed.success) throw badRequest('IncomingCall data is invalid');
    const call = parsed.data;
    const ref = createHash('sha256').update(call.serverCallId).digest('hex').slice(0, 32);
    await retryLater(
      this.#serial(ref, async () => {
        let session = await this.#o.states.get(ref);
        if (session?.callConnectionId !== undefined) {
          log.info({ ref, callConnectionId: session.callConnectionId }, 'incoming call already answered');
          return;
        }
        if (session === undefined) {
          const number = call.from.phoneNumber?.value;
          const phone = number !== undefined && isE164Phone(number) ? number : undefined;
          const inboundAt = new Date(this.#clock());
          const { customer } = await this.#o.store.resolveCustomer(
            phone !== undefined
              ? { kind: 'phone', value: phone }
              : { kind: 'call', value: call.correlationId },
            { channel: 'voice', inboundAt },
          );
          session = {
            ref,
            secret: randomBytes(24).toString('base64url'),
            serverCallId: call.serverCallId,
            correlationId: call.correlationId,
            customerId: customer.customerId,
            ...(phone === undefined ? {} : { phone }),
            phase: 'connecting',
            seq: 0,
            reprompts: 0,
            turns: 0,
            handled: [],
            createdAt: this.#now(),
            updatedAt: this.#now(),
            version: 0,
          };
          // Stored before answering, so the first callback finds the call and its secret.
          this.#noteSave(ref);
          await this.#o.states.put(session);
        }
        const base = this.#o.settings.callbackBaseUrl.replace(/\/+$/, '');
        const callbackUrl = `${base}/api/callbacks/${ref}?secret=${encodeURIComponent(session.secret)}`;
        session.callConnectionId = await this.#o.calls.answer(call.incomingCallContext, callbackUrl);
        session.updatedAt = this.#now();
        this.#noteSave(ref);
        await this.#o.states.put(session);
        // Caller ID is asserted by the network, never proof: account data still needs a verification.
        await this.#o.store.startSession(session.customerId, 'voice', ref, {
          assurance: session.phone === undefined ? 'none' : 'asserted',
          method: session.phone === undefined ? 'withheld' : 'caller-id',
        });
        await this.#o.publisher.publish(
          createEvent(
            'conversation.session.started',
            {
              customerId: session.customerId,
              channel: 'voice',
              sessionId: ref,
              startedAt: session.createdAt,
            },
            { source: SOURCE, correlationId: session.correlationId, id: `voice:session-started:${ref}` },
          ),
        );
        log.info(
          {
            ref,
            callConnectionId: session.callConnectionId,
            customerId: session.customerId,
            withheld: !session.phone,
          },
          'call answered',
        );
      }),
    );
  }

  /** Handles a callback POST: 401 without the call's secret, 400 for a malformed body, else each event in order. */
  async callback(ref: string, secret: string | undefined, body: unknown): Promise<void> {
    const savesBefore = this.#saves.get(ref) ?? 0;
    const known = REF.test(ref) ? await this.#o.states.get(ref) : undefined;
    if (known === undefined || secret === undefined || !sameSecret(secret, known.secret)) {
      throw unauthorized('the callback URL does not carry this call\u2019s secret', 'CallbackSecret');
    }
    // Nothing of this call ran, runs or waits in this process since the read: the state just read is the one
    // the first event starts from (no read again; a writer elsewhere still fails the versioned save).
    const unchanged = !this.#locks.has(ref) && (this.#saves.get(ref) ?? 0) === savesBefore;
    let current: CallSession | undefined = unchanged ? known : undefined;
    const parsed = callbackBody.safeParse(body);
    if (!parsed.success) throw badRequest('the callback body is not a list of Call Automation CloudEvents');
    for (const event of parsed.data) {
      const read = current;
      current = undefined;
      const handle = () => this.#handle(ref, event, read);
      const turnScope = this.#o.turnScope;
      await retryLater(this.#serial(ref, turnScope === undefined ? handle : () => turnScope(handle)));
    }
  }

  /** Handles `call.assigned` (queue-events): transfers the queued call to the agent, once. */
  async callAssigned(event: OmniEvent, log: FastifyBaseLogger): Promise<void> {
    if (event.type !== 'call.assigned') return;
    const { callId, agentId } = event.data;
    const ref = await this.#o.states.refOfConnection(callId);
    if (ref === undefined) {
      log.warn({ callId }, 'call.assigned for an unknown call; ignored');
      return;
    }
    await this.#serial(ref, async () => {
      const session = await this.#o.states.get(ref);
      if (session === undefined || session.phase !== 'queued' || session.callConnectionId === undefined) {
        log.info({ callId, phase: session?.phase }, 'call.assigned but the call is not queued; ignored');
        return;
      }
      const target = /^\+[1-9]\d{6,14}$/.test(agentId)
        ? agentId
        : this.#o.settings.agentTargetTemplate.replace('{agentId}', agentId);
      session.phase = 'transferring';
      const op = this.#next(session, 'transfer');
      await this.#o.calls.transfer(session.callConnectionId, target, op);
      await this.#save(session);
      log.info({ callId, agentId }, 'transfer to agent requested');
    });
  }

  async #save(session: CallSession, handledEventId?: string): Promise<void> {
    if (handledEventId !== undefined) {
      session.handled = [...session.handled, handledEventId].slice(-HANDLED_EVENTS_KEPT);
    }
    session.updatedAt = this.#now();
    this.#noteSave(session.ref);
    await this.#o.states.put(session);
    if (session.phase === 'ended') this.#saves.delete(session.ref);
  }

  /** Counts a save of the call by this process (see {@link VoiceCallFlow.callback}). */
  #noteSave(ref: string): void {
    this.#saves.set(ref, (this.#saves.get(ref) ?? 0) + 1);
  }

  #next(session: CallSession, kind: string): string {
    session.seq += 1;
    session.awaiting = `${kind}:${session.seq}`;
    return session.awaiting;
  }

  async #handle(ref: string, event: CallbackEvent, read?: CallSession): Promise<void> {
    const session = read ?? (await this.#o.states.get(ref));
    if (session === undefined) return;
    const log = this.#o.logger.child({
      ref,
      callConnectionId: event.data.callConnectionId,
      eventId: event.id,
    });
    if (session.handled.includes(event.id)) {
      log.info({ eventType: event.type }, 'duplicate callback ignored');
      return;
    }
    if (session.callConnectionId === undefined) session.callConnectionId = event.data.callConnectionId;
    const kind = event.type.slice('Microsoft.Communication.'.length);
    const op = event.data.operationContext;
    const expected = op !== undefined && op === session.awaiting;
    switch (kind) {
      case 'CallConnected':
        if (session.phase === 'connecting') {
          session.phase = 'talking';
          await this.#listen(session, PROMPTS.greeting, { kind: 'speech' }, 'listen');
          // A re-prompt after the greeting asks the question only.
          session.lastPrompt = PROMPTS.askAgain;
        }
        break;
      case 'RecognizeCompleted':
        if (!expected) break;
        session.awaiting = undefined;
        await this.#recognized(session, event, log);
        break;
      case 'RecognizeFailed':
        if (!expected) break;
        session.awaiting = undefined;
        log.info({ subCode: event.data.resultInformation?.subCode }, 'nothing recognized');
        await this.#reprompt(session, PROMPTS.notHeard);
        break;
      case 'PlayCompleted':
      case 'PlayFailed':
        if (!expected) break;
        session.awaiting = undefined;
        if (kind === 'PlayFailed')
          log.warn({ subCode: event.data.resultInformation?.subCode }, 'play failed');
        await this.#played(session, op ?? '');
        break;
      case 'CallTransferAccepted':
        session.phase = 'ended';
        await this.#o.store.endSession(session.customerId, 'voice', ref, 'handed-off');
        await this.#sessionEnded(session, 'escalated');
        log.info('call transferred to a human agent');
        break;
      case 'CallTransferFailed':
        if (session.phase === 'transferring') {
          log.warn({ subCode: event.data.resultInformation?.subCode }, 'transfer failed; back on hold');
          await this.#hold(session, PROMPTS.transferFailed);
        }
        break;
      case 'CallDisconnected':
        await this.#disconnected(session, log);
        break;
      default:
        log.debug({ eventType: event.type }, 'callback ignored');
    }
    await this.#save(session, event.id);
  }

  async #listen(session: CallSession, text: string, listen: Listen, kind: string): Promise<void> {
    session.lastPrompt = text;
    const op = this.#next(session, kind);
    await this.#o.calls.listen(session.callConnectionId ?? '', session.phone, { text }, listen, op);
  }

  async #say(session: CallSession, prompt: Prompt, kind: string): Promise<void> {
    const op = this.#next(session, kind);
    await this.#o.calls.say(session.callConnectionId ?? '', prompt, op);
  }

  #listenFor(phase: CallPhase): Listen {
    if (phase === 'offering') return { kind: 'speech-or-dtmf', maxTones: 1 };
    if (phase === 'collecting-number') return { kind: 'dtmf', maxTones: 16, stopOnHash: true };
    return { kind: 'speech' };
  }

  #listenKind(phase: CallPhase): string {
    return phase === 'offering' ? 'offer' : phase === 'collecting-number' ? 'number' : 'listen';
  }

  async #reprompt(session: CallSession, lead: string): Promise<void> {
    session.reprompts += 1;
    if (session.reprompts > this.#o.settings.maxReprompts) {
      await this.#goodbye(session, PROMPTS.goodbyeSilence);
      return;
    }
    const again = session.lastPrompt ?? PROMPTS.greeting;
    const text = again.startsWith(lead) ? again : `${lead} ${again}`;
    await this.#listen(session, text, this.#listenFor(session.phase), this.#listenKind(session.phase));
  }

  async #recognized(session: CallSession, event: CallbackEvent, log: FastifyBaseLogger): Promise<void> {
    const tones = event.data.dtmfResult?.tones;
    const digits =
      event.data.recognitionType === 'dtmf' && tones !== undefined ? tonesToDigits(tones) : undefined;
    const speech = event.data.speechResult?.speech?.trim();
    if (session.phase === 'offering') {
      const answer = interpretOfferAnswer(digits !== undefined ? { digits } : { speech: speech ?? '' });
      log.info({ answer, input: digits !== undefined ? 'dtmf' : 'speech' }, 'switch offer answered');
      if (answer === 'yes') await this.#accept(session);
      else if (answer === 'webchat') await this.#accept(session, 'webchat');
      else if (answer === 'no') await this.#queue(session, undefined);
      else await this.#reprompt(session, PROMPTS.notHeard);
      return;
    }
    if (session.phase === 'collecting-number') {
      // A call stored in this phase by an earlier version: a keyed-in number is never used unverified.
      await this.#queue(session, PROMPTS.unverifiedNumber);
      return;
    }
    if (session.phase !== 'talking') return;
    const text = speech ?? digits ?? '';
    if (text === '') {
      await this.#reprompt(session, PROMPTS.notHeard);
      return;
    }
    session.reprompts = 0;
    await this.#turn(session, text, log);
  }

  async #turn(session: CallSession, text: string, log: FastifyBaseLogger): Promise<void> {
    session.turns += 1;
    const turnId = `${session.ref}:t${session.turns}`;
    let result: Awaited<ReturnType<ConversationEngine['turn']>>;
    // The caller hears the answer while the engine writes the turn (see TurnInput.deliver).
    let heard: { said: string; action: EngineAction | undefined } | undefined;
    const answer = async (turn: typeof result) => {
      const action = this.#decisive(turn.actions);
      heard = { said: await this.#act(session, action, spoken(turn.replies.join(' '))), action };
    };
    try {
      result = await this.#o.engine.turn({
        customerId: session.customerId,
        channel: 'voice',
        sessionId: session.ref,
        text: clip(text),
        turnId,
        assurance: session.phone === undefined ? 'none' : 'asserted',
        // The call records what the caller really heard (an offer or a hold message may replace the reply).
        recordReply: false,
        deliver: answer,
      });
    } catch (error) {
      log.error({ err: error, turnId }, 'agent turn failed');
      // Answered already (the turn's writes failed after): no second prompt; the next turn starts afresh.
      if (heard === undefined)
        await this.#listen(session, PROMPTS.fallbackTurn, { kind: 'speech' }, 'listen');
      return;
    }
    // A replayed turn (its result was stored) is not delivered by the engine: answer it here.
    if (heard === undefined) await answer(result);
    const { said, action } = heard ?? { said: '', action: undefined };
    log.info({ turnId, agentId: result.agentId, action: action?.action }, 'agent turn');
    // The transcript events follow the answer (in order: the caller's turn, then ours).
    await this.#turnRecorded(session, turnId, 'user', text, undefined);
    await this.#spoken(session, turnId, said, result.agentId);
  }

  /** Carries out the turn's decisive action and returns the words the caller hears. */
  async #act(session: CallSession, action: EngineAction | undefined, reply: string): Promise<string> {
    switch (action?.action) {
      case 'execute_channel_handoff':
        if (action.toChannel !== 'voice') {
          session.offer = { channels: [action.toChannel], estimatedWaitSeconds: 0 };
          return this.#accept(session);
        }
        break;
      case 'offer_channel_switch':
      case 'escalate_to_human': {
        const reading = this.#o.queueStatus(this.#o.settings.queue);
        if (exceedsThresholds(reading, this.#o.settings.thresholds)) {
          const channels =
            action.action === 'offer_channel_switch'
              ? action.channels.filter((c) => c !== 'voice')
              : ['whatsapp', 'webchat'];
          return this.#offer(
            session,
            channels.length > 0 ? channels : ['whatsapp'],
            reading,
            action.action === 'offer_channel_switch' ? reply : undefined,
          );
        }
        return this.#queue(session, action.action === 'escalate_to_human' ? reply : undefined);
      }
      case 'end_session': {
        const goodbye = reply === '' ? 'Thank you for calling. Goodbye.' : reply;
        await this.#goodbye(session, goodbye);
        return goodbye;
      }
      default:
        break;
    }
    const prompt = reply === '' ? PROMPTS.fallbackTurn : reply;
    await this.#listen(session, prompt, { kind: 'speech' }, 'listen');
    return prompt;
  }

  /**
   * Records the assistant's side of a turn as the caller heard it: in the transcript (`<turnId>:assistant`,
   * the id the engine would have used, so a replay records nothing twice) and as `conversation.turn.recorded`.
   */
  async #spoken(session: CallSession, turnId: string, said: string, agentId: string): Promise<void> {
    if (said === '') return;
    await this.#o.store.recordTurn(session.customerId, {
      channel: 'voice',
      sessionId: session.ref,
      role: 'assistant',
      text: clip(said),
      agentId,
      // After the caller's turn, which the engine recorded at the same clock.
      at: new Date(this.#clock() + 1),
      turnId: `${turnId}:assistant`,
    });
    await this.#turnRecorded(session, turnId, 'assistant', said, agentId);
  }

  /** Publishes one transcript turn (`conversation.turn.recorded`); its id makes a re-publish a duplicate. */
  async #turnRecorded(
    session: CallSession,
    turnId: string,
    role: 'user' | 'assistant',
    text: string,
    agentId: string | undefined,
  ): Promise<void> {
    const suffix = role === 'user' ? 'customer' : 'assistant';
    await this.#o.publisher.publish(
      createEvent(
        'conversation.turn.recorded',
        {
          customerId: session.customerId,
          channel: 'voice',
          sessionId: session.ref,
          turnId: `${turnId}:${suffix}`,
          role,
          text: clip(text),
          ...(agentId === undefined ? {} : { agentId }),
          at: this.#now(),
        },
        { source: SOURCE, correlationId: session.correlationId, id: `voice:turn:${turnId}:${suffix}` },
      ),
    );
  }

  /** The action that decides where the call goes next (a handoff beats an offer beats an escalation). */
  #decisive(actions: readonly EngineAction[]): EngineAction | undefined {
    const order = ['execute_channel_handoff', 'offer_channel_switch', 'escalate_to_human', 'end_session'];
    return [...actions].sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action))[0];
  }

  async #offer(
    session: CallSession,
    channels: string[],
    reading: QueueReading,
    reply: string | undefined,
  ): Promise<string> {
    session.phase = 'offering';
    session.offer = { channels, estimatedWaitSeconds: reading.estimatedWaitSeconds };
    const names = channels.map(spokenChannel).join(' or ');
    const lead =
      reply !== undefined && reply !== ''
        ? reply
        : `Our team is busy right now.${waitSentence(quotableWait(reading, this.#clock()))} I can continue with you on ${names} instead, so you don't have to wait.`;
    const text = `${lead} ${PROMPTS.offerKeys}`;
    await this.#listen(session, text, this.#listenFor('offering'), 'offer');
    return text;
  }

  #switchChannel(session: CallSession): string {
    if (session.chosenChannel !== undefined) return session.chosenChannel;
    const channels = session.offer?.channels ?? ['whatsapp'];
    return channels.includes('whatsapp') ? 'whatsapp' : (channels[0] ?? 'whatsapp');
  }

  async #accept(session: CallSession, channel?: 'webchat'): Promise<string> {
    if (channel !== undefined) session.chosenChannel = channel;
    if (session.phone === undefined) {
      // A number keyed in on a withheld call is unverified: anyone could key in anyone's number and make us
      // message it. Until a code sent to it can be read back, the caller waits for a person instead.
      this.#o.logger.info({ ref: session.ref }, 'switch refused: withheld number, no verified address');
      return this.#queue(session, PROMPTS.unverifiedNumber);
    }
    return this.#handoff(session, this.#switchChannel(session));
  }

  async #handoff(session: CallSession, toChannel: string): Promise<string> {
    let summary: string | undefined;
    try {
      summary = (await this.#o.engine.summarize(session.customerId)).summary;
    } catch (error) {
      this.#o.logger.warn({ err: error, ref: session.ref }, 'summary failed; the stored one is sent');
    }
    const customer = await this.#o.store.getCustomer(session.customerId);
    const handoffId = `ho_voice_${session.ref}`;
    const channel = toChannel === 'webchat' ? 'webchat' : 'whatsapp';
    await this.#o.publisher.publish(
      createEvent(
        'handoff.requested',
        {
          handoffId,
          customerId: session.customerId,
          fromChannel: 'voice',
          toChannel: channel,
          reason: 'the human queue is long; the caller chose to continue on another channel',
          summary: clip(summary ?? customer.summary ?? ''),
          collectedData: publicCollectedData(customer.collectedData),
          ...(session.phone === undefined ? {} : { address: { phone: session.phone } }),
          ...(customer.displayName ? { customerName: customer.displayName.slice(0, 200) } : {}),
          // What the call was about, for the template's "continue about {{topic}}" (the summary's intent).
          ...topicOf(customer.collectedData),
          requestedAt: this.#now(),
        },
        { source: SOURCE, correlationId: session.correlationId, id: `voice:${handoffId}` },
      ),
    );
    session.handoff = { handoffId, toChannel: channel };
    session.phase = 'handing-off';
    const confirm = PROMPTS.confirm(spokenChannel(channel));
    await this.#say(session, { text: confirm }, 'confirm');
    return confirm;
  }

  /**
   * Queues the caller for a person: the conversation is summarised first (stored with the customer), so the
   * human agent who takes the call sees the summary, the collected data and the last turns, like a messaging
   * escalation. Returns what the caller hears.
   */
  async #queue(session: CallSession, reply: string | undefined): Promise<string> {
    try {
      await this.#o.engine.summarize(session.customerId);
    } catch (error) {
      this.#o.logger.warn({ err: error, ref: session.ref }, 'summary failed; the desk shows the stored one');
    }
    const reading = this.#o.queueStatus(this.#o.settings.queue);
    session.queuedAt = this.#now();
    await this.#o.publisher.publish(
      createEvent(
        'call.queued',
        {
          callId: session.callConnectionId ?? session.ref,
          customerId: session.customerId,
          queue: this.#o.settings.queue,
          priority: 5,
          enqueuedAt: session.queuedAt,
        },
        { source: SOURCE, correlationId: session.correlationId, id: `voice:queued:${session.ref}` },
      ),
    );
    const lead = reply !== undefined && reply !== '' ? `${reply} ` : '';
    const text = `${lead}${PROMPTS.queued(quotableWait(reading, this.#clock()))}`;
    await this.#hold(session, text);
    return text;
  }

  /** Plays one hold segment (an announcement, then a pause); its PlayCompleted plays the next. */
  async #hold(session: CallSession, text: string): Promise<void> {
    session.phase = 'queued';
    await this.#say(session, { text, pauseSeconds: this.#o.settings.holdPauseSeconds }, 'hold');
  }

  async #goodbye(session: CallSession, text: string): Promise<void> {
    session.phase = 'ending';
    await this.#say(session, { text }, 'goodbye');
  }

  async #played(session: CallSession, op: string): Promise<void> {
    const kind = op.split(':')[0];
    if (kind === 'goodbye' || kind === 'confirm') {
      await this.#o.calls.hangUp(session.callConnectionId ?? '');
      return;
    }
    if (kind === 'hold' && session.phase === 'queued') {
      const reading = this.#o.queueStatus(this.#o.settings.queue);
      await this.#hold(session, PROMPTS.hold(quotableWait(reading, this.#clock())));
    }
  }

  async #disconnected(session: CallSession, log: FastifyBaseLogger): Promise<void> {
    if (session.phase === 'ended') return;
    const phase = session.phase;
    if ((phase === 'queued' || phase === 'transferring') && session.queuedAt !== undefined) {
      const waitSeconds = Math.max(0, (this.#clock() - Date.parse(session.queuedAt)) / 1000);
      await this.#o.publisher.publish(
        createEvent(
          'call.abandoned',
          {
            callId: session.callConnectionId ?? session.ref,
            customerId: session.customerId,
            queue: this.#o.settings.queue,
            abandonedAt: this.#now(),
            waitSeconds,
          },
          { source: SOURCE, correlationId: session.correlationId, id: `voice:abandoned:${session.ref}` },
        ),
      );
      log.info({ waitSeconds }, 'caller hung up while queued');
    }
    session.phase = 'ended';
    session.awaiting = undefined;
    const status = SESSION_END[phase] ?? 'completed';
    await this.#o.store.endSession(session.customerId, 'voice', session.ref, status);
    await this.#sessionEnded(session, status === 'handed-off' ? 'handed_off' : status);
    log.info({ phase }, 'call ended');
  }

  async #sessionEnded(
    session: CallSession,
    status: 'completed' | 'abandoned' | 'handed_off' | 'escalated',
  ): Promise<void> {
    await this.#o.publisher.publish(
      createEvent(
        'conversation.session.ended',
        {
          customerId: session.customerId,
          channel: 'voice',
          sessionId: session.ref,
          endedAt: this.#now(),
          status,
        },
        { source: SOURCE, correlationId: session.correlationId, id: `voice:session-ended:${session.ref}` },
      ),
    );
  }
}

/** " The wait is about 9 minutes." or nothing when no current estimate exists. */
function waitSentence(wait: string | undefined): string {
  return wait === undefined ? '' : ` The wait is ${wait}.`;
}

/** The handoff topic from the conversation's collected intent (`a power outage` -> `your power outage`). */
export function topicOf(collectedData: Readonly<Record<string, unknown>>): { topic?: string } {
  const intent = collectedData.intent;
  if (typeof intent !== 'string' || intent.trim().length === 0) return {};
  const topic = intent.trim().replace(/^(?:an?|the)\s+/i, 'your ');
  return { topic: topic.slice(0, 200) };
}

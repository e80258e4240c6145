import { randomBytes, randomUUID } from 'node:crypto';
import type { EventGridDeliverer, EventGridEvent, WebhookTarget } from '../acs-common/event-grid.js';
import {
  type CallCloudEvent,
  type EmulatedCall,
  type IdentifierModel,
  INCOMING_CALL,
  type IncomingCallData,
  isCaller,
  type PendingRecognize,
  phoneIdentifier,
  ssmlBreakMs,
  TONES,
} from './call-model.js';
import type { CallbackTokenIssuer } from './callback-tokens.js';
import { RESULTS } from './results.js';

export {
  type CallCloudEvent,
  type CallState,
  type EmulatedCall,
  type IdentifierModel,
  INCOMING_CALL,
  type IncomingCallData,
  type PendingRecognize,
  type PlayedPrompt,
  ssmlBreakMs,
  type TransferRequest,
} from './call-model.js';
export { RESULTS, type ResultInformation } from './results.js';

/** Thrown for a request the call cannot take (answered as ACS errors). */
export class CallActionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Options of the call registry. */
export interface CallRegistryOptions {
  readonly deliverer: EventGridDeliverer;
  readonly topic: string;
  /** The ACS phone number callers dial (E.164). */
  readonly acsPhoneNumber: string;
  /** Simulated speaking time of text prompts per character, in ms (playback is not instant). */
  readonly playbackMsPerCharacter: number;
  /** Simulated playing time of an audio file, in ms. */
  readonly filePlaybackMs: number;
  /** Per-attempt timeout of callback deliveries, in ms. */
  readonly callbackTimeoutMs: number;
  /** How long a call rings unanswered before ACS drops it, in ms. */
  readonly ringTimeoutMs: number;
  /** Signs each callback (`Authorization: Bearer <jwt>`), as ACS does. */
  readonly tokens: CallbackTokenIssuer;
}

/**
 * The calls of the emulated resource and the simulated callers on them: IncomingCall through Event Grid,
 * Call Automation actions, and the mid-call callbacks they cause, delivered one at a time per call in the
 * order ACS sends them.
 */
export class CallRegistry {
  readonly #o: CallRegistryOptions;
  readonly #calls = new Map<string, EmulatedCall>();
  /** Per call: the tail of its callback queue (callbacks of one call go out strictly in order). */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #webhook: WebhookTarget | undefined;
  #failNextPlay = false;
  #failNextTransfer = false;
  /** Waiters for calls to end, by call connection id. */
  readonly #endWaiters = new Map<string, ((call: EmulatedCall) => void)[]>();

  constructor(options: CallRegistryOptions) {
    this.#o = options;
  }

  /** Subscribes a webhook to IncomingCall (the validation handshake runs first, as Event Grid does). */
  async connect(url: string, options: { secret?: string; bearer?: string } = {}): Promise<void> {
    const target: WebhookTarget = {
      url:
        options.secret === undefined
          ? url
          : `${url}${url.includes('?') ? '&' : '?'}code=${encodeURIComponent(options.secret)}`,
      ...(options.bearer === undefined ? {} : { bearer: options.bearer }),
    };
    await this.#o.deliverer.validate(target, this.#o.topic);
    this.#webhook = target;
  }

  /** Forgets the webhook. */
  disconnect(): void {
    this.#webhook = undefined;
  }

  /** Every call, oldest first. */
  list(): EmulatedCall[] {
    return [...this.#calls.values()];
  }

  /** One call by its call connection id. */
  get(callConnectionId: string): EmulatedCall | undefined {
    return this.#calls.get(callConnectionId);
  }

  /**
   * A caller dials the ACS number: the call rings and IncomingCall goes to the subscribed webhook. `from` is an
   * E.164 number, or `anonymous` for a withheld one.
   */
  async dial(from: string, options: { callerDisplayName?: string } = {}): Promise<EmulatedCall> {
    if (this.#webhook === undefined) throw new Error('no webhook connected: call connect(url) first');
    const call: EmulatedCall = {
      callConnectionId: randomUUID(),
      serverCallId: randomBytes(24).toString('base64url'),
      correlationId: randomUUID(),
      incomingCallContext: randomBytes(48).toString('base64url'),
      from,
      to: this.#o.acsPhoneNumber,
      state: 'ringing',
      played: [],
      transfers: [],
      callbacks: [],
      deliveries: [],
    };
    this.#calls.set(call.callConnectionId, call);
    this.#later(this.#o.ringTimeoutMs, () => {
      if (call.state === 'ringing') this.#disconnect(call, 'timeout');
    });
    const data: IncomingCallData = {
      to: phoneIdentifier(call.to),
      from: phoneIdentifier(from),
      serverCallId: call.serverCallId,
      callerDisplayName: options.callerDisplayName ?? '',
      incomingCallContext: call.incomingCallContext,
      correlationId: call.correlationId,
    };
    const event: EventGridEvent<IncomingCallData> = {
      id: randomUUID(),
      topic: this.#o.topic,
      subject: `/caller/${data.from.rawId}/recipient/${data.to.rawId}`,
      data,
      eventType: INCOMING_CALL,
      dataVersion: '1.0',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    };
    const result = await this.#o.deliverer.deliver(this.#webhook, event);
    if (!result.delivered)
      throw new Error(`IncomingCall was not delivered (status ${result.status ?? 'none'})`);
    return call;
  }

  #require(callConnectionId: string): EmulatedCall {
    const call = this.#calls.get(callConnectionId);
    if (call === undefined || call.state === 'disconnected') {
      throw new CallActionError(404, '8522', 'Call not found or the call has ended.');
    }
    return call;
  }

  #requireConnected(callConnectionId: string): EmulatedCall {
    const call = this.#require(callConnectionId);
    if (call.state !== 'connected') {
      throw new CallActionError(400, '8501', `Action is not allowed while the call is ${call.state}.`);
    }
    return call;
  }

  /** `POST /calling/callConnections:answer`: the call connects and CallConnected follows. */
  answer(body: {
    incomingCallContext: string;
    callbackUri: string;
    operationContext?: string;
    cognitiveServicesEndpoint?: string;
  }): EmulatedCall {
    const call = [...this.#calls.values()].find((c) => c.incomingCallContext === body.incomingCallContext);
    if (call === undefined || call.state === 'disconnected') {
      throw new CallActionError(
        404,
        '8522',
        'No call with this incomingCallContext, or it is no longer ringing.',
      );
    }
    if (call.state !== 'ringing') throw new CallActionError(400, '8523', 'The call was already answered.');
    call.state = 'connecting';
    call.callbackUri = body.callbackUri;
    if (body.operationContext !== undefined) call.answerOperationContext = body.operationContext;
    if (body.cognitiveServicesEndpoint !== undefined)
      call.cognitiveServicesEndpoint = body.cognitiveServicesEndpoint;
    this.#later(0, () => {
      if (call.state !== 'connecting') return;
      call.state = 'connected';
      this.#emit(call, 'CallConnected', {
        ...(call.answerOperationContext === undefined
          ? {}
          : { operationContext: call.answerOperationContext }),
      });
    });
    return call;
  }

  /** `POST :play`: records the sources; PlayCompleted (or PlayFailed) after the simulated playing time. */
  play(
    callConnectionId: string,
    sources: readonly { kind: string; content: string }[],
    operationContext?: string,
  ): void {
    const call = this.#requireConnected(callConnectionId);
    const at = new Date().toISOString();
    for (const source of sources) {
      call.played.push({
        via: 'play',
        kind: source.kind,
        content: source.content,
        ...(operationContext === undefined ? {} : { operationContext }),
        at,
      });
    }
    const fail = this.#failNextPlay;
    this.#failNextPlay = false;
    this.#later(this.#playingTime(sources), () => {
      if (call.state !== 'connected') return;
      const context = operationContext === undefined ? {} : { operationContext };
      if (fail) this.#emit(call, 'PlayFailed', { ...context, resultInformation: RESULTS.playFailed });
      else this.#emit(call, 'PlayCompleted', { ...context, resultInformation: RESULTS.success });
    });
  }

  /** `POST :recognize`: records the prompt; the simulated caller answers it (say, press, silence). */
  recognize(
    callConnectionId: string,
    request: {
      inputType: string;
      prompts: readonly { kind: string; content: string }[];
      operationContext?: string;
      maxTonesToCollect?: number;
      interruptPrompt?: boolean;
      targetParticipant?: IdentifierModel;
    },
  ): void {
    const call = this.#requireConnected(callConnectionId);
    if (request.targetParticipant !== undefined && !isCaller(call, request.targetParticipant)) {
      throw new CallActionError(400, '8558', 'The target participant is not in the call.');
    }
    if (call.pendingRecognize !== undefined) {
      throw new CallActionError(400, '8501', 'A recognize operation is already running on this call.');
    }
    const at = new Date().toISOString();
    for (const prompt of request.prompts) {
      call.played.push({
        via: 'recognize',
        kind: prompt.kind,
        content: prompt.content,
        ...(request.operationContext === undefined ? {} : { operationContext: request.operationContext }),
        at,
      });
    }
    call.pendingRecognize = {
      inputType: request.inputType,
      interruptPrompt: request.interruptPrompt ?? false,
      at,
      ...(request.operationContext === undefined ? {} : { operationContext: request.operationContext }),
      ...(request.maxTonesToCollect === undefined ? {} : { maxTonesToCollect: request.maxTonesToCollect }),
    };
  }

  /** `POST :transferToParticipant`: CallTransferAccepted then CallDisconnected (or CallTransferFailed). */
  transfer(callConnectionId: string, target: IdentifierModel, operationContext?: string): void {
    const call = this.#requireConnected(callConnectionId);
    const fail = this.#failNextTransfer;
    this.#failNextTransfer = false;
    call.transfers.push({
      target,
      at: new Date().toISOString(),
      outcome: fail ? 'failed' : 'accepted',
      ...(operationContext === undefined ? {} : { operationContext }),
    });
    call.state = 'transferring';
    call.pendingRecognize = undefined;
    const context = operationContext === undefined ? {} : { operationContext };
    this.#later(0, () => {
      if (call.state !== 'transferring') return;
      if (fail) {
        call.state = 'connected';
        this.#emit(call, 'CallTransferFailed', { ...context, resultInformation: RESULTS.transferFailed });
        return;
      }
      this.#emit(call, 'CallTransferAccepted', {
        ...context,
        resultInformation: RESULTS.transferAccepted,
        transferTarget: target,
        transferee: phoneIdentifier(call.from),
      });
      this.#disconnect(call, 'application');
    });
  }

  /** `DELETE` (hang up) and `POST :terminate`: the call ends; CallDisconnected follows. */
  hangUp(callConnectionId: string): void {
    const call = this.#require(callConnectionId);
    this.#disconnect(call, 'application');
  }

  /** The caller says something: RecognizeCompleted (speech) for the pending recognize. */
  say(callConnectionId: string, text: string): void {
    const { call, pending } = this.#pending(callConnectionId, 'speech');
    this.#emit(call, 'RecognizeCompleted', {
      ...this.#context(pending),
      resultInformation: pending.inputType === 'choices' ? RESULTS.choiceMatched : RESULTS.speechRecognized,
      recognitionType: 'speech',
      speechResult: { speech: text, confidence: 0.92 },
    });
  }

  /** The caller presses keys: RecognizeCompleted (dtmf) for the pending recognize. */
  press(callConnectionId: string, keys: string): void {
    const { call, pending } = this.#pending(callConnectionId, 'dtmf');
    const tones = [...keys].map((key) => {
      const tone = TONES[key.toUpperCase()];
      if (tone === undefined) throw new CallActionError(400, 'BadRequest', `Not a DTMF key: ${key}`);
      return tone;
    });
    this.#emit(call, 'RecognizeCompleted', {
      ...this.#context(pending),
      resultInformation: keys.endsWith('#') ? RESULTS.stopTone : RESULTS.maxDigits,
      recognitionType: 'dtmf',
      dtmfResult: { tones },
    });
  }

  /** The caller stays silent (or mumbles): RecognizeFailed with the silence (or no-match) result. */
  silence(callConnectionId: string, reason: 'silence' | 'noMatch' = 'silence'): void {
    const { call, pending } = this.#pending(callConnectionId, undefined);
    this.#emit(call, 'RecognizeFailed', {
      ...this.#context(pending),
      resultInformation:
        reason === 'silence'
          ? RESULTS.silence
          : pending.inputType === 'choices'
            ? RESULTS.choiceNotMatched
            : RESULTS.speechNotRecognized,
    });
  }

  /** The caller hangs up (at any point): CallDisconnected. */
  callerHangsUp(callConnectionId: string): void {
    const call = this.#require(callConnectionId);
    this.#disconnect(call, 'caller');
  }

  /** Re-sends a callback already sent (a duplicate delivery, as ACS may make). */
  redeliver(eventId: string): void {
    for (const call of this.#calls.values()) {
      const event = call.callbacks.find((e) => e.id === eventId);
      if (event !== undefined) {
        this.#enqueue(call, event);
        return;
      }
    }
    throw new Error(`no callback ${eventId}`);
  }

  /** The next play fails (PlayFailed). */
  failNextPlay(): void {
    this.#failNextPlay = true;
  }

  /** The next transfer fails (CallTransferFailed). */
  failNextTransfer(): void {
    this.#failNextTransfer = true;
  }

  /** Resolves when every callback queued so far has been delivered. */
  async idle(): Promise<void> {
    for (;;) {
      const tails = [...this.#queues.values()];
      await Promise.all(tails);
      if ([...this.#queues.values()].every((tail, i) => tail === tails[i])) return;
    }
  }

  /** Forgets every call and failure setting (the webhook stays connected). */
  reset(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#calls.clear();
    this.#failNextPlay = false;
    this.#failNextTransfer = false;
  }

  /** Stops timers and forgets the webhook. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.disconnect();
  }

  #pending(
    callConnectionId: string,
    input: 'speech' | 'dtmf' | undefined,
  ): { call: EmulatedCall; pending: PendingRecognize } {
    const call = this.#requireConnected(callConnectionId);
    const pending = call.pendingRecognize;
    if (pending === undefined) {
      throw new CallActionError(409, 'NoRecognizeRunning', 'The application is not listening right now.');
    }
    if (input === 'speech' && !/speech/i.test(pending.inputType)) {
      throw new CallActionError(409, 'WrongInput', `The running recognize takes ${pending.inputType}.`);
    }
    if (input === 'dtmf' && !/dtmf/i.test(pending.inputType)) {
      throw new CallActionError(409, 'WrongInput', `The running recognize takes ${pending.inputType}.`);
    }
    call.pendingRecognize = undefined;
    return { call, pending };
  }

  #context(pending: PendingRecognize): { operationContext?: string } {
    return pending.operationContext === undefined ? {} : { operationContext: pending.operationContext };
  }

  #playingTime(sources: readonly { kind: string; content: string }[]): number {
    return sources.reduce(
      (total, source) =>
        total +
        (source.kind === 'file'
          ? this.#o.filePlaybackMs
          : source.content.replace(/<[^>]*>/g, '').length * this.#o.playbackMsPerCharacter +
            (source.kind === 'ssml' ? ssmlBreakMs(source.content) : 0)),
      0,
    );
  }

  #disconnect(call: EmulatedCall, by: 'caller' | 'application' | 'timeout'): void {
    if (call.state === 'disconnected') return;
    const wasAnswered = call.state !== 'ringing';
    call.state = 'disconnected';
    call.hangUpBy = by;
    call.pendingRecognize = undefined;
    if (wasAnswered) this.#emit(call, 'CallDisconnected', { resultInformation: RESULTS.callEnded });
    for (const resolve of this.#endWaiters.get(call.callConnectionId) ?? []) resolve(call);
    this.#endWaiters.delete(call.callConnectionId);
  }

  /** Resolves once the call has ended (hung up, transferred away, or never answered). */
  ended(callConnectionId: string): Promise<EmulatedCall> {
    const call = this.#calls.get(callConnectionId);
    if (call === undefined) return Promise.reject(new Error(`no call ${callConnectionId}`));
    if (call.state === 'disconnected') return Promise.resolve(call);
    return new Promise((resolve) => {
      const waiters = this.#endWaiters.get(callConnectionId) ?? [];
      waiters.push(resolve);
      this.#endWaiters.set(callConnectionId, waiters);
    });
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #emit(call: EmulatedCall, kind: string, data: Record<string, unknown>): void {
    const type = `Microsoft.Communication.${kind}`;
    const source = `calling/callConnections/${call.callConnectionId}`;
    const event: CallCloudEvent = {
      id: randomUUID(),
      source,
      type,
      data: {
        ...data,
        version: '2024-09-01-preview',
        callConnectionId: call.callConnectionId,
        serverCallId: call.serverCallId,
        correlationId: call.correlationId,
        publicEventType: type,
      },
      time: new Date().toISOString(),
      specversion: '1.0',
      datacontenttype: 'application/json',
      subject: source,
    };
    call.callbacks.push(event);
    this.#enqueue(call, event);
  }

  #enqueue(call: EmulatedCall, event: CallCloudEvent): void {
    const tail = this.#queues.get(call.callConnectionId) ?? Promise.resolve();
    const next = tail.then(() => this.#deliver(call, event));
    this.#queues.set(call.callConnectionId, next);
  }

  /** Posts one callback, retrying 5xx, 408, 429 and network errors a few times (ACS retries too). */
  async #deliver(call: EmulatedCall, event: CallCloudEvent): Promise<void> {
    const uri = call.callbackUri;
    if (uri === undefined) return;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const response = await fetch(uri, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#o.tokens.token()}` },
          body: JSON.stringify([event]),
          signal: AbortSignal.timeout(this.#o.callbackTimeoutMs),
        });
        await response.text();
        call.deliveries.push({ eventId: event.id, type: event.type, status: response.status });
        if (response.status < 500 && response.status !== 408 && response.status !== 429) return;
      } catch (error) {
        call.deliveries.push({ eventId: event.id, type: event.type, error: String(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

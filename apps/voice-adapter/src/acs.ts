import {
  CallAutomationClient,
  type CallMediaRecognizeDtmfOptions,
  type CallMediaRecognizeSpeechOptions,
  type CallMediaRecognizeSpeechOrDtmfOptions,
  DtmfTone,
  type SsmlSource,
  type TextSource,
} from '@azure/communication-call-automation';
import type { PhoneNumberIdentifier } from '@azure/communication-common';
import type { foundryCredentialFor } from '@omni/conversation';
import { needsSsml, toSsml } from './domain/voice.js';

type TokenCredential = ReturnType<typeof foundryCredentialFor>;

/** A prompt to speak: text (as SSML when it helps) with an optional pause after it. */
export interface Prompt {
  readonly text: string;
  readonly pauseSeconds?: number;
}

/** What to listen for after a prompt. */
export type Listen =
  | { readonly kind: 'speech' }
  | { readonly kind: 'speech-or-dtmf'; readonly maxTones: number }
  | { readonly kind: 'dtmf'; readonly maxTones: number; readonly stopOnHash: boolean };

/** Port: the Call Automation actions the voice flow takes. */
export interface CallControl {
  /** Answers a call; callbacks go to `callbackUrl`. Returns the call connection id. */
  answer(incomingCallContext: string, callbackUrl: string): Promise<string>;
  /** Speaks the prompt and listens (barge-in allowed) to the caller. */
  listen(
    callConnectionId: string,
    caller: string | undefined,
    prompt: Prompt,
    listen: Listen,
    operationContext: string,
  ): Promise<void>;
  /** Speaks to everyone on the call. */
  say(callConnectionId: string, prompt: Prompt, operationContext: string): Promise<void>;
  /** Transfers the call to a phone number (E.164) or an ACS identity (raw id `8:...`). */
  transfer(callConnectionId: string, target: string, operationContext: string): Promise<void>;
  /** Ends the call for everyone. */
  hangUp(callConnectionId: string): Promise<void>;
}

/** How the ACS Call Automation client is created: access key (local emulator) or managed identity. */
export type CallAutomationConnection =
  | { readonly connectionString: string }
  | { readonly endpoint: string; readonly credential: TokenCredential };

/** The real `CallAutomationClient`; `allowInsecureConnection` only for an http endpoint (the local emulator). */
export function createCallAutomationClient(connection: CallAutomationConnection): CallAutomationClient {
  if ('connectionString' in connection) {
    const insecure = /endpoint=http:\/\//i.test(connection.connectionString);
    return new CallAutomationClient(connection.connectionString, { allowInsecureConnection: insecure });
  }
  return new CallAutomationClient(connection.endpoint, connection.credential);
}

/** {@link CallControl} over the unmodified Call Automation SDK. */
export class AcsCallControl implements CallControl {
  constructor(
    private readonly client: CallAutomationClient,
    private readonly options: { voiceName: string; cognitiveServicesEndpoint?: string },
  ) {}

  #source(prompt: Prompt): TextSource | SsmlSource {
    const pause = prompt.pauseSeconds ?? 0;
    return needsSsml(prompt.text, pause)
      ? { kind: 'ssmlSource', ssmlText: toSsml(prompt.text, this.options.voiceName, pause) }
      : { kind: 'textSource', text: prompt.text, voiceName: this.options.voiceName };
  }

  async answer(incomingCallContext: string, callbackUrl: string): Promise<string> {
    const endpoint = this.options.cognitiveServicesEndpoint;
    const result = await this.client.answerCall(incomingCallContext, callbackUrl, {
      ...(endpoint === undefined ? {} : { callIntelligenceOptions: { cognitiveServicesEndpoint: endpoint } }),
      operationContext: 'answer',
    });
    const id = result.callConnectionProperties.callConnectionId;
    if (id === undefined) throw new Error('answerCall returned no callConnectionId');
    return id;
  }

  async listen(
    callConnectionId: string,
    caller: string | undefined,
    prompt: Prompt,
    listen: Listen,
    operationContext: string,
  ): Promise<void> {
    const media = this.client.getCallConnection(callConnectionId).getCallMedia();
    const target: PhoneNumberIdentifier = { phoneNumber: caller ?? 'anonymous' };
    const common = {
      playPrompt: this.#source(prompt),
      interruptPrompt: true,
      initialSilenceTimeoutInSeconds: 8,
      operationContext,
    };
    const options:
      | CallMediaRecognizeSpeechOptions
      | CallMediaRecognizeSpeechOrDtmfOptions
      | CallMediaRecognizeDtmfOptions =
      listen.kind === 'speech'
        ? { kind: 'callMediaRecognizeSpeechOptions', endSilenceTimeoutInSeconds: 1, ...common }
        : listen.kind === 'speech-or-dtmf'
          ? {
              kind: 'callMediaRecognizeSpeechOrDtmfOptions',
              endSilenceTimeoutInSeconds: 1,
              maxTonesToCollect: listen.maxTones,
              ...common,
            }
          : {
              kind: 'callMediaRecognizeDtmfOptions',
              maxTonesToCollect: listen.maxTones,
              interToneTimeoutInSeconds: 5,
              ...(listen.stopOnHash ? { stopDtmfTones: [DtmfTone.Pound] } : {}),
              ...common,
            };
    await media.startRecognizing(target, options);
  }

  async say(callConnectionId: string, prompt: Prompt, operationContext: string): Promise<void> {
    await this.client
      .getCallConnection(callConnectionId)
      .getCallMedia()
      .playToAll([this.#source(prompt)], { operationContext });
  }

  async transfer(callConnectionId: string, target: string, operationContext: string): Promise<void> {
    const participant = target.startsWith('+') ? { phoneNumber: target } : { communicationUserId: target };
    await this.client
      .getCallConnection(callConnectionId)
      .transferCallToParticipant(participant, { operationContext });
  }

  async hangUp(callConnectionId: string): Promise<void> {
    await this.client.getCallConnection(callConnectionId).hangUp(true);
  }
}

import type { ResultInformation } from './results.js';

// The data model of emulated calls: identifiers, events, prompts and calls as the inspection API shows them.

/** The Event Grid type of an incoming call. */
export const INCOMING_CALL = 'Microsoft.Communication.IncomingCall';

/** A communication identifier as ACS serialises it (`CommunicationIdentifierModel`). */
export interface IdentifierModel {
  kind?: string;
  rawId?: string;
  phoneNumber?: { value: string; isAnonymous?: boolean };
  communicationUser?: { id: string };
}

/** The `data` of `Microsoft.Communication.IncomingCall` (the documented `AcsIncomingCallEventData` wire names). */
export interface IncomingCallData {
  to: IdentifierModel;
  from: IdentifierModel;
  serverCallId: string;
  callerDisplayName: string;
  incomingCallContext: string;
  correlationId: string;
}

/** A mid-call callback, as ACS posts it: a CloudEvent 1.0 (in a JSON array). */
export interface CallCloudEvent {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown> & {
    callConnectionId: string;
    serverCallId: string;
    correlationId: string;
    operationContext?: string;
    resultInformation?: ResultInformation;
  };
  time: string;
  specversion: '1.0';
  datacontenttype: 'application/json';
  subject: string;
}

/** Something the call heard from the application: a `play`, or the prompt of a `recognize`. */
export interface PlayedPrompt {
  readonly via: 'play' | 'recognize';
  /** `text`, `ssml` or `file`. */
  readonly kind: string;
  /** The text, the SSML, or the file URL. */
  readonly content: string;
  readonly operationContext?: string;
  readonly at: string;
}

/** A pending `recognize` the simulated caller is expected to answer. */
export interface PendingRecognize {
  readonly inputType: string;
  readonly operationContext?: string;
  readonly maxTonesToCollect?: number;
  readonly interruptPrompt: boolean;
  readonly at: string;
}

/** A `transferToParticipant` request. */
export interface TransferRequest {
  readonly target: IdentifierModel;
  readonly operationContext?: string;
  readonly at: string;
  readonly outcome: 'accepted' | 'failed';
}

/** Where a call is. */
export type CallState = 'ringing' | 'connecting' | 'connected' | 'transferring' | 'disconnected';

/** One emulated call, as the inspection API shows it. */
export interface EmulatedCall {
  readonly callConnectionId: string;
  readonly serverCallId: string;
  readonly correlationId: string;
  readonly incomingCallContext: string;
  readonly from: string;
  readonly to: string;
  state: CallState;
  callbackUri?: string;
  cognitiveServicesEndpoint?: string;
  answerOperationContext?: string;
  pendingRecognize?: PendingRecognize;
  readonly played: PlayedPrompt[];
  readonly transfers: TransferRequest[];
  /** Every callback sent, in order. */
  readonly callbacks: CallCloudEvent[];
  /** How each callback delivery ended (HTTP status, or the error). */
  readonly deliveries: { eventId: string; type: string; status?: number; error?: string }[];
  /** Who ended the call; `timeout` when it rang unanswered past the ring timeout. */
  hangUpBy?: 'caller' | 'application' | 'timeout';
}

/**
 * How long the `<break time="..."/>` elements of an SSML prompt last, in ms: a hold announcement's pause is
 * real silence, so the next PlayCompleted comes when a real one would.
 */
export function ssmlBreakMs(ssml: string): number {
  let total = 0;
  for (const match of ssml.matchAll(/<break\b[^>]*\btime\s*=\s*["'](\d+(?:\.\d+)?)\s*(ms|s)["']/gi)) {
    total += Number(match[1]) * ((match[2] ?? '').toLowerCase() === 's' ? 1000 : 1);
  }
  return total;
}

/** DTMF tones by key, as Call Automation names them in `dtmfResult.tones`. */
export const TONES: Record<string, string> = {
  '0': 'zero',
  '1': 'one',
  '2': 'two',
  '3': 'three',
  '4': 'four',
  '5': 'five',
  '6': 'six',
  '7': 'seven',
  '8': 'eight',
  '9': 'nine',
  '*': 'asterisk',
  '#': 'pound',
  A: 'a',
  B: 'b',
  C: 'c',
  D: 'd',
};

/** Whether an identifier names the caller of this call (by raw id or phone number). */
export function isCaller(call: EmulatedCall, identifier: IdentifierModel): boolean {
  const caller = phoneIdentifier(call.from);
  if (identifier.rawId !== undefined) return identifier.rawId === caller.rawId;
  return identifier.phoneNumber?.value === call.from;
}

export function phoneIdentifier(number: string): IdentifierModel {
  if (number === 'anonymous') {
    return {
      kind: 'phoneNumber',
      rawId: '4:anonymous',
      phoneNumber: { value: 'anonymous', isAnonymous: true },
    };
  }
  return { kind: 'phoneNumber', rawId: `4:${number}`, phoneNumber: { value: number } };
}

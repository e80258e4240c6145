import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import { toProblem } from '../../problem.js';
import { type EventGridWebhookOptions, eventGridWebhook } from '../event-grid-webhook.js';

/** The shared secret the test apps accept in `?code=`. */
export const SECRET = 'test-secret-5f1c2a';
/** The webhook path of the test apps. */
export const PATH = '/api/events';
/** A made-up Entra tenant. */
export const TENANT_ID = '72f988bf-0000-4000-8000-000000000001';
/** The made-up webhook app's application ID URI. */
export const AUDIENCE = 'api://omni-handoff-events';
/** The issuer of v2.0 access tokens of {@link TENANT_ID}. */
export const ISSUER_V2 = `https://login.microsoftonline.com/${TENANT_ID}/v2.0`;
/** The issuer of v1.0 access tokens of {@link TENANT_ID}. */
export const ISSUER_V1 = `https://sts.windows.net/${TENANT_ID}/`;

/** An ACS resource topic as Event Grid sends it. */
export const ACS_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/omni/providers/microsoft.communication/communicationservices/omni-acs';

/**
 * A fastify app like the service-kit one (problem+json errors from `toProblem`) with the webhook registered.
 * Pass `logStream` to capture the JSON log lines.
 */
export async function buildApp(
  options: Partial<EventGridWebhookOptions> = {},
  logStream?: Writable,
): Promise<FastifyInstance> {
  const app = logStream ? Fastify({ logger: { level: 'debug', stream: logStream } }) : Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const { problem, headers } = toProblem(error);
    reply.status(problem.status).headers(headers).type('application/problem+json').send(problem);
  });
  await app.register(eventGridWebhook, {
    path: PATH,
    auth: { sharedSecret: { secret: SECRET } },
    handler: async () => {},
    ...options,
  });
  await app.ready();
  return app;
}

/** An Event Grid schema event; `overrides` replace top-level fields (set one to `undefined` to drop it). */
export function eventGridEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return withoutUndefined({
    id: randomUUID(),
    topic: ACS_TOPIC,
    subject: 'call/test',
    eventType: 'Omni.Test.Happened',
    eventTime: '2025-01-15T10:00:00.1234567Z',
    data: { n: 1 },
    dataVersion: '1.0',
    metadataVersion: '1',
    ...overrides,
  });
}

/** A CloudEvents 1.0 event; `overrides` replace top-level attributes (set one to `undefined` to drop it). */
export function cloudEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return withoutUndefined({
    specversion: '1.0',
    id: randomUUID(),
    source: 'calling/callConnections/401f3500-62bd-46a9-8c09-9e1b06caca01',
    type: 'Microsoft.Communication.CallConnected',
    time: '2025-01-15T10:00:01Z',
    datacontenttype: 'application/json',
    data: { callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01' },
    ...overrides,
  });
}

/** Event Grid's subscription validation event, as documented for the Event Grid schema handshake. */
export function subscriptionValidationEvent(validationCode: string): Record<string, unknown> {
  return eventGridEvent({
    topic: ACS_TOPIC,
    subject: '',
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    dataVersion: '2',
    data: {
      validationCode,
      validationUrl: `https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/omni/validate?id=${validationCode}`,
    },
  });
}

/** The caller's number in {@link incomingCallEvent} (a documentation number). */
export const CALLER_PHONE = '+12065551212';

/**
 * A `Microsoft.Communication.IncomingCall` event shaped like the documented samples
 * (learn.microsoft.com/azure/event-grid/communication-services-voice-video-events, PSTN caller as in the
 * Call Automation incoming-call docs): `to` / `from` identifiers with kind, rawId and phoneNumber.
 */
export function incomingCallEvent(): Record<string, unknown> {
  return eventGridEvent({
    id: 'd5546be8-227a-4db8-b2c3-4f06fd675fd6',
    subject: `/caller/4:${CALLER_PHONE}/recipient/4:+18005550100`,
    eventType: 'Microsoft.Communication.IncomingCall',
    eventTime: '2025-01-15T10:00:00.5542219Z',
    data: {
      to: { kind: 'phoneNumber', rawId: '4:+18005550100', phoneNumber: { value: '+18005550100' } },
      from: { kind: 'phoneNumber', rawId: `4:${CALLER_PHONE}`, phoneNumber: { value: CALLER_PHONE } },
      serverCallId: 'aHR0cHM6Ly9hcGkuZmxpZ2h0cHJveHkuc2t5cGUuY29tL2FwaS92Mi9jcC9jb252LXVzd2UtMDI',
      callerDisplayName: CALLER_PHONE,
      customContext: { sipHeaders: {}, voipHeaders: {} },
      incomingCallContext: 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJjYyI6Ikg0c0lBQUFBQUFBRUFMMVd5WkxpT0JM.',
      correlationId: 'd6e1b2c8-3a0f-4b6e-9d55-1f2a3b4c5d6e',
    },
  });
}

/** Keys and a signer for bearer tokens, verified through `createLocalJWKSet` (no network). */
export interface TokenIssuer {
  keys: JWTVerifyGetKey;
  /** Signs a token with the trusted key; defaults: issuer v2.0, audience, exp in 5 minutes. */
  sign(claims?: Partial<TokenClaims>): Promise<string>;
  /** Signs with a different key that claims the trusted key's `kid`: a forged signature. */
  signForged(claims?: Partial<TokenClaims>): Promise<string>;
}

/** Claims a test token carries; `exp` / `nbf` in seconds since the epoch. */
export interface TokenClaims extends JWTPayload {
  iss: string;
  aud: string;
  exp: number;
}

/** A fresh RS256 key pair behind a local JWKS, plus a second key to forge signatures with. */
export async function createTokenIssuer(): Promise<TokenIssuer> {
  const kid = 'test-key-1';
  const trusted = await generateKeyPair('RS256', { extractable: true });
  const forger = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const now = Math.floor(Date.now() / 1000);
  const signWith =
    (key: CryptoKey) =>
    async (claims: Partial<TokenClaims> = {}) =>
      new SignJWT({ iss: ISSUER_V2, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .sign(key);
  return { keys, sign: signWith(trusted.privateKey), signForged: signWith(forger.privateKey) };
}

/** A promise with its resolve function, to hold a handler until a test lets it go. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

import { parseEvent } from '@omni/contracts';
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { buildApp as buildSandbox } from '@omni/sandbox/dist/app.js';
import { readConfig as readSandboxConfig } from '@omni/sandbox/dist/config.js';
import { buildApp } from '@omni/whatsapp-adapter/dist/app.js';
import type { HandoffMessageStore } from '@omni/whatsapp-adapter/dist/handoff-messages.js';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { entityCounts, peekMessages } from '../support/bus-inspection.js';
import { WEBHOOK_SECRET, whatsappConfig } from '../support/whatsapp-config.js';
import { benchPhone, inboundTextEvent } from '../support/whatsapp-events.js';
import { type FuzzCase, fuzzCases } from './cases.js';
import { routerAgentsTarget } from './router-target.js';
import { type FuzzTarget, listenLocal, type RunningTarget } from './targets.js';
import { voiceCallbackTarget, voiceIncomingCallTarget } from './voice-targets.js';
import { webchatAzureTarget, webchatLocalTarget } from './webchat-targets.js';

const SEED = 20261123;
const ENTITIES = [
  'inbound-messages/Subscriptions/whatsapp-adapter',
  'inbound-messages/Subscriptions/webchat-adapter',
  'handoff-events/Subscriptions/channel-router',
  'conversation-events/Subscriptions/channel-router',
  'escalations',
];
const ENTRA = {
  issuer: 'https://login.microsoftonline.com/fuzz-tenant/v2.0',
  audience: 'api://fuzz-webhook',
};

const noHandoffMessages: HandoffMessageStore = {
  remember: async () => {},
  lookup: async () => undefined,
  track: (sending) => sending,
  settled: async () => {},
};

/** The whatsapp-adapter webhook: real buildApp and EventPublisher on the Service Bus emulator, secret and Entra auth. */
async function startWhatsAppTarget(): Promise<RunningTarget & { busHttpUrl: string }> {
  {
    const bus = await startServiceBusEmulator({ amqpPort: 0, httpPort: 0 });
    const client = createServiceBusClient({ connectionString: bus.connectionString });
    const publisher = new EventPublisher({ client });
    const config = whatsappConfig({ SERVICEBUS_CONNECTION_STRING: bus.connectionString });
    const { publicKey } = await generateKeyPair('ES256');
    const jwks = createLocalJWKSet({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'real', alg: 'ES256' }],
    });
    const app = buildApp({
      config,
      logger: pino({ level: 'silent' }),
      publisher,
      handoffMessages: noHandoffMessages,
      auth: { sharedSecret: { secret: WEBHOOK_SECRET }, entra: { ...ENTRA, keys: jwks } },
    });
    const base = await listenLocal(app);
    return {
      busHttpUrl: bus.httpUrl,
      url: `${base}/api/events`,
      credentials: `code=${WEBHOOK_SECRET}`,
      validBody: [
        inboundTextEvent(benchPhone(1, 50), 'hello', {
          channelRegistrationId: config.WHATSAPP_CHANNEL_REGISTRATION_ID,
        }),
      ],
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      headers: { 'aeg-event-type': 'Notification' },
      problemJson: true,
      async recorded() {
        const counts = await Promise.all(ENTITIES.map((path) => entityCounts(bus.httpUrl, path)));
        return counts.reduce((sum, c) => sum + c.active + c.deadLetter + c.scheduled, 0);
      },
      alive: async () => (await fetch(`${base}/healthz`)).ok,
      async stop() {
        await app.close();
        await publisher.close();
        await client.close();
        await bus.stop();
      },
    };
  }
}

const whatsappTarget: FuzzTarget = { name: 'whatsapp-adapter POST /api/events', start: startWhatsAppTarget };

/** The sandbox's relay to the WhatsApp simulator (`POST /api/whatsapp/messages`); no credentials (a local tool). */
const sandboxTarget: FuzzTarget = {
  name: 'sandbox POST /api/whatsapp/messages',
  async start(): Promise<RunningTarget> {
    const acs = await startAcsMessagesEmulator({ port: 0 });
    const config = readSandboxConfig({ ACS_MESSAGES_EMULATOR_URL: acs.endpoint, LOG_LEVEL: 'silent' });
    const app = buildSandbox({ config, logger: pino({ level: 'silent' }) });
    const base = await listenLocal(app);
    return {
      url: `${base}/api/whatsapp/messages`,
      credentials: '',
      validBody: { from: '+14255550123', text: 'hello' },
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      headers: {},
      // The relay answers with the simulator's own ACS-shaped error (`{ error: { code, message } }`).
      problemJson: false,
      recorded: async () => acs.customer.events().length + acs.messages.list().length,
      alive: async () => (await fetch(`${base}/healthz`)).ok,
      async stop() {
        await app.close();
        await acs.stop();
      },
    };
  },
};

/** Every webhook fuzzed (and the ops API's one write endpoint). */
const FUZZ_TARGETS: readonly FuzzTarget[] = [
  whatsappTarget,
  sandboxTarget,
  voiceIncomingCallTarget,
  voiceCallbackTarget,
  webchatAzureTarget,
  webchatLocalTarget,
  routerAgentsTarget,
];

async function send(target: RunningTarget, fuzz: FuzzCase, extraHeaders: Record<string, string> = {}) {
  const query = fuzz.authenticated && target.credentials !== '' ? `?${target.credentials}` : '';
  const credentialHeaders = fuzz.authenticated ? (target.credentialHeaders ?? {}) : {};
  const response = await fetch(`${target.url}${query}`, {
    method: target.method ?? 'POST',
    headers: {
      'content-type': 'application/json',
      ...target.headers,
      ...credentialHeaders,
      ...fuzz.headers,
      ...extraHeaders,
    },
    body: fuzz.body,
  });
  const text = await response.text();
  return { status: response.status, text, contentType: response.headers.get('content-type') ?? '' };
}

describe.each(FUZZ_TARGETS)('fuzzing $name', (definition) => {
  it('given malformed, wrong-typed, unicode-edged, oversized and unauthenticated bodies, then it answers 4xx (never 5xx), stays up, and records nothing invalid', async () => {
    const target = await definition.start();
    try {
      const cases = fuzzCases(target.validBody, {
        seed: SEED,
        bodyLimitBytes: target.bodyLimitBytes,
        hasCredentials: target.credentials !== '' || target.credentialHeaders !== undefined,
      });
      const strict = cases.filter(
        (c) => c.expect4xx || c.name.startsWith('wrong shape') || c.name.startsWith('malformed'),
      );
      const failures: string[] = [];
      for (const fuzz of strict) {
        const answer = await send(target, fuzz);
        if (target.unauthenticatedOnly && (answer.status < 400 || answer.status >= 500))
          failures.push(`${fuzz.name}: ${answer.status}, not 4xx`);
        if (answer.status >= 500 || (fuzz.expect4xx && (answer.status < 400 || answer.status >= 500))) {
          failures.push(`${fuzz.name}: ${answer.status}`);
        }
        if (
          target.problemJson &&
          answer.status >= 400 &&
          !answer.contentType.includes('application/problem+json')
        ) {
          failures.push(`${fuzz.name}: ${answer.status} without problem+json`);
        }
      }
      expect(failures).toEqual([]);
      // Malformed, wrong-shaped, oversized and unauthenticated: nothing at all was recorded.
      expect(await target.recorded()).toBe(0);
      for (const fuzz of cases.filter((c) => !strict.includes(c))) {
        const answer = await send(target, fuzz);
        if (
          answer.status >= 500 ||
          (target.unauthenticatedOnly && answer.status >= 200 && answer.status < 300)
        )
          failures.push(`${fuzz.name}: ${answer.status} ${answer.text.slice(0, 120)}`);
      }
      if (target.unauthenticatedOnly) {
        // Without a JWT a well-formed body is refused by authentication (the shape checks may answer 400 first).
        const valid = await send(target, {
          name: 'valid body',
          body: JSON.stringify(target.validBody),
          authenticated: true,
          expect4xx: true,
        });
        if (valid.status !== 401) failures.push(`valid body without a JWT: ${valid.status}, not 401`);
      }
      // Every mutation (some still valid) on a target that accepts no credentials: still nothing recorded.
      if (target.unauthenticatedOnly) expect(await target.recorded()).toBe(0);
      expect(failures).toEqual([]);
      expect(await target.alive()).toBe(true);
    } finally {
      await target.stop();
    }
  }, 60_000);
});

describe.each(FUZZ_TARGETS.filter((t) => t !== webchatAzureTarget))('the control of $name', (definition) => {
  it('given its valid body with valid credentials, then it is accepted (2xx) and recorded: the fuzz mutates something that works', async () => {
    const target = await definition.start();
    try {
      const body = JSON.stringify(target.validBody);
      const answer = await send(target, { name: 'valid', body, authenticated: true, expect4xx: false });
      expect(answer.status, answer.text.slice(0, 200)).toBeGreaterThanOrEqual(200);
      expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(300);
      const deadline = Date.now() + 10_000;
      while ((await target.recorded()) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await target.recorded()).toBeGreaterThan(0);
    } finally {
      await target.stop();
    }
  }, 60_000);
});

describe('fuzzing the whatsapp-adapter webhook: field mutations and forged tokens', () => {
  it('given field-level mutations, when some still form a valid message, then only schema-valid message.received events reach the bus', async () => {
    const target = await startWhatsAppTarget();
    try {
      for (const fuzz of fuzzCases(target.validBody, {
        seed: SEED + 1,
        bodyLimitBytes: target.bodyLimitBytes,
        hasCredentials: true,
        count: 200,
      })) {
        const answer = await send(target, fuzz);
        expect(answer.status, fuzz.name).toBeLessThan(500);
      }
      const published = await peekMessages(
        target.busHttpUrl,
        'inbound-messages/Subscriptions/whatsapp-adapter',
      );
      const invalid = published.filter((message) => !parseEvent(message.body).ok);
      expect(invalid).toEqual([]);
      expect(await target.alive()).toBe(true);
    } finally {
      await target.stop();
    }
  }, 60_000);

  it('given forged Entra tokens (another key, alg none, expired, wrong audience or issuer, garbage) and forged secrets, then every request is 401 and nothing is recorded', async () => {
    const target = await whatsappTarget.start();
    try {
      const other = await generateKeyPair('ES256');
      const now = Math.floor(Date.now() / 1000);
      const sign = (claims: Record<string, unknown>, key = other.privateKey) =>
        new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'real' }).sign(key);
      const unsigned = (claims: Record<string, unknown>) =>
        `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'real' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
      const good = { iss: ENTRA.issuer, aud: ENTRA.audience, exp: now + 600, iat: now };
      const tokens = [
        await sign(good),
        unsigned(good),
        await sign({ ...good, exp: now - 3600 }),
        await sign({ ...good, aud: 'api://someone-else' }),
        await sign({ ...good, iss: 'https://evil.example/v2.0' }),
        'not-a-jwt',
        'a.b.c',
        '',
        '\u00ff\u00fe.\u00ff.x',
      ];
      const body = JSON.stringify(target.validBody);
      const fuzz: FuzzCase = { name: 'forged', body, authenticated: false, expect4xx: true };
      for (const token of tokens) {
        const answer = await send(target, fuzz, { authorization: `Bearer ${token}` });
        expect(answer.status, `token ${token.slice(0, 30)}`).toBe(401);
      }
      for (const secret of [
        `${WEBHOOK_SECRET}x`,
        WEBHOOK_SECRET.toUpperCase(),
        WEBHOOK_SECRET.slice(0, -1),
        '%00',
        encodeURIComponent('\ud83d\ude00'),
      ]) {
        const response = await fetch(`${target.url}?code=${secret}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...target.headers },
          body,
        });
        expect(response.status, `secret ${secret}`).toBe(401);
      }
      expect(await target.recorded()).toBe(0);
    } finally {
      await target.stop();
    }
  }, 60_000);
});

describe('fuzzing the voice-adapter callbacks: forged per-call secrets', () => {
  it('given the real callback URL of a live call with a forged secret, or its secret on another ref, then every request is 401 problem+json and nothing is recorded', async () => {
    const target = await voiceCallbackTarget.start();
    try {
      const secret = new URLSearchParams(target.credentials).get('secret') ?? '';
      const body = JSON.stringify(target.validBody);
      const ref = target.url.split('/').at(-1) ?? '';
      const otherRef = `${ref.slice(0, -1)}${ref.endsWith('0') ? '1' : '0'}`;
      const forged = [
        [target.url, `secret=${secret}x`],
        [target.url, `secret=${secret.slice(0, -1)}`],
        [target.url, `secret=${secret.toUpperCase()}`],
        [target.url, 'secret='],
        [target.url, `secret=${encodeURIComponent('\ud83d\ude00')}`],
        [target.url, `Secret=${secret}`],
        [target.url.replace(ref, otherRef), `secret=${secret}`],
        [target.url.replace(ref, '..%2F..%2Fhealthz'), `secret=${secret}`],
      ];
      for (const [url, query] of forged) {
        const response = await fetch(`${url}?${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(response.status, `${url} ${query}`).toBe(401);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(await target.recorded()).toBe(0);
    } finally {
      await target.stop();
    }
  }, 60_000);
});

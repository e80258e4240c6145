import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpProblem } from '../problem.js';
import type { EventHandler } from './event-grid-webhook.js';
import type { ReceivedEvent } from './received-event.js';
import { isSystemEventOfType } from './system-events.js';
import {
  ACS_TOPIC,
  AUDIENCE,
  buildApp,
  CALLER_PHONE,
  cloudEvent,
  createTokenIssuer,
  deferred,
  eventGridEvent,
  ISSUER_V1,
  ISSUER_V2,
  incomingCallEvent,
  PATH,
  SECRET,
  subscriptionValidationEvent,
} from './test-support/fixtures.js';

interface PostOptions {
  contentType?: string;
  /** The query string, `?code=<secret>` unless given. */
  query?: string;
  headers?: Record<string, string>;
}

function post(app: FastifyInstance, body: unknown, options: PostOptions = {}) {
  return app.inject({
    method: 'POST',
    url: `${PATH}${options.query ?? `?code=${SECRET}`}`,
    headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function handshake(app: FastifyInstance, origin: string | undefined, query = `?code=${SECRET}`) {
  return app.inject({
    method: 'OPTIONS',
    url: `${PATH}${query}`,
    headers: origin === undefined ? {} : { 'webhook-request-origin': origin, 'webhook-request-rate': '120' },
  });
}

/** A handler that records the events it saw. */
function recordingHandler() {
  const seen: ReceivedEvent[] = [];
  const handler = vi.fn<EventHandler>(async (event) => {
    seen.push(event);
  });
  return { seen, handler };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('eventGridWebhook handshakes', () => {
  it('given an Event Grid SubscriptionValidation delivery with the secret, when posted, then it answers 200 with the validation code and skips the handler', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });

    const response = await post(app, [subscriptionValidationEvent('512d38b6-c7b8-40c8-89fe-f46f9e9622b6')], {
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
    });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('given a SubscriptionValidation header without a validation event, when posted, then it answers 400', async () => {
    app = await buildApp();

    const response = await post(app, [eventGridEvent()], {
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
    });

    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toContain('Microsoft.EventGrid.SubscriptionValidationEvent');
  });

  it('given any origin is allowed, when a CloudEvents OPTIONS handshake arrives, then it answers 200 with WebHook-Allowed-Origin echoing the origin', async () => {
    app = await buildApp();

    const response = await handshake(app, 'eventgrid.azure.net');

    expect(response.statusCode).toBe(200);
    expect(response.headers['webhook-allowed-origin']).toBe('eventgrid.azure.net');
    expect(response.headers['webhook-allowed-rate']).toBe('*');
    expect(response.headers.allow).toContain('POST');
  });

  it('given allowedOrigins, when the handshake comes from another origin, then it is refused without WebHook-Allowed-Origin while a listed origin is allowed', async () => {
    app = await buildApp({ allowedOrigins: ['eventgrid.azure.net'] });

    const refused = await handshake(app, 'attacker.example.com');
    const allowed = await handshake(app, 'EventGrid.Azure.Net');

    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.headers['webhook-allowed-origin']).toBeUndefined();
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['webhook-allowed-origin']).toBe('EventGrid.Azure.Net');
  });

  it('given an OPTIONS request without WebHook-Request-Origin, when sent, then it answers 400', async () => {
    app = await buildApp();

    const response = await handshake(app, undefined);

    expect(response.statusCode).toBe(400);
    expect(response.headers['webhook-allowed-origin']).toBeUndefined();
  });

  it('given handshakes without credentials, when sent, then both the validation POST and the OPTIONS answer 401', async () => {
    app = await buildApp();

    const validation = await post(app, [subscriptionValidationEvent('code-1')], {
      query: '',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
    });
    const options = await handshake(app, 'eventgrid.azure.net', '');

    expect(validation.statusCode).toBe(401);
    expect(validation.body).not.toContain('code-1');
    expect(options.statusCode).toBe(401);
    expect(options.headers['webhook-allowed-origin']).toBeUndefined();
  });
});

describe('eventGridWebhook shared secret', () => {
  it('given the right secret in ?code=, when events are posted, then it answers 200 and handles them', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });

    const response = await post(app, [eventGridEvent()]);

    expect(response.statusCode).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('given a wrong or a missing secret, when events are posted, then both answer the same 401 problem and nothing is handled', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });

    const wrong = await post(app, [eventGridEvent()], { query: '?code=not-the-secret' });
    const missing = await post(app, [eventGridEvent()], { query: '' });

    for (const response of [wrong, missing]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toEqual({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'Missing or invalid credentials.',
      });
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('given two secrets during a rotation and a custom parameter, when either is sent, then both are accepted', async () => {
    app = await buildApp({
      auth: { sharedSecret: { secret: ['old-secret', 'new-secret'], queryParam: 'key' } },
    });

    const old = await post(app, [eventGridEvent()], { query: '?key=old-secret' });
    const current = await post(app, [eventGridEvent()], { query: '?key=new-secret' });
    const wrongParam = await post(app, [eventGridEvent()], { query: '?code=new-secret' });

    expect([old.statusCode, current.statusCode, wrongParam.statusCode]).toEqual([200, 200, 401]);
  });
});

describe('eventGridWebhook Entra bearer token', () => {
  async function entraApp(extra: { authorizedParties?: string[]; requiredRoles?: string[] } = {}) {
    const issuer = await createTokenIssuer();
    const { handler } = recordingHandler();
    const built = await buildApp({
      handler,
      auth: { entra: { audience: AUDIENCE, issuer: [ISSUER_V2, ISSUER_V1], keys: issuer.keys, ...extra } },
    });
    return { app: built, issuer, handler };
  }

  it('given a token with the right issuer, audience and expiry, when events are posted, then it answers 200', async () => {
    const setup = await entraApp();
    app = setup.app;

    const v2 = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${await setup.issuer.sign()}` },
    });
    const v1 = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${await setup.issuer.sign({ iss: ISSUER_V1 })}` },
    });

    expect(v2.statusCode).toBe(200);
    expect(v1.statusCode).toBe(200);
    expect(setup.handler).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['a wrong audience', { aud: 'api://someone-else' }, false],
    [
      'a wrong issuer',
      { iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' },
      false,
    ],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }, false],
    ['a token not valid yet', { nbf: Math.floor(Date.now() / 1000) + 3600 }, false],
    ['a forged signature', {}, true],
  ] as const)('given %s, when events are posted, then it answers 401', async (_case, claims, forged) => {
    const setup = await entraApp();
    app = setup.app;
    const token = forged ? await setup.issuer.signForged(claims) : await setup.issuer.sign(claims);

    const response = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toBe('Missing or invalid credentials.');
    expect(setup.handler).not.toHaveBeenCalled();
  });

  it('given authorizedParties, when the token was issued to another client, then it answers 401, and 200 for the listed client', async () => {
    const setup = await entraApp({ authorizedParties: ['4962773b-9cdb-44cf-a8bf-237846a00ab7'] });
    app = setup.app;

    const other = await post(app, [eventGridEvent()], {
      query: '',
      headers: {
        authorization: `Bearer ${await setup.issuer.sign({ azp: '11111111-1111-1111-1111-111111111111' })}`,
      },
    });
    const eventGrid = await post(app, [eventGridEvent()], {
      query: '',
      headers: {
        authorization: `Bearer ${await setup.issuer.sign({ appid: '4962773b-9cdb-44cf-a8bf-237846a00ab7' })}`,
      },
    });

    expect(other.statusCode).toBe(401);
    expect(eventGrid.statusCode).toBe(200);
  });

  it('given a required app role, when another app of the tenant sends a valid token without it, then it answers 401, and 200 with the role', async () => {
    const setup = await entraApp({ requiredRoles: ['AzureEventGridSecureWebhookSubscriber'] });
    app = setup.app;
    const noRole = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${await setup.issuer.sign()}` },
    });
    const otherRole = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${await setup.issuer.sign({ roles: ['Reader'] })}` },
    });
    const eventGrid = await post(app, [eventGridEvent()], {
      query: '',
      headers: {
        authorization: `Bearer ${await setup.issuer.sign({ roles: ['AzureEventGridSecureWebhookSubscriber'] })}`,
      },
    });
    expect(noRole.statusCode).toBe(401);
    expect(otherRole.statusCode).toBe(401);
    expect(eventGrid.statusCode).toBe(200);
  });

  it('given the signing keys cannot be fetched, when a token arrives, then it answers 503 with retry-after so Event Grid retries', async () => {
    const issuer = await createTokenIssuer();
    app = await buildApp({
      auth: {
        entra: {
          audience: AUDIENCE,
          issuer: ISSUER_V2,
          keys: async () => {
            throw new TypeError('fetch failed');
          },
        },
      },
    });

    const response = await post(app, [eventGridEvent()], {
      query: '',
      headers: { authorization: `Bearer ${await issuer.sign()}` },
    });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('30');
  });

  it('given both methods, when a request carries only one valid credential, then it is accepted either way', async () => {
    const issuer = await createTokenIssuer();
    app = await buildApp({
      auth: {
        sharedSecret: { secret: SECRET },
        entra: { audience: AUDIENCE, issuer: ISSUER_V2, keys: issuer.keys },
      },
    });

    const bySecret = await post(app, [eventGridEvent()], { headers: { authorization: 'Bearer not-a-jwt' } });
    const byToken = await post(app, [eventGridEvent()], {
      query: '?code=wrong',
      headers: { authorization: `Bearer ${await issuer.sign()}` },
    });
    const byNeither = await post(app, [eventGridEvent()], {
      query: '?code=wrong',
      headers: { authorization: 'Bearer x.y.z' },
    });

    expect([bySecret.statusCode, byToken.statusCode, byNeither.statusCode]).toEqual([200, 200, 401]);
  });
});

describe('eventGridWebhook registration', () => {
  it('given no auth method, when registered, then registration fails with a clear message', async () => {
    await expect(buildApp({ auth: {} })).rejects.toThrow(/auth must configure sharedSecret, entra or both/);
  });

  it('given an empty shared secret, when registered, then registration fails', async () => {
    await expect(buildApp({ auth: { sharedSecret: { secret: '' } } })).rejects.toThrow(/non-empty/);
  });
});

describe('eventGridWebhook deduplication', () => {
  it('given the same event delivered twice, when both deliveries arrive, then both answer 200 and the handler runs once', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });
    const event = eventGridEvent();

    const first = await post(app, [event]);
    const second = await post(app, [event]);

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('given the same id from two different sources, when delivered, then both are handled', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });

    await post(app, [eventGridEvent({ id: 'same-id', topic: `${ACS_TOPIC}-a` })]);
    await post(app, [eventGridEvent({ id: 'same-id', topic: `${ACS_TOPIC}-b` })]);

    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('given a redelivery while the first attempt still runs, when it arrives, then it answers 503 with retry-after, and after the first completes a redelivery answers 200 without running again', async () => {
    const started = deferred();
    const gate = deferred();
    const handler = vi.fn<EventHandler>(async () => {
      started.resolve();
      await gate.promise;
    });
    app = await buildApp({ handler });
    const event = eventGridEvent();

    const first = post(app, [event]);
    await started.promise;
    const concurrent = await post(app, [event]);
    gate.resolve();
    const firstResponse = await first;
    const later = await post(app, [event]);

    expect(concurrent.statusCode).toBe(503);
    expect(concurrent.headers['retry-after']).toBe('30');
    expect(concurrent.headers['content-type']).toContain('application/problem+json');
    expect(firstResponse.statusCode).toBe(200);
    expect(later.statusCode).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('given a handler that fails on the second event of a batch, when redelivered, then the first answer is 500 and the retry re-runs only the failed event and the rest', async () => {
    const events = [cloudEvent({ id: 'e1' }), cloudEvent({ id: 'e2' }), cloudEvent({ id: 'e3' })];
    const calls: string[] = [];
    let failNext = true;
    app = await buildApp({
      handler: async (event) => {
        calls.push(event.id);
        if (event.id === 'e2' && failNext) {
          failNext = false;
          throw new Error('downstream unavailable');
        }
      },
    });

    const first = await post(app, events, { contentType: 'application/cloudevents-batch+json' });
    const retry = await post(app, events, { contentType: 'application/cloudevents-batch+json' });

    expect(first.statusCode).toBe(500);
    expect(first.headers['content-type']).toContain('application/problem+json');
    expect(first.json()).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(first.body).not.toContain('downstream unavailable');
    expect(retry.statusCode).toBe(200);
    expect(calls).toEqual(['e1', 'e2', 'e2', 'e3']);
  });

  it('given a handler that refuses the event data with a 400 problem, when posted, then the answer is that 400 problem+json (not a 500 Event Grid would retry) and a redelivery is handled again', async () => {
    const calls: string[] = [];
    app = await buildApp({
      handler: async (event) => {
        calls.push(event.id);
        throw new HttpProblem(400, 'Bad Request', { detail: 'IncomingCall data is invalid' });
      },
    });

    const first = await post(app, [cloudEvent({ id: 'bad' })], {
      contentType: 'application/cloudevents-batch+json',
    });
    const again = await post(app, [cloudEvent({ id: 'bad' })], {
      contentType: 'application/cloudevents-batch+json',
    });

    expect(first.statusCode).toBe(400);
    expect(first.headers['content-type']).toContain('application/problem+json');
    expect(first.json()).toMatchObject({ status: 400, detail: 'IncomingCall data is invalid' });
    expect(again.statusCode).toBe(400);
    expect(calls).toEqual(['bad', 'bad']);
  });
});

describe('eventGridWebhook parsing', () => {
  it.each([
    ['application/json', '[{"id": "1",'],
    ['application/cloudevents+json', '{"specversion": "1.0", "id": +12065551212'],
  ])(
    'given malformed JSON as %s, when posted, then it answers 400 problem+json without echoing the body',
    async (contentType, body) => {
      const { handler } = recordingHandler();
      app = await buildApp({ handler });

      const response = await post(app, body, { contentType });

      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().detail).toBe('The request body is not valid JSON.');
      expect(response.body).not.toContain('12065551212');
      expect(handler).not.toHaveBeenCalled();
    },
  );

  it('given a CloudEvent with a __proto__ key, when posted, then it answers 400 like the application/json parser would', async () => {
    const { handler } = recordingHandler();
    app = await buildApp({ handler });
    const body = JSON.stringify(cloudEvent()).replace(/}$/, ',"__proto__":{"polluted":true}}');

    const response = await post(app, body, { contentType: 'application/cloudevents+json' });

    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toContain('__proto__');
    expect(handler).not.toHaveBeenCalled();
  });

  it('given an Event Grid event without eventType, when posted, then it answers 400 naming eventType', async () => {
    app = await buildApp();

    const response = await post(app, [eventGridEvent(), eventGridEvent({ eventType: undefined })]);

    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toContain("'eventType'");
    expect(response.json().errors).toEqual([
      { path: '[1].eventType', message: expect.stringContaining('eventType') },
    ]);
  });

  it('given a CloudEvent without specversion, when posted, then it answers 400 naming specversion', async () => {
    app = await buildApp();

    const response = await post(app, cloudEvent({ specversion: undefined }), {
      contentType: 'application/cloudevents+json',
    });

    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toContain("'specversion'");
    expect(response.json().errors[0].path).toBe('[0].specversion');
  });

  it('given an Event Grid event with an unparseable eventTime, when posted, then it answers 400 naming eventTime', async () => {
    app = await buildApp();

    const response = await post(app, [eventGridEvent({ eventTime: 'yesterday' })]);

    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].path).toBe('[0].eventTime');
  });

  it.each([
    ['an empty array', 'application/json', [], 'no events'],
    ['a single object as application/json', 'application/json', eventGridEvent(), 'JSON array'],
    [
      'an array as application/cloudevents+json',
      'application/cloudevents+json',
      [cloudEvent()],
      'one event object',
    ],
    [
      'an object as application/cloudevents-batch+json',
      'application/cloudevents-batch+json',
      cloudEvent(),
      'JSON array',
    ],
    ['a non-object element', 'application/json', [eventGridEvent(), 42], 'Event [1] is not a JSON object'],
  ])(
    'given %s, when posted, then it answers 400 saying what is wrong',
    async (_case, contentType, body, message) => {
      const { handler } = recordingHandler();
      app = await buildApp({ handler });

      const response = await post(app, body, { contentType });

      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toContain(message);
      expect(handler).not.toHaveBeenCalled();
    },
  );

  it('given an unsupported content type, when posted, then it answers 415', async () => {
    app = await buildApp();

    const response = await post(app, 'hello', { contentType: 'text/plain' });

    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('given a CloudEvents batch of 3, when posted, then the handler receives them in order, normalised', async () => {
    const { seen, handler } = recordingHandler();
    app = await buildApp({ handler });
    const events = [
      cloudEvent({ id: 'a', dataversion: '2.0' }),
      cloudEvent({ id: 'b', subject: undefined, time: undefined }),
      cloudEvent({ id: 'c', data: 'plain text payload' }),
    ];

    const response = await post(app, events, {
      contentType: 'application/cloudevents-batch+json; charset=utf-8',
    });

    expect(response.statusCode).toBe(200);
    expect(seen.map((event) => event.id)).toEqual(['a', 'b', 'c']);
    expect(seen[0]).toMatchObject({
      schema: 'cloudevents',
      type: 'Microsoft.Communication.CallConnected',
      source: 'calling/callConnections/401f3500-62bd-46a9-8c09-9e1b06caca01',
      time: new Date('2025-01-15T10:00:01Z'),
      dataVersion: '2.0',
      data: { callConnectionId: '401f3500-62bd-46a9-8c09-9e1b06caca01' },
    });
    expect(seen[1]?.time).toBeUndefined();
    expect(seen[2]?.data).toBe('plain text payload');
  });

  it('given one CloudEvent as application/cloudevents+json with a charset, when posted, then it is handled', async () => {
    const { seen, handler } = recordingHandler();
    app = await buildApp({ handler });

    const response = await post(app, cloudEvent({ id: 'single' }), {
      contentType: 'application/cloudevents+json; charset=utf-8',
    });

    expect(response.statusCode).toBe(200);
    expect(seen.map((event) => [event.schema, event.id])).toEqual([['cloudevents', 'single']]);
  });

  it('given an application/json array of CloudEvents (ACS Call Automation callbacks), when posted, then they are parsed as CloudEvents', async () => {
    const { seen, handler } = recordingHandler();
    app = await buildApp({ handler });

    const response = await post(app, [cloudEvent({ id: 'cb-1' })]);

    expect(response.statusCode).toBe(200);
    expect(seen[0]).toMatchObject({ schema: 'cloudevents', id: 'cb-1' });
  });

  it('given an Event Grid schema event, when handled, then topic becomes source and data is passed exactly as sent', async () => {
    const { seen, handler } = recordingHandler();
    app = await buildApp({ handler });

    await post(app, [
      eventGridEvent({ id: 'eg-1', data: ['a', 'b'] }),
      eventGridEvent({ id: 'eg-2', data: 'text' }),
    ]);

    expect(seen[0]).toMatchObject({
      schema: 'eventgrid',
      id: 'eg-1',
      type: 'Omni.Test.Happened',
      source: ACS_TOPIC,
      subject: 'call/test',
      dataVersion: '1.0',
      data: ['a', 'b'],
    });
    expect(seen[0]?.time?.toISOString()).toBe('2025-01-15T10:00:00.123Z');
    expect(seen[1]?.data).toBe('text');
  });

  it.each([
    ['application/json', JSON.stringify([eventGridEvent({ data: { blob: 'x'.repeat(2048) } })])],
    ['application/cloudevents+json', JSON.stringify(cloudEvent({ data: { blob: 'x'.repeat(2048) } }))],
  ])(
    'given a %s body over bodyLimit, when posted, then it answers 413 problem+json',
    async (contentType, body) => {
      const { handler } = recordingHandler();
      app = await buildApp({ handler, bodyLimit: 1024 });

      const response = await post(app, body, { contentType });

      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(handler).not.toHaveBeenCalled();
    },
  );
});

describe('eventGridWebhook ACS IncomingCall', () => {
  it('given a documented IncomingCall event, when handled, then isSystemEventOfType narrows it and exposes data.from, and the logs carry its id but not the phone number', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const callers: Array<{ rawId: string; phone: string | undefined; context: string }> = [];
    app = await buildApp(
      {
        handler: async (event, { log }) => {
          if (isSystemEventOfType(event, 'Microsoft.Communication.IncomingCall')) {
            callers.push({
              rawId: event.data.from.rawId,
              phone: event.data.from.phoneNumber?.value,
              context: event.data.incomingCallContext,
            });
            log.info('incoming call received');
          }
        },
      },
      logStream,
    );

    const response = await post(app, [incomingCallEvent()]);

    expect(response.statusCode).toBe(200);
    expect(callers).toEqual([
      { rawId: `4:${CALLER_PHONE}`, phone: CALLER_PHONE, context: expect.stringMatching(/^eyJ/) },
    ]);
    const logs = lines.join('');
    expect(logs).toContain('d5546be8-227a-4db8-b2c3-4f06fd675fd6');
    expect(logs).toContain('Microsoft.Communication.IncomingCall');
    expect(logs).not.toContain(CALLER_PHONE.slice(1));
  });
});

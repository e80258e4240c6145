import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { CallAutomationClient } from '@azure/communication-call-automation';
import { createCredentialCheck, discoverOidcAuth } from '@omni/service-kit';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallCloudEvent } from './calls.js';
import { type AcsCallingEmulator, startAcsCallingEmulator } from './emulator.js';

// Where ACS Call Automation answers differently from a lenient stand-in, the emulator must too (issue #22):
// result subcodes from Microsoft's troubleshooting table, recognize checks, a ringing call that times out, and
// callbacks signed with a JWT the adapter's OpenID check verifies.

let acs: AcsCallingEmulator;
let server: Server;
let base: string;
const incoming: { data: { incomingCallContext: string } }[] = [];
const callbacks: { event: CallCloudEvent; headers: IncomingHttpHeaders }[] = [];
let client: CallAutomationClient;

beforeAll(async () => {
  acs = await startAcsCallingEmulator({ port: 0, ringTimeoutMs: 60_000 });
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const events = JSON.parse(body) as { eventType?: string; data: { validationCode?: string } }[];
      if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ validationResponse: events[0]?.data.validationCode }));
        return;
      }
      if (events[0]?.eventType === 'Microsoft.Communication.IncomingCall') incoming.push(events[0] as never);
      else for (const event of events) callbacks.push({ event: event as never, headers: request.headers });
      response.writeHead(200);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  await acs.calls.connect(`${base}/incoming`);
  client = new CallAutomationClient(acs.connectionString, { allowInsecureConnection: true });
});

afterAll(async () => {
  await acs?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

const of = (id: string) => callbacks.filter((c) => c.event.data.callConnectionId === id);

async function answered(from: string) {
  const call = await acs.calls.dial(from);
  const context = incoming.at(-1)?.data.incomingCallContext ?? '';
  const result = await client.answerCall(context, `${base}/callbacks/x`);
  await vi.waitFor(() =>
    expect(of(call.callConnectionId).map((c) => c.event.type)).toContain(
      'Microsoft.Communication.CallConnected',
    ),
  );
  return {
    id: call.callConnectionId,
    media: result.callConnection.getCallMedia(),
    connection: result.callConnection,
  };
}

/** The resultInformation of the call's first callback of a type, once it has arrived. */
async function resultOf(id: string, type: string) {
  const find = () => of(id).find((c) => c.event.type === `Microsoft.Communication.${type}`);
  await vi.waitFor(() => expect(find()).toBeDefined());
  return find()?.event.data.resultInformation;
}

describe('result subcodes (Microsoft troubleshooting table)', () => {
  it('speech recognized: 200/8569; speech not recognized: 400/8563', async () => {
    const { id, media } = await answered('+14255550201');
    await media.startRecognizing(
      { phoneNumber: '+14255550201' },
      { kind: 'callMediaRecognizeSpeechOptions' },
    );
    acs.calls.say(id, 'my power is out');
    expect(await resultOf(id, 'RecognizeCompleted')).toMatchObject({ code: 200, subCode: 8569 });

    await media.startRecognizing(
      { phoneNumber: '+14255550201' },
      { kind: 'callMediaRecognizeSpeechOptions' },
    );
    acs.calls.silence(id, 'noMatch');
    expect(await resultOf(id, 'RecognizeFailed')).toMatchObject({ code: 400, subCode: 8563 });
  });

  it('a failed transfer does not claim 8583 (Precondition Failed)', async () => {
    const { id, connection } = await answered('+14255550202');
    acs.calls.failNextTransfer();
    await connection.transferCallToParticipant({ phoneNumber: '+14255550999' });

    const result = await resultOf(id, 'CallTransferFailed');
    expect(result?.subCode).not.toBe(8583);
    expect(result).toMatchObject({ code: 480, subCode: 8541 });
  });
});

describe('recognize checks', () => {
  it('refuses a targetParticipant who is not on the call (400)', async () => {
    const { media } = await answered('+14255550203');

    await expect(
      media.startRecognizing({ phoneNumber: '+19995550000' }, { kind: 'callMediaRecognizeSpeechOptions' }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('refuses timeouts and tone counts outside the documented ranges (400)', async () => {
    const { media } = await answered('+14255550204');
    const target = { phoneNumber: '+14255550204' };

    await expect(
      media.startRecognizing(target, {
        kind: 'callMediaRecognizeSpeechOptions',
        initialSilenceTimeoutInSeconds: 999,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      media.startRecognizing(target, {
        kind: 'callMediaRecognizeDtmfOptions',
        interToneTimeoutInSeconds: 61,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      media.startRecognizing(target, { kind: 'callMediaRecognizeDtmfOptions', maxTonesToCollect: 0 }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('ringing', () => {
  it('ends a call nobody answers within the ring timeout; answering it afterwards is a 404', async () => {
    const short = await startAcsCallingEmulator({ port: 0, ringTimeoutMs: 50 });
    try {
      await short.calls.connect(`${base}/incoming`);
      const call = await short.calls.dial('+14255550205');
      const context = incoming.at(-1)?.data.incomingCallContext ?? '';

      const ended = await short.calls.ended(call.callConnectionId);
      const late = new CallAutomationClient(short.connectionString, { allowInsecureConnection: true });

      expect(ended).toMatchObject({ state: 'disconnected', hangUpBy: 'timeout' });
      await expect(late.answerCall(context, `${base}/callbacks/x`)).rejects.toMatchObject({
        statusCode: 404,
      });
    } finally {
      await short.stop();
    }
  });
});

describe('signed callbacks', () => {
  it('signs every callback with a JWT the OpenID-discovery check (as the voice adapter runs it) accepts', async () => {
    const { id } = await answered('+14255550206');
    const check = createCredentialCheck({
      entra: await discoverOidcAuth({
        openIdConfigurationUrl: acs.openIdConfigurationUrl,
        audience: acs.resourceId,
      }),
    });
    const other = createCredentialCheck({
      entra: await discoverOidcAuth({
        openIdConfigurationUrl: acs.openIdConfigurationUrl,
        audience: 'other',
      }),
    });
    const request = (headers: IncomingHttpHeaders) =>
      ({
        headers,
        query: {},
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }) as unknown as FastifyRequest;

    const [connected] = of(id);

    expect(connected?.headers.authorization).toMatch(/^Bearer ey/);
    await expect(check(request(connected?.headers ?? {}))).resolves.toBeUndefined();
    await expect(other(request(connected?.headers ?? {}))).rejects.toThrow();
  });
});

describe('fault switches', () => {
  it('answers 429 / 500 instead of serving the request', async () => {
    const { id } = await answered('+14255550207');
    const noRetries = new CallAutomationClient(acs.connectionString, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const connection = noRetries.getCallConnection(id);
    acs.faults.next({ status: 429, retryAfterSeconds: 0 });
    acs.faults.next({ status: 500 });

    await expect(connection.getCallConnectionProperties()).rejects.toMatchObject({ statusCode: 429 });
    await expect(connection.getCallConnectionProperties()).rejects.toMatchObject({ statusCode: 500 });
    acs.faults.clear();
    await expect(connection.getCallConnectionProperties()).resolves.toMatchObject({
      callConnectionState: 'connected',
    });
  });
});

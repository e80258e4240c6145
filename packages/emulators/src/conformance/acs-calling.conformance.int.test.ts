import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AcsCallingEmulator, startAcsCallingEmulator } from '../acs-calling/index.js';
import { contentHash, hmacSignature } from '../acs-common/hmac.js';
import { expectedResponse, fixture, keysOf, type RestExample } from './fixtures.js';

// Microsoft's published Call Automation examples (azure-rest-api-specs, stable/2025-05-15) replayed as signed REST
// requests. Substituted: the call's ids (the emulator's own) and the recognize target (the emulated caller).

let acs: AcsCallingEmulator;
let hook: Server;
let base: string;
const incoming: string[] = [];

beforeAll(async () => {
  acs = await startAcsCallingEmulator();
  hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const [event] = JSON.parse(body) as {
        eventType?: string;
        data: { validationCode?: string; incomingCallContext?: string };
      }[];
      if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ validationResponse: event?.data.validationCode }));
        return;
      }
      if (event?.eventType === 'Microsoft.Communication.IncomingCall')
        incoming.push(event.data.incomingCallContext ?? '');
      response.writeHead(200);
      response.end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const address = hook.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  await acs.calls.connect(`${base}/incoming`);
});

afterAll(async () => {
  await acs?.stop();
  await new Promise((resolve) => hook?.close(resolve));
});

/** A request signed as the ACS SDKs sign it (HMAC-SHA256 over verb, path and query, date, host, content hash). */
async function signed(method: string, path: string, apiVersion: string, body?: unknown) {
  const url = new URL(`${path}?api-version=${apiVersion}`, acs.endpoint);
  const json = body === undefined ? '' : JSON.stringify(body);
  const hash = contentHash(json);
  const date = new Date().toUTCString();
  const signature = hmacSignature(
    acs.accessKey,
    `${method}\n${url.pathname}${url.search}\n${date};${url.host};${hash}`,
  );
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-ms-date': date,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    },
    ...(body === undefined ? {} : { body: json }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A ringing call answered with the AnswerCall example, its context and callback swapped for the emulator's. */
async function answeredCall(): Promise<{ id: string; from: string }> {
  const from = `+1425555${String(2000 + incoming.length)}`;
  const call = await acs.calls.dial(from);
  const example = fixture('call-automation/AnswerCall.json');
  const request = {
    ...(example.parameters.answerCallRequest as Record<string, unknown>),
    incomingCallContext: incoming.at(-1),
    callbackUri: `${base}/callbacks`,
  };
  const answer = await signed(
    'POST',
    '/calling/callConnections:answer',
    String(example.parameters['api-version']),
    request,
  );
  expect(answer.status).toBe(expectedResponse(example).status);
  await vi.waitFor(() => expect(acs.calls.get(call.callConnectionId)?.state).toBe('connected'));
  return { id: call.callConnectionId, from };
}

/**
 * `CallConnectionProperties` members of the spec the examples leave out (the SDK's generated
 * `CallConnectionPropertiesInternal` lists them): an answer may carry them and still be documented.
 */
const SPEC_ONLY_PROPERTIES = ['correlationId', 'sourceDisplayName', 'answeredBy'];

/** Every property the emulator answers with is one the example (or the spec) documents. */
function expectDocumentedShape(actual: unknown, example: RestExample): void {
  const documented = [...keysOf(expectedResponse(example).body), ...SPEC_ONLY_PROPERTIES];
  expect(keysOf(actual).filter((key) => !documented.includes(key))).toEqual([]);
}

describe('Call Automation REST examples', () => {
  it('AnswerCall.json: 200 with the documented properties', async () => {
    const example = fixture('call-automation/AnswerCall.json');
    await acs.calls.dial('+14255551999');
    const answer = await signed('POST', '/calling/callConnections:answer', '2025-05-15', {
      ...(example.parameters.answerCallRequest as Record<string, unknown>),
      incomingCallContext: incoming.at(-1),
      callbackUri: `${base}/callbacks`,
    });

    expect(answer.status).toBe(200);
    expectDocumentedShape(answer.body, example);
    expect(answer.body).toMatchObject({ callbackUri: `${base}/callbacks` });
  });

  it('CallConnection_GetCall.json: 200, connected, with the documented properties', async () => {
    const example = fixture('call-automation/CallConnection_GetCall.json');
    const { id } = await answeredCall();

    const got = await signed(
      'GET',
      `/calling/callConnections/${id}`,
      String(example.parameters['api-version']),
    );

    expect(got.status).toBe(expectedResponse(example).status);
    expectDocumentedShape(got.body, example);
    expect(got.body).toMatchObject({ callConnectionId: id, callConnectionState: 'connected' });
  });

  it('CallMedia_Play.json: 202', async () => {
    const example = fixture('call-automation/CallMedia_Play.json');
    const { id } = await answeredCall();

    const played = await signed(
      'POST',
      `/calling/callConnections/${id}:play`,
      '2025-05-15',
      example.parameters.playRequest,
    );

    expect(played.status).toBe(expectedResponse(example).status);
    expect(acs.calls.get(id)?.played.map((prompt) => prompt.content)).toEqual([
      'https://some.file.azure.com/sample.wav',
    ]);
  });

  it('CallMedia_Recognize.json: 202, the DTMF recognize running', async () => {
    const example = fixture('call-automation/CallMedia_Recognize.json');
    const { id, from } = await answeredCall();
    const request = structuredClone(example.parameters.recognizeRequest) as {
      recognizeOptions: { targetParticipant: unknown };
    };
    request.recognizeOptions.targetParticipant = { kind: 'phoneNumber', phoneNumber: { value: from } };

    const recognized = await signed(
      'POST',
      `/calling/callConnections/${id}:recognize`,
      '2025-05-15',
      request,
    );

    expect(recognized.status).toBe(expectedResponse(example).status);
    expect(acs.calls.get(id)?.pendingRecognize).toMatchObject({ inputType: 'dtmf', maxTonesToCollect: 5 });
  });

  it('CallConnection_TransferToParticipant.json: 202 with the operationContext', async () => {
    const example = fixture('call-automation/CallConnection_TransferToParticipant.json');
    const { id } = await answeredCall();

    const transferred = await signed(
      'POST',
      `/calling/callConnections/${id}:transferToParticipant`,
      '2025-05-15',
      example.parameters.transferToParticipantRequest,
    );

    expect(transferred.status).toBe(expectedResponse(example).status);
    expect(transferred.body).toEqual(expectedResponse(example).body);
  });

  it('CallConnection_TerminateCall.json: 204, then the call is gone (404)', async () => {
    const example = fixture('call-automation/CallConnection_TerminateCall.json');
    const { id } = await answeredCall();

    const ended = await signed('POST', `/calling/callConnections/${id}:terminate`, '2025-05-15', {});

    expect(ended.status).toBe(expectedResponse(example).status);
    expect((await signed('GET', `/calling/callConnections/${id}`, '2025-05-15')).status).toBe(404);
  });
});

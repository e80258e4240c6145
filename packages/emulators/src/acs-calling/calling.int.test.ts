import { createServer, type Server } from 'node:http';
import { CallAutomationClient, parseCallAutomationEvent } from '@azure/communication-call-automation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallCloudEvent } from './calls.js';
import { type AcsCallingEmulator, startAcsCallingEmulator } from './emulator.js';

/** A webhook that answers the Event Grid handshake and records IncomingCall events and callbacks. */
let acs: AcsCallingEmulator;
let server: Server;
let base: string;
const incoming: { data: { incomingCallContext: string; from: { rawId: string } } }[] = [];
const callbacks: CallCloudEvent[] = [];
const handshakes: string[] = [];
let client: CallAutomationClient;

beforeAll(async () => {
  acs = await startAcsCallingEmulator({ port: 0 });
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const events = JSON.parse(body) as { eventType?: string; type?: string; data: unknown }[];
      const first = events[0] as { eventType?: string; type?: string; data: { validationCode?: string } };
      if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
        handshakes.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ validationResponse: first.data.validationCode }));
        return;
      }
      if (first.eventType === 'Microsoft.Communication.IncomingCall') incoming.push(first as never);
      else callbacks.push(...(events as unknown as CallCloudEvent[]));
      response.writeHead(200);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  await acs.calls.connect(`${base}/incoming`, { secret: 'hook-secret' });
  client = new CallAutomationClient(acs.connectionString, { allowInsecureConnection: true });
});

afterAll(async () => {
  await acs?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

function typesOf(callConnectionId: string): string[] {
  return callbacks.filter((e) => e.data.callConnectionId === callConnectionId).map((e) => e.type);
}

async function answered(from: string) {
  const call = await acs.calls.dial(from);
  const event = incoming.at(-1);
  if (event === undefined) throw new Error('no IncomingCall');
  const result = await client.answerCall(event.data.incomingCallContext, `${base}/callbacks/x`, {
    callIntelligenceOptions: { cognitiveServicesEndpoint: 'https://cognitive.example' },
  });
  await vi.waitFor(() =>
    expect(typesOf(call.callConnectionId)).toContain('Microsoft.Communication.CallConnected'),
  );
  return { call, connection: result.callConnection, id: result.callConnectionProperties.callConnectionId };
}

describe('ACS Call Automation emulator through the unmodified SDK', () => {
  it('given a subscribed webhook, when a caller dials, then IncomingCall arrives after the handshake', async () => {
    expect(handshakes[0]).toContain('code=hook-secret');
    const { call, id } = await answered('+14255550101');
    expect(id).toBe(call.callConnectionId);
    expect(incoming.at(-1)?.data.from.rawId).toBe('4:+14255550101');
    expect(acs.calls.get(call.callConnectionId)?.cognitiveServicesEndpoint).toBe('https://cognitive.example');
  });

  it('given a recognize, when the caller speaks or presses, then RecognizeCompleted parses with the SDK', async () => {
    const { call, connection } = await answered('+14255550102');
    const media = connection.getCallMedia();
    await media.startRecognizing(
      { phoneNumber: '+14255550102' },
      {
        kind: 'callMediaRecognizeSpeechOptions',
        playPrompt: { kind: 'textSource', text: 'How can I help?' },
        operationContext: 'turn-1',
      },
    );
    acs.calls.say(call.callConnectionId, 'my power is out');
    await media.startRecognizing(
      { phoneNumber: '+14255550102' },
      { kind: 'callMediaRecognizeSpeechOrDtmfOptions', maxTonesToCollect: 1, operationContext: 'offer-1' },
    );
    acs.calls.press(call.callConnectionId, '1');
    await acs.calls.idle();
    const recognized = callbacks
      .filter(
        (e) => e.data.callConnectionId === call.callConnectionId && e.type.endsWith('RecognizeCompleted'),
      )
      .map((e) => parseCallAutomationEvent(JSON.stringify([e])));
    expect(recognized[0]).toMatchObject({
      kind: 'RecognizeCompleted',
      operationContext: 'turn-1',
      recognitionType: 'speech',
      speechResult: { speech: 'my power is out' },
    });
    expect(recognized[1]).toMatchObject({ operationContext: 'offer-1', recognitionType: 'dtmf' });
    expect(acs.calls.get(call.callConnectionId)?.played.map((p) => p.content)).toEqual(['How can I help?']);
  });

  it('given silence, then RecognizeFailed carries the initial-silence result', async () => {
    const { call, connection } = await answered('+14255550103');
    await connection
      .getCallMedia()
      .startRecognizing(
        { phoneNumber: '+14255550103' },
        { kind: 'callMediaRecognizeSpeechOptions', operationContext: 'turn-1' },
      );
    acs.calls.silence(call.callConnectionId);
    await acs.calls.idle();
    const failed = callbacks.find(
      (e) => e.data.callConnectionId === call.callConnectionId && e.type.endsWith('RecognizeFailed'),
    );
    expect(failed?.data.resultInformation).toMatchObject({ code: 400, subCode: 8510 });
  });

  it('given a play then a transfer, then PlayCompleted, CallTransferAccepted and CallDisconnected follow in order', async () => {
    const { call, connection } = await answered('+14255550104');
    await connection.getCallMedia().playToAll([{ kind: 'textSource', text: 'Please hold.' }], {
      operationContext: 'hold-1',
    });
    await vi.waitFor(() =>
      expect(typesOf(call.callConnectionId)).toContain('Microsoft.Communication.PlayCompleted'),
    );
    await connection.transferCallToParticipant(
      { communicationUserId: '8:acs:agent-7' },
      { operationContext: 'xfer' },
    );
    await vi.waitFor(() =>
      expect(typesOf(call.callConnectionId)).toContain('Microsoft.Communication.CallDisconnected'),
    );
    expect(typesOf(call.callConnectionId)).toEqual([
      'Microsoft.Communication.CallConnected',
      'Microsoft.Communication.PlayCompleted',
      'Microsoft.Communication.CallTransferAccepted',
      'Microsoft.Communication.CallDisconnected',
    ]);
    expect(acs.calls.get(call.callConnectionId)?.transfers[0]?.target.rawId).toBe('8:acs:agent-7');
  });

  it('given a hang-up by the application, then the call is gone for the SDK (404)', async () => {
    const { call, connection } = await answered('+14255550105');
    await connection.hangUp(true);
    await expect(connection.getCallConnectionProperties()).rejects.toMatchObject({ statusCode: 404 });
    expect(acs.calls.get(call.callConnectionId)?.state).toBe('disconnected');
  });

  it('given a wrong access key, then every REST call is refused with 401', async () => {
    const forged = new CallAutomationClient(
      `endpoint=${acs.endpoint}/;accesskey=${Buffer.from('x'.repeat(32)).toString('base64')}`,
      { allowInsecureConnection: true },
    );
    await expect(forged.getCallConnection('nope').getCallConnectionProperties()).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('given the caller API over HTTP, when a call is dialed and hung up, then inspection shows it', async () => {
    const dialed = await fetch(`${acs.endpoint}/_emulator/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'anonymous' }),
    });
    expect(dialed.status).toBe(201);
    const call = (await dialed.json()) as { callConnectionId: string; state: string };
    expect(call.state).toBe('ringing');
    const hangUp = await fetch(`${acs.endpoint}/_emulator/calls/${call.callConnectionId}/hang-up`, {
      method: 'POST',
    });
    expect(hangUp.status).toBe(202);
    const seen = (await (await fetch(`${acs.endpoint}/_emulator/calls/${call.callConnectionId}`)).json()) as {
      state: string;
      hangUpBy: string;
    };
    expect(seen).toMatchObject({ state: 'disconnected', hangUpBy: 'caller' });
  });
});

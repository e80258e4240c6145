import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type AcsCallingEmulator, RESULTS, startAcsCallingEmulator } from '@omni/emulators/acs-calling';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { readConfig } from '@omni/voice-adapter/dist/config.js';
import { createAdapter } from '@omni/voice-adapter/dist/wiring.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { busTotal } from '../support/bus-inspection.js';
import { type FuzzTarget, listenLocal, type RunningTarget } from './targets.js';

const SECRET = 'fuzz-voice-webhook-secret-0123456789';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the call to settle');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface VoiceStack {
  readonly base: string;
  readonly acs: AcsCallingEmulator;
  readonly busHttpUrl: string;
  readonly app: FastifyInstance;
  readonly bodyLimitBytes: number;
  stop(): Promise<void>;
}

/** The real voice-adapter (`createAdapter`) on the ACS Call Automation, Service Bus and Cosmos emulators. */
async function startVoiceStack(): Promise<VoiceStack> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsCallingEmulator({ port: 0 }),
  ]);
  const port = await freePort();
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'fuzz-handoff-token-key-0123456789-abcdefghijkl',
    ACS_CONNECTION_STRING: acs.connectionString,
    VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${port}`,
    COGNITIVE_SERVICES_ENDPOINT: 'https://cognitive.example.com',
    EVENTGRID_WEBHOOK_SECRET: SECRET,
    VOICE_HOLD_PAUSE_SECONDS: '0',
    LOG_LEVEL: 'silent',
  };
  const config = readConfig(env);
  const app = await createAdapter(config, pino({ level: 'silent' }), { env });
  await app.listen({ host: '127.0.0.1', port });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    acs,
    busHttpUrl: bus.httpUrl,
    app,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    async stop() {
      await app.close();
      await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
    },
  };
}

/** What the emulator saw the application do: calls answered, prompts played, recognizes, transfers, hang-ups. */
function emulatorActions(acs: AcsCallingEmulator): number {
  return acs.calls
    .list()
    .reduce(
      (sum, call) =>
        sum +
        (call.state === 'ringing' ? 0 : 1) +
        call.played.length +
        call.transfers.length +
        (call.pendingRecognize === undefined ? 0 : 1) +
        (call.hangUpBy === 'application' ? 1 : 0),
      0,
    );
}

/**
 * A real IncomingCall of a call ringing at the emulator: dialled with a stand-in webhook that captures the event
 * (and answers the Event Grid handshake) without answering the call.
 */
async function ringingCallEvent(acs: AcsCallingEmulator): Promise<unknown> {
  const events: unknown[] = [];
  const capture = Fastify({ logger: false });
  capture.post('/capture', async (request) => {
    const body = request.body as { eventType?: string; data?: { validationCode?: string } }[];
    const validation = body.find((e) => e.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent');
    if (validation !== undefined) return { validationResponse: validation.data?.validationCode };
    events.push(...body);
    return {};
  });
  const base = await listenLocal(capture);
  try {
    await acs.calls.connect(`${base}/capture`);
    await acs.calls.dial('+14255550123');
    acs.calls.disconnect();
  } finally {
    await capture.close();
  }
  if (events.length !== 1) throw new Error(`expected one IncomingCall, captured ${events.length}`);
  return events[0];
}

/**
 * voice-adapter `POST /api/incoming-call` (Event Grid, `?code=` secret). The valid body is the real IncomingCall of
 * a call ringing at the emulator (never delivered to the adapter); recorded = calls answered (or otherwise acted
 * on) at the emulator + messages on the bus.
 */
export const voiceIncomingCallTarget: FuzzTarget = {
  name: 'voice-adapter POST /api/incoming-call',
  async start(): Promise<RunningTarget> {
    const stack = await startVoiceStack();
    const validBody = [await ringingCallEvent(stack.acs)];
    return {
      url: `${stack.base}/api/incoming-call`,
      credentials: `code=${SECRET}`,
      validBody,
      bodyLimitBytes: stack.bodyLimitBytes,
      headers: { 'aeg-event-type': 'Notification' },
      problemJson: true,
      recorded: async () => emulatorActions(stack.acs) + (await busTotal(stack.busHttpUrl)),
      alive: async () => (await fetch(`${stack.base}/healthz`)).ok,
      stop: () => stack.stop(),
    };
  },
};

/**
 * voice-adapter `POST /api/callbacks/:ref` (ACS CloudEvents, per-call `?secret=`). One call is dialled through the
 * emulator first and left waiting for speech; its real callback URL (with the call's secret) is the target and the
 * caller's speech for the pending recognize (a RecognizeCompleted) the valid body. recorded = what the emulator saw the application do, and what
 * reached the bus, beyond that setup.
 */
export const voiceCallbackTarget: FuzzTarget = {
  name: 'voice-adapter POST /api/callbacks/:ref',
  async start(): Promise<RunningTarget> {
    const stack = await startVoiceStack();
    await stack.acs.calls.connect(`${stack.base}/api/incoming-call`, { secret: SECRET });
    const call = await stack.acs.calls.dial('+14255550199');
    await until(() => call.pendingRecognize !== undefined, 15_000);
    await stack.acs.calls.idle();
    const callbackUri = new URL(call.callbackUri ?? '');
    const connected = call.callbacks.find((event) => event.type.endsWith('.CallConnected'));
    const pending = call.pendingRecognize;
    if (connected === undefined || pending === undefined) throw new Error('the call never connected');
    // The caller has spoken (the emulator clears its pending recognize when it sends RecognizeCompleted): the
    // valid body below is that RecognizeCompleted, so an accepted one makes the adapter listen (or play) again.
    call.pendingRecognize = undefined;
    const baseline = emulatorActions(stack.acs) + (await busTotal(stack.busHttpUrl));
    return {
      url: `${callbackUri.origin}${callbackUri.pathname}`,
      credentials: callbackUri.search.slice(1),
      // The caller's answer to the pending recognize, as the emulator's `say` would send it (never sent here).
      validBody: [
        {
          ...connected,
          id: randomUUID(),
          type: 'Microsoft.Communication.RecognizeCompleted',
          time: new Date().toISOString(),
          data: {
            ...connected.data,
            publicEventType: 'Microsoft.Communication.RecognizeCompleted',
            ...(pending.operationContext === undefined ? {} : { operationContext: pending.operationContext }),
            resultInformation: RESULTS.speechRecognized,
            recognitionType: 'speech',
            speechResult: { speech: 'My power is out at 14 Cardigan Road', confidence: 0.92 },
          },
        },
      ],
      bodyLimitBytes: stack.bodyLimitBytes,
      headers: {},
      problemJson: true,
      recorded: async () => emulatorActions(stack.acs) + (await busTotal(stack.busHttpUrl)) - baseline,
      alive: async () => (await fetch(`${stack.base}/healthz`)).ok,
      stop: () => stack.stop(),
    };
  },
};

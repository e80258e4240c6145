import { createServer } from 'node:net';
import { OfflineDriver } from '@omni/conversation';
import { type AcsCallingEmulator, startAcsCallingEmulator } from '@omni/emulators/acs-calling';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { AcsCallControl, createCallAutomationClient } from '@omni/voice-adapter/dist/acs.js';
import { readConfig } from '@omni/voice-adapter/dist/config.js';
import { PROMPTS } from '@omni/voice-adapter/dist/domain/voice.js';
import { createAdapter } from '@omni/voice-adapter/dist/wiring.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { type LatencySummary, preciseNow, summarize } from '../load/stats.js';
import { TimedDriver } from '../support/timed-driver.js';
import { type Benchmark, type Check, type Figure, figure } from '../types.js';

const SECRET = 'bench-webhook-secret-0123456789';
const SAID = 'My power is out at 14 Cardigan Road, LS6 1LF';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return condition();
}

/** The recognize requests the emulator accepted, per call, with a precise timestamp (additive wrapper). */
function recordRecognizes(acs: AcsCallingEmulator): Map<string, number[]> {
  const recognizes = new Map<string, number[]>();
  const calls = acs.calls;
  const recognize = calls.recognize.bind(calls);
  calls.recognize = (callConnectionId, request) => {
    recognize(callConnectionId, request);
    const list = recognizes.get(callConnectionId) ?? [];
    list.push(preciseNow());
    recognizes.set(callConnectionId, list);
  };
  return recognizes;
}

/** A bare callback endpoint: answers IncomingCall, then listens again after CallConnected and every RecognizeCompleted. */
function bareEndpoint(control: AcsCallControl, baseUrl: () => string): FastifyInstance {
  const app = Fastify({ logger: false });
  // The caller of each call: recognize targets a participant on the call (the emulator refuses any other, as
  // ACS does), so the baseline listens to the caller as the voice-adapter does.
  const callers = new Map<string, string>();
  const listen = (id: string) =>
    control.listen(id, callers.get(id), { text: 'Go on.' }, { kind: 'speech' }, 'listen');
  app.post('/incoming', async (request) => {
    const events = request.body as {
      eventType: string;
      data: {
        validationCode?: string;
        incomingCallContext?: string;
        from?: { phoneNumber?: { value?: string } };
      };
    }[];
    for (const event of events) {
      if (event.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent') {
        return { validationResponse: event.data.validationCode };
      }
      if (event.eventType === 'Microsoft.Communication.IncomingCall') {
        const id = await control.answer(event.data.incomingCallContext ?? '', `${baseUrl()}/callbacks`);
        const phone = event.data.from?.phoneNumber?.value;
        if (phone !== undefined) callers.set(id, phone);
      }
    }
    return {};
  });
  app.post('/callbacks', async (request) => {
    const events = request.body as { type: string; data: { callConnectionId: string } }[];
    for (const event of events) {
      if (event.type.endsWith('.CallConnected') || event.type.endsWith('.RecognizeCompleted')) {
        await listen(event.data.callConnectionId);
      }
    }
    return {};
  });
  return app;
}

interface Round {
  summary: LatencySummary;
  missing: number;
  turns: number;
  /** Recognize prompts that were not an agent reply (the fallback after a failed turn, or "not heard"). */
  fallbacks: number;
}

/**
 * Voice turn: the real voice-adapter (`createAdapter`, OfflineDriver, call state in Cosmos) on the ACS Call
 * Automation, Service Bus and Cosmos emulators. N simulated callers dial in; each turn is measured from the
 * emulator sending RecognizeCompleted (the caller's speech) to the adapter's next recognize request arriving at
 * the emulator. The OfflineDriver's time is part of the subject (there is no think time; it is the in-process
 * scripted agent, not a model). Baseline: a bare fastify callback endpoint that answers the same
 * RecognizeCompleted by calling `startRecognizing` through the same SDK (`AcsCallControl`) on the same emulator.
 */
export const voiceTurn: Benchmark = {
  name: 'voice-recognize-turn',
  title: 'Voice: RecognizeCompleted -> next recognize request (p99)',
  target: 'p99 < 30 ms, agent time excluded',
  async run({ mode, progress }) {
    const callers = mode === 'short' ? 4 : 10;
    const turnsPerCall = mode === 'short' ? 5 : 20;
    const turnDeadlineMs = 15_000;
    const [bus, cosmos, acs] = await Promise.all([
      startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
      startCosmosEmulator({ port: 0 }),
      startAcsCallingEmulator({ port: 0 }),
    ]);
    const recognizes = recordRecognizes(acs);
    const port = await freePort();
    const env = {
      SERVICEBUS_CONNECTION_STRING: bus.connectionString,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      HANDOFF_TOKEN_KEY: 'bench-handoff-token-key-0123456789-abcdefghijkl',
      ACS_CONNECTION_STRING: acs.connectionString,
      VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${port}`,
      COGNITIVE_SERVICES_ENDPOINT: 'https://cognitive.example.com',
      EVENTGRID_WEBHOOK_SECRET: SECRET,
      VOICE_HOLD_PAUSE_SECONDS: '0',
      LOG_LEVEL: 'silent',
    };
    // The OfflineDriver the configuration names, timed: its own time is reported apart from the platform's.
    const agent = new TimedDriver(new OfflineDriver());
    const subject = await createAdapter(readConfig(env), pino({ level: 'silent' }), {
      env,
      driver: agent.driver,
    });
    const control = new AcsCallControl(
      createCallAutomationClient({ connectionString: acs.connectionString }),
      {
        voiceName: 'en-US-AvaMultilingualNeural',
      },
    );
    let bareUrl = '';
    const bare = bareEndpoint(control, () => bareUrl);
    let phoneCounter = 0;

    /** `callers` calls at once, each `turns` turns in a row; returns the per-turn latencies. */
    const round = async (turns: number): Promise<Round> => {
      const latencies: number[] = [];
      let missing = 0;
      let fallbacks = 0;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          phoneCounter += 1;
          const call = await acs.calls.dial(`+1425700${String(phoneCounter).padStart(4, '0')}`);
          const id = call.callConnectionId;
          const count = () => recognizes.get(id)?.length ?? 0;
          if (!(await until(() => call.pendingRecognize !== undefined, turnDeadlineMs))) {
            missing += turns;
            return;
          }
          for (let turn = 0; turn < turns; turn++) {
            const before = count();
            const saidAt = preciseNow();
            acs.calls.say(id, SAID);
            const answered = await until(() => count() > before, turnDeadlineMs);
            if (!answered) {
              missing += turns - turn;
              return;
            }
            latencies.push((recognizes.get(id)?.[before] as number) - saidAt);
            // The caller speaks once the recognize is pending (it is, as soon as it was recorded).
          }
          fallbacks += call.played.filter(
            (p) =>
              p.via === 'recognize' &&
              (p.content.includes(PROMPTS.fallbackTurn) || p.content.includes(PROMPTS.notHeard)),
          ).length;
          acs.calls.callerHangsUp(id);
        }),
      );
      await acs.calls.idle();
      return { summary: summarize(latencies), missing, turns: callers * turns, fallbacks };
    };

    try {
      await subject.listen({ host: '127.0.0.1', port });
      bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
      const figures: Figure[] = [];
      const checks: Check[] = [];
      progress('warm-up: both paths, one turn per caller');
      await acs.calls.connect(`${bareUrl}/incoming`);
      await round(1);
      acs.calls.disconnect();
      await acs.calls.connect(`http://127.0.0.1:${port}/api/incoming-call`, { secret: SECRET });
      await round(1);
      acs.calls.disconnect();

      progress(`bare callback endpoint: ${callers} calls x ${turnsPerCall} turns`);
      await acs.calls.connect(`${bareUrl}/incoming`);
      const baseline = await round(turnsPerCall);
      acs.calls.disconnect();
      progress(
        `  p50 ${baseline.summary.p50} ms, p99 ${baseline.summary.p99} ms, ${baseline.missing} missing`,
      );
      progress(`voice-adapter: ${callers} calls x ${turnsPerCall} turns`);
      await acs.calls.connect(`http://127.0.0.1:${port}/api/incoming-call`, { secret: SECRET });
      const agentFrom = agent.calls.length;
      const measured = await round(turnsPerCall);
      const agentTime = agent.since(agentFrom);
      const agentPerTurn = agentTime.total / Math.max(1, measured.turns - measured.missing);
      progress(
        `  p50 ${measured.summary.p50} ms, p99 ${measured.summary.p99} ms, ${measured.missing} missing; the OfflineDriver's own time: ${agentPerTurn.toFixed(2)} ms a turn on average (${agentTime.count} calls, slowest ${agentTime.slowest.toFixed(2)} ms)`,
      );
      figures.push(
        figure(`p50, ${callers} concurrent calls`, 'ms', measured.summary.p50, baseline.summary.p50, 'lower'),
        figure(`p99, ${callers} concurrent calls`, 'ms', measured.summary.p99, baseline.summary.p99, 'lower'),
      );
      checks.push({
        name: 'every turn answered with a new recognize',
        passed: measured.missing === 0 && baseline.missing === 0,
        detail: `${measured.turns - measured.missing}/${measured.turns} turns answered (baseline ${baseline.turns - baseline.missing}/${baseline.turns})`,
      });
      checks.push({
        name: 'every subject turn was an agent turn (no fallback or "not heard" prompt)',
        passed: measured.fallbacks === 0,
        detail: `${measured.fallbacks} fallback prompts over ${measured.turns} turns`,
      });
      return {
        subject:
          'voice-adapter createAdapter (callback, call state in Cosmos, engine with the OfflineDriver, recognize through the Call Automation SDK) on the emulators',
        baseline:
          'bare fastify callback endpoint calling startRecognizing through the same SDK (AcsCallControl) on the same emulator',
        figures,
        checks,
        target: {
          met: measured.summary.p99 < 30,
          detail: `p99 ${measured.summary.p99} ms with ${callers} concurrent calls (target < 30 ms), of which the OfflineDriver's own time is ${agentPerTurn.toFixed(2)} ms a turn on average (its slowest call ${agentTime.slowest.toFixed(2)} ms; wall time, so it includes waiting for the CPU while other calls' turns run)`,
        },
        setup: {
          callers,
          turnsPerCall,
          load: 'closed loop per call: the caller speaks as soon as the previous recognize was accepted',
          measuredAt:
            'the emulator emitting RecognizeCompleted -> the emulator accepting the next recognize request for that call (same process, performance.now)',
          agent:
            'OfflineDriver (scripted, in process, no think time): its time is part of the subject, and reported apart',
          agentPerTurnMs: Math.round(agentPerTurn * 100) / 100,
          agentSlowestCallMs: Math.round(agentTime.slowest * 100) / 100,
        },
      };
    } finally {
      await Promise.all([subject.close(), bare.close()]);
      await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
    }
  },
};

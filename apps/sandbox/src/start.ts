/**
 * `pnpm start`: the whole local sandbox in one command. Starts every service on this machine,
 * waits until all are ready, prints one URL, and stops everything cleanly on Ctrl-C.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { styleText } from 'node:util';
import { DEFAULT_EMULATOR_PORTS, startLocalEmulators } from './local-emulators.js';
import { defaultServices, type ServiceLogLine, startStack } from './stack.js';
import { showInTerminal } from './terminal-log.js';

// A terminal program: it writes to the terminal itself (the services' own logs are pino JSON, reformatted here).
const print = (line: string) => process.stdout.write(`${line}\n`);
const printError = (line: string) => process.stderr.write(`${line}\n`);

/** Where `pnpm ops` looks for the sandbox's ops API (channel-router's `SANDBOX_CONNECTION_FILE`). */
const OPS_CONNECTION_FILE = '.omni/sandbox-ops.json';
const basePort = Number(process.env.SANDBOX_BASE_PORT ?? 7070);
const services = defaultServices(basePort);
const width = Math.max(...services.map((s) => s.name.length));
const LEVELS: Record<number, [string, Parameters<typeof styleText>[0]]> = {
  10: ['TRACE', 'gray'],
  20: ['DEBUG', 'gray'],
  30: ['INFO ', 'green'],
  40: ['WARN ', 'yellow'],
  50: ['ERROR', 'red'],
  60: ['FATAL', 'red'],
};

const verbose = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');

function printLog(line: ServiceLogLine) {
  if (!showInTerminal(line, verbose)) return;
  const [label, colour] = LEVELS[line.level] ?? ['INFO ', 'green'];
  const { time, pid, hostname, service, name, ...rest } = line.fields;
  const extras = Object.entries(rest)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const when = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 19);
  print(
    `${styleText('gray', when)} ${styleText('cyan', line.service.padEnd(width))} ${styleText(colour, label)} ${line.msg}${extras ? styleText('gray', ` ${extras}`) : ''}`,
  );
}

print(styleText('bold', `Starting the local sandbox: ${services.map((s) => s.name).join(', ')}`));
const serviceList = services.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(',');

let emulators: Awaited<ReturnType<typeof startLocalEmulators>> | undefined;
try {
  emulators = await startLocalEmulators({
    serviceBusAmqp: Number(process.env.SERVICEBUS_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.serviceBusAmqp),
    serviceBusHttp: Number(
      process.env.SERVICEBUS_EMULATOR_HTTP_PORT ?? DEFAULT_EMULATOR_PORTS.serviceBusHttp,
    ),
    cosmos: Number(process.env.COSMOS_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.cosmos),
    foundry: Number(process.env.FOUNDRY_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.foundry),
    acsMessages: Number(process.env.ACS_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.acsMessages),
    acsCalling: Number(process.env.ACS_CALLING_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.acsCalling),
    directLine: Number(process.env.DIRECTLINE_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORTS.directLine),
  });
  for (const line of emulators.describe()) print(styleText('green', `✓ ${line}`));
  const stack = await startStack({
    services,
    env: {
      ...emulators.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      SANDBOX_SERVICES: serviceList,
      SANDBOX_LINKS: emulators.links,
      // The sandbox UI shows the web chat page in a frame.
      WEBCHAT_FRAME_ANCESTORS: `http://127.0.0.1:${basePort}`,
      // Call Automation calls the voice-adapter back here.
      VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${services.find((s) => s.name === 'voice-adapter')?.port ?? basePort + 1}`,
      // Handoff links point at the web chat page the webchat-adapter serves.
      WEBCHAT_PUBLIC_URL: `http://127.0.0.1:${services.find((s) => s.name === 'webchat-adapter')?.port ?? basePort + 3}`,
      EXPOSE_ERRORS: 'true',
    },
    onLog: printLog,
    onReady: (member, ms) =>
      print(styleText('green', `✓ ${member.name} ready (${(ms / 1000).toFixed(1)} s)`)),
  });
  const urlOf = (name: string) => stack.members.find((m) => m.name === name)?.url;
  const voiceUrl = urlOf('voice-adapter');
  const whatsappUrl = urlOf('whatsapp-adapter');
  const webchatUrl = urlOf('webchat-adapter');
  await emulators.connectWebhooks({
    ...(voiceUrl === undefined ? {} : { voice: `${voiceUrl}/api/incoming-call` }),
    ...(whatsappUrl === undefined ? {} : { whatsapp: `${whatsappUrl}/api/events` }),
    ...(webchatUrl === undefined ? {} : { webchat: `${webchatUrl}/api/messages` }),
  });
  print(
    styleText(
      'green',
      '✓ Event Grid subscriptions: IncomingCall -> voice-adapter, WhatsApp -> whatsapp-adapter; Direct Line -> the bot',
    ),
  );
  const sandbox = stack.members.find((m) => m.name === 'sandbox');
  // `pnpm ops` (another terminal) finds this run's ops API here; readable by this user only, gone on stop.
  const routerUrl = urlOf('channel-router');
  if (routerUrl !== undefined && emulators.env.OPS_API_KEY !== undefined) {
    await mkdir('.omni', { recursive: true });
    await writeFile(
      OPS_CONNECTION_FILE,
      JSON.stringify({ url: routerUrl, apiKey: emulators.env.OPS_API_KEY }),
      {
        mode: 0o600,
      },
    );
  }
  print(
    `\n${styleText(['bold', 'green'], 'Sandbox ready:')} ${styleText('bold', sandbox?.url ?? '')}\n${styleText('gray', 'Press Ctrl-C to stop.')}\n`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    print(styleText('bold', `\n${signal}: stopping every service (in-flight work drains first)…`));
    await rm(OPS_CONNECTION_FILE, { force: true });
    const codes = await stack.stop();
    await emulators?.stop();
    const failed = Object.entries(codes).filter(([, code]) => code !== 0);
    if (failed.length > 0) {
      printError(`Stopped, but ${failed.map(([n, c]) => `${n} exited ${c}`).join(', ')}`);
      process.exit(1);
    }
    print('Stopped cleanly.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  for (const member of stack.members) {
    member.process.once('exit', (code) => {
      if (!stopping) {
        printError(
          styleText('red', `${member.name} stopped unexpectedly (exit ${code}); stopping the sandbox.`),
        );
        void shutdown('service failure');
      }
    });
  }
} catch (error) {
  await emulators?.stop();
  printError(
    styleText('red', `The sandbox could not start: ${error instanceof Error ? error.message : error}`),
  );
  process.exit(1);
}

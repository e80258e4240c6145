import { existsSync } from 'node:fs';
import { type LocalEmulators, startLocalEmulators } from './local-emulators.js';
import { defaultServices, freePorts, type RunningStack, startStack } from './stack.js';

/** A whole local sandbox on free ports: every emulator in this process, every service as its own process. */
export interface RunningSandbox {
  readonly emulators: LocalEmulators;
  readonly stack: RunningStack;
  /** The sandbox UI, e.g. `http://127.0.0.1:50123`. */
  readonly url: string;
  /** The URL of one service by name. */
  urlOf(name: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the sandbox as `pnpm start` does, but on free ports and quiet. The services run from `dist/`
 * (`pnpm test` builds first).
 */
export async function startSandbox(
  options: { logLevel?: string; env?: Record<string, string> } = {},
): Promise<RunningSandbox> {
  const services = defaultServices().map((s) => ({ ...s, entry: s.entry.replace('/src/', '/dist/') }));
  const missing = services.filter((s) => !existsSync(s.entry)).map((s) => s.entry);
  if (missing.length > 0) {
    throw new Error(`not built (run \`pnpm test\` from the repo root): ${missing.join(', ')}`);
  }
  const emulators = await startLocalEmulators({
    serviceBusAmqp: 0,
    serviceBusHttp: 0,
    cosmos: 0,
    foundry: 0,
    acsMessages: 0,
    acsCalling: 0,
    directLine: 0,
  });
  try {
    const ports = await freePorts(services.length);
    const withPorts = services.map((s, i) => ({ ...s, port: ports[i] ?? 0 }));
    const stack = await startStack({
      services: withPorts,
      env: {
        ...emulators.env,
        LOG_LEVEL: options.logLevel ?? 'warn',
        ...options.env,
        SANDBOX_SERVICES: withPorts.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(','),
        // The sandbox UI shows the web chat page in a frame.
        WEBCHAT_FRAME_ANCESTORS: `http://127.0.0.1:${withPorts.find((s) => s.name === 'sandbox')?.port ?? 0}`,
        // Call Automation calls the voice-adapter back here.
        VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${withPorts.find((s) => s.name === 'voice-adapter')?.port ?? 0}`,
        // Handoff links point at the web chat page the webchat-adapter serves.
        WEBCHAT_PUBLIC_URL: `http://127.0.0.1:${withPorts.find((s) => s.name === 'webchat-adapter')?.port ?? 0}`,
        SANDBOX_LINKS: emulators.links,
      },
    });
    const urlOf = (name: string) => {
      const member = stack.members.find((m) => m.name === name);
      if (member === undefined) throw new Error(`no service ${name}`);
      return member.url;
    };
    await emulators.connectWebhooks({
      voice: `${urlOf('voice-adapter')}/api/incoming-call`,
      whatsapp: `${urlOf('whatsapp-adapter')}/api/events`,
      webchat: `${urlOf('webchat-adapter')}/api/messages`,
    });
    return {
      emulators,
      stack,
      url: urlOf('sandbox'),
      urlOf,
      stop: async () => {
        await stack.stop();
        await emulators.stop();
      },
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}

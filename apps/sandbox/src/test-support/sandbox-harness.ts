import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type LocalEmulators, startLocalEmulators } from '../local-emulators.js';
import { defaultServices, freePorts, type RunningStack, startStack } from '../stack.js';

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
export async function startSandbox(options: { logLevel?: string } = {}): Promise<RunningSandbox> {
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
  });
  try {
    const ports = await freePorts(services.length);
    const withPorts = services.map((s, i) => ({ ...s, port: ports[i] ?? 0 }));
    const stack = await startStack({
      services: withPorts,
      env: {
        ...emulators.env,
        LOG_LEVEL: options.logLevel ?? 'warn',
        SANDBOX_SERVICES: withPorts.map((s) => `${s.name}=http://127.0.0.1:${s.port}`).join(','),
        SANDBOX_LINKS: emulators.links,
      },
    });
    const urlOf = (name: string) => {
      const member = stack.members.find((m) => m.name === name);
      if (member === undefined) throw new Error(`no service ${name}`);
      return member.url;
    };
    await emulators.connectWebhooks({ whatsapp: `${urlOf('whatsapp-adapter')}/api/events` });
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

/** Debian's Chromium (CI installs the `chromium` package); `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium through playwright-core, with the flags this offline machine needs (no background
 * networking, no component updates, no sandbox as root). Fails with what to install when Chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: \`apt-get install -y chromium\` (Debian), or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where journey screenshots go: `apps/sandbox/test-results/journeys/` (kept as CI artifacts). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/journeys/', import.meta.url));

/** Saves a full-page screenshot of the journey's key moment and returns its path. */
export async function keyMoment(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

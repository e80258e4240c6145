import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { builtModule, killWithParent } from '../support/service-process.js';

/** How to reach the emulators of a {@link WhatsAppEmulatorsProcess}. */
export interface WhatsAppEmulatorSettings {
  readonly serviceBusConnectionString: string;
  readonly serviceBusHttpUrl: string;
  readonly serviceBusAmqpPort: number;
  readonly cosmosEndpoint: string;
  readonly cosmosKey: string;
  readonly acsConnectionString: string;
  readonly acsPort: number;
  readonly channelRegistrationId: string;
}

/** Parent -> emulator process. */
export type EmulatorHostRequest = { readonly kind: 'stop' };

/** Emulator process -> parent. */
export type EmulatorHostMessage =
  | { readonly kind: 'ready'; readonly settings: WhatsAppEmulatorSettings }
  | { readonly kind: 'accepted'; readonly to: string; readonly at: number; readonly text: string }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'stopped' };

/** The WhatsApp path's emulators (Service Bus, Cosmos, ACS Messages) in a child process. */
export class WhatsAppEmulatorsProcess {
  readonly settings: WhatsAppEmulatorSettings;
  readonly #child: ChildProcess;
  /** Recipient (digits, no `+`) -> when the ACS emulator accepted each message to it (`preciseNow()`). */
  readonly accepted = new Map<string, number[]>();
  /** Recipient (digits, no `+`) -> the text of each message to it (`[template]` for a template), in order. */
  readonly texts = new Map<string, string[]>();

  /** The emulator process's id (for its CPU time). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  private constructor(child: ChildProcess, settings: WhatsAppEmulatorSettings) {
    this.#child = child;
    this.settings = settings;
    child.on('message', (message: EmulatorHostMessage) => {
      if (message.kind !== 'accepted') return;
      const key = message.to.replace(/^\+/, '');
      const list = this.accepted.get(key) ?? [];
      list.push(message.at);
      this.accepted.set(key, list);
      const texts = this.texts.get(key) ?? [];
      texts.push(message.text);
      this.texts.set(key, texts);
    });
  }

  /**
   * Forks the emulator process (the build's `dist/emulators/whatsapp-emulators-process.js`) and waits until it
   * listens. `lockDuration` (ISO 8601) shortens every lock, for runs that kill consumers.
   */
  static async start(options: { lockDuration?: string } = {}): Promise<WhatsAppEmulatorsProcess> {
    const script = builtModule('./whatsapp-emulators-process.js', import.meta.url);
    const child = fork(script, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Not the parent's flags: under vitest they carry the `@omni/source` condition (TypeScript sources).
      execArgv: [],
      env: { ...process.env, EMULATOR_LOCK_DURATION: options.lockDuration ?? '' },
    });
    killWithParent(child);
    const settings = await new Promise<WhatsAppEmulatorSettings>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`emulator process exited (${code})`));
      child.once('exit', onExit);
      const onMessage = (message: EmulatorHostMessage) => {
        if (message.kind === 'ready') {
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(message.settings);
        } else if (message.kind === 'failed') {
          child.off('message', onMessage);
          reject(new Error(`emulators could not start: ${message.error}`));
        }
      };
      child.on('message', onMessage);
    });
    return new WhatsAppEmulatorsProcess(child, settings);
  }

  /** The texts the ACS emulator accepted for `phone` (`+` optional), oldest first. */
  textsTo(phone: string): string[] {
    return this.texts.get(phone.replace(/^\+/, '')) ?? [];
  }

  /** The first time the ACS emulator accepted a message to `phone` (`+` optional), if it has. */
  firstAccepted(phone: string): number | undefined {
    return this.accepted.get(phone.replace(/^\+/, ''))?.[0];
  }

  /** Stops the emulators and the process (killed if it does not exit within 10 s). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.send({ kind: 'stop' } satisfies EmulatorHostRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

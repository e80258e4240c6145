import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadReport } from './protocol.js';

/** The load generator in its own process; one job at a time. */
export class LoadGenerator {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Forks `generator.js` (next to this module, so the build's `dist/load/generator.js`). */
  static start(): LoadGenerator {
    const script = fileURLToPath(new URL('./generator.js', import.meta.url));
    return new LoadGenerator(fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  /** Runs a job to the end and returns its report. */
  run(job: LoadJob): Promise<LoadReport> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (message: { ok: boolean; report?: LoadReport; error?: string }) => {
        this.#child.off('exit', onExit);
        if (message.ok && message.report) resolve(message.report);
        else reject(new Error(message.error ?? 'load generator failed'));
      });
      this.#child.send(job);
    });
  }

  /** Ends the child process. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill();
    await exited;
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';

/** The services a run can start as their own OS process (their built `dist/server.js`). */
export type ServiceName = 'channel-router' | 'whatsapp-adapter' | 'voice-adapter' | 'webchat-adapter';

/** The whatsapp-adapter's real wiring with the echo model, as a process (`whatsapp-replica.ts`). */
export const WHATSAPP_ECHO_REPLICA = builtModule('./whatsapp-replica.js', import.meta.url);

/** One service replica in a child process. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly process: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the "listening" log line. */
  readonly url: string;
}

/**
 * Starts a service as the sandbox and Azure run it (its built server.js, configured by environment variables)
 * on a free port and waits until `/healthz` answers (the log level is the caller's: a quiet replica costs less).
 * Rejects, with the last lines it wrote, if it exits first. `script` replaces the server (e.g.
 * {@link WHATSAPP_ECHO_REPLICA}: the same wiring, a scripted model).
 */
export async function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  script?: string,
): Promise<ServiceProcess> {
  const server = script ?? fileURLToPath(new URL(`../../../apps/${name}/dist/server.js`, import.meta.url));
  const port = await freePort();
  const child = spawn(process.execPath, [server], {
    // Not the repo root: no .env file is read underneath these variables.
    cwd: tmpdir(),
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_PRETTY: 'false',
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killWithParent(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(chunk.toString('utf8'));
    if (lines.length > 20) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // REPLICA_LOG_DIR: every replica's log in a file of its own (debugging a fault run).
  const logDir = process.env.REPLICA_LOG_DIR;
  if (logDir) {
    const file = createWriteStream(`${logDir}/${name}-${child.pid}.log`);
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const exit = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      exited = true;
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${lines.join('')}`));
    }),
  );
  exit.catch(() => {});
  const healthy = (async () => {
    while (!exited) {
      const ok = await fetch(`${url}/healthz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.race([healthy, exit]);
  return { name, process: child, url };
}

/** SIGKILLs `child` when this process exits, however the run ends (a failed hook must not leave replicas behind). */
export function killWithParent(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

/** SIGKILLs a child process (no graceful shutdown: what a crashed or evicted replica does) and waits for it. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Stops a child process gracefully (SIGTERM; SIGKILL after `graceMs`). */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The built file (`dist/...js`) of a bench module next to `base`: child processes run the build, also when the
 * caller is a test running from `src/` through vitest.
 */
export function builtModule(relative: string, base: string): string {
  const path = fileURLToPath(new URL(relative, base));
  return base.endsWith('.ts') ? path.replace(/\/bench\/src\//, '/bench/dist/') : path;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One service of the local stack. */
export interface StackService {
  /** The service name, as in its logs. */
  name: string;
  /** The built entry point. */
  entry: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Extra environment for this service. */
  env?: Record<string, string>;
}

/** A line a service logged, already parsed. */
export interface ServiceLogLine {
  service: string;
  level: number;
  msg: string;
  fields: Record<string, unknown>;
}

/** A started service. */
export interface StackMember {
  name: string;
  url: string;
  process: ChildProcess;
}

/** Options for {@link startStack}. */
export interface StartStackOptions {
  services: StackService[];
  /** Environment shared by every service (connection strings of the emulators, log level...). */
  env?: Record<string, string>;
  /** Each log line of each service. */
  onLog?: (line: ServiceLogLine) => void;
  /** Called as each service becomes ready. */
  onReady?: (member: StackMember, elapsedMs: number) => void;
  /** How long every service together may take to become ready. */
  readyTimeoutMs?: number;
}

/** The running stack. */
export interface RunningStack {
  members: StackMember[];
  /** Sends SIGTERM to every service and waits for them to drain and exit; resolves to their exit codes. */
  stop(): Promise<Record<string, number | null>>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The four services plus the sandbox host, with their default local ports. */
export function defaultServices(basePort = 7070): StackService[] {
  return [
    { name: 'sandbox', entry: here('./server.js'), port: basePort },
    { name: 'voice-adapter', entry: here('../../voice-adapter/dist/server.js'), port: basePort + 1 },
    { name: 'whatsapp-adapter', entry: here('../../whatsapp-adapter/dist/server.js'), port: basePort + 2 },
    { name: 'webchat-adapter', entry: here('../../webchat-adapter/dist/server.js'), port: basePort + 3 },
    { name: 'channel-router', entry: here('../../channel-router/dist/server.js'), port: basePort + 4 },
  ];
}

/**
 * Starts every service as its own Node process (as in production: one process per service), reads
 * their JSON logs, learns each listening URL from its "listening" line, and waits until every
 * `/readyz` answers 200. If any service exits or the timeout passes first, the rest are stopped and
 * the promise rejects with what went wrong.
 */
export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const started = performance.now();
  const children = new Map<string, ChildProcess>();
  const exits = new Map<string, Promise<number | null>>();
  const recent = new Map<string, string[]>();

  const exitReport = (name: string, code: number | null) =>
    `${name} exited with code ${code} before it was ready:\n${(recent.get(name) ?? []).join('\n')}`;

  // Services in groups of their own do not get the terminal's signals: whatever ends the launcher ends them.
  const killAll = () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killAll);

  const stop = async () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
    const codes: Record<string, number | null> = {};
    for (const [name, exit] of exits) codes[name] = await exit;
    return codes;
  };

  const urls = options.services.map(
    (service) =>
      new Promise<StackMember>((resolve, reject) => {
        const child = spawn(process.execPath, [service.entry], {
          env: {
            ...process.env,
            ...options.env,
            ...service.env,
            PORT: String(service.port),
            HOST: '127.0.0.1',
            LOG_PRETTY: 'false',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          // A process group of its own: Ctrl-C in the terminal signals the launcher's group only, and the
          // launcher stops each service once (SIGTERM). In the launcher's group every service got the terminal's
          // SIGINT and then the launcher's SIGTERM, took the second as "exit now" and exited 1 mid-drain.
          detached: true,
        });
        children.set(service.name, child);
        exits.set(
          service.name,
          new Promise((r) => child.once('exit', (code, signal) => r(code ?? (signal ? null : 0)))),
        );
        const remember = (line: string) => {
          const lines = recent.get(service.name) ?? [];
          lines.push(line);
          if (lines.length > 20) lines.shift();
          recent.set(service.name, lines);
        };
        // A fixed port tells the URL; port 0 (tests) is learned from the service's "listening" log line.
        if (service.port !== 0)
          resolve({ name: service.name, url: `http://127.0.0.1:${service.port}`, process: child });
        createInterface({ input: child.stdout }).on('line', (raw) => {
          remember(raw);
          const line = parseLogLine(service.name, raw);
          options.onLog?.(line);
          if (typeof line.fields.url === 'string' && line.msg.endsWith('listening')) {
            resolve({ name: service.name, url: line.fields.url, process: child });
          }
        });
        createInterface({ input: child.stderr }).on('line', (raw) => {
          remember(raw);
          options.onLog?.({ service: service.name, level: 50, msg: raw, fields: {} });
        });
        child.once('exit', (code) => reject(new Error(exitReport(service.name, code))));
      }),
  );

  try {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const deadline = started + timeoutMs;
    const members = await Promise.all(
      urls.map(async (pending, i) => {
        const member = await withDeadline(
          pending,
          timeoutMs,
          `${options.services[i]?.name} did not report where it listens within ${timeoutMs} ms`,
        );
        await waitUntilReady(member, deadline, exitReport);
        options.onReady?.(member, performance.now() - started);
        return member;
      }),
    );
    return { members, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntilReady(
  member: StackMember,
  deadline: number,
  exitReport: (name: string, code: number | null) => string,
): Promise<void> {
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    if (member.process.exitCode !== null) throw new Error(exitReport(member.name, member.process.exitCode));
    try {
      const res = await fetch(`${member.url}/readyz`);
      if (res.ok) return;
      last = `${res.status} ${((await res.json()) as { detail?: string }).detail ?? ''}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${member.name} was not ready in time (last /readyz: ${last})`);
}

function parseLogLine(service: string, raw: string): ServiceLogLine {
  try {
    const { level, msg, ...fields } = JSON.parse(raw) as Record<string, unknown>;
    return { service, level: typeof level === 'number' ? level : 30, msg: String(msg ?? ''), fields };
  } catch {
    return { service, level: 30, msg: raw, fields: {} };
  }
}

/** Asks the OS for `count` free loopback ports (for tests that run a whole stack). */
export async function freePorts(count: number): Promise<number[]> {
  const { createServer } = await import('node:net');
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

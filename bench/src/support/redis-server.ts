import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { killWithParent } from './service-process.js';

/** A free TCP port of 127.0.0.1 (closed again: the caller binds it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Whether something accepts TCP connections on `port` of 127.0.0.1. */
export async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A redis-server of a run's own (free port, no persistence), so killing or filling it touches nobody else's. */
export interface OwnRedis {
  readonly process: ChildProcess;
  readonly port: number;
  readonly url: string;
}

/** Starts `redis-server` on a free port and waits until it accepts connections (10 s at most). */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  killWithParent(child);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return { process: child, port, url: `redis://127.0.0.1:${port}` };
}

import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoundTripCounter } from './round-trip-counter.js';

/** A line echo server standing in for a remote service. */
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((socket) => socket.on('data', (data) => socket.write(data)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.close();
});

async function open(): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

async function ask(socket: Socket): Promise<void> {
  socket.write('ping\n');
  await once(socket, 'data');
}

describe('RoundTripCounter', () => {
  it('counts requests that wait for each other as serial, requests in flight together as one', async () => {
    const counter = new RoundTripCounter({ redis: [port] });
    const sockets = await Promise.all([open(), open(), open()]);
    const [first] = sockets as [Socket, Socket, Socket];

    const serialFrom = performance.now();
    for (let i = 0; i < 3; i++) await ask(first);
    const serial = counter.count(serialFrom, performance.now());

    const parallelFrom = performance.now();
    await Promise.all(sockets.map(ask));
    const parallel = counter.count(parallelFrom, performance.now());

    counter.close();
    for (const socket of sockets) socket.destroy();
    expect(serial).toMatchObject({ serial: 3, total: 3, serialByService: { redis: 3 } });
    expect(parallel).toMatchObject({ serial: 1, total: 3 });
    expect(counter.writesSeen).toBe(6);
  });

  it('ignores sockets to ports it was not given', async () => {
    const counter = new RoundTripCounter({ cosmos: [1] });
    const socket = await open();
    const from = performance.now();
    await ask(socket);
    counter.close();
    socket.destroy();
    expect(counter.count(from, performance.now()).total).toBe(0);
  });
});

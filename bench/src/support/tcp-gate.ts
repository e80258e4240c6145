import net from 'node:net';

/** A TCP gate in front of a local server: open, it forwards bytes both ways; closed, the port refuses connections. */
export interface TcpGate {
  /** `http://127.0.0.1:<port>`: the gate's address, to use instead of the server's. */
  readonly url: string;
  readonly port: number;
  /** Whether connections are forwarded. */
  readonly isOpen: boolean;
  /**
   * Closes the gate: stops listening (a connect gets ECONNREFUSED, as when the server is down) and cuts every
   * open connection (as a crash would).
   */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
  /** Closes the gate for good. */
  stop(): Promise<void>;
}

/**
 * Starts a gate forwarding 127.0.0.1:<free port> to `target` (`http://host:port/...`). TCP-level, so the Host
 * header and signatures (ACS HMAC, Cosmos master key) pass untouched. An outage is `close()` ... `open()`; no fault
 * switch inside the server under test is needed.
 */
export async function startTcpGate(target: string): Promise<TcpGate> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const remote = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(client);
    sockets.add(remote);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(remote);
      client.destroy();
      remote.destroy();
    };
    client.on('error', forget).on('close', forget);
    remote.on('error', forget).on('close', forget);
    client.pipe(remote);
    remote.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  const port = await listen(0);
  let isOpen = true;
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get isOpen() {
      return isOpen;
    },
    close,
    async open() {
      if (isOpen) return;
      await listen(port);
      isOpen = true;
    },
    stop: close,
  };
}

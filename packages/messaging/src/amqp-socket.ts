import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** Remote ports whose client sockets get `TCP_NODELAY` (the Service Bus endpoints of this process's clients). */
const noDelayPorts = new Set<number>();
let subscribed = false;

/**
 * Turns Nagle's algorithm off on every client socket this process opens to `port` (a Service Bus endpoint's
 * AMQP port), TLS or not, including the sockets of reconnects.
 *
 * `@azure/service-bus` connects through core-amqp and rhea-promise, which pass no socket options; rhea leaves
 * `TCP_NODELAY` off on client connections and the SDK offers no setting for it. With Nagle on, the small frames
 * of overlapping turns (a transfer, a flow, a disposition) wait for the peer's delayed ACK (~40 ms on Linux).
 * The hook is Node's documented `net.client.socket` diagnostics channel, published for every `net.connect` and
 * `tls.connect`; the socket's remote port is known once it connects. Node's HTTP agents and ioredis already set
 * `TCP_NODELAY` on their own sockets.
 */
export function disableNagleOnAmqpSockets(port: number): void {
  noDelayPorts.add(port);
  if (subscribed) return;
  subscribed = true;
  subscribe('net.client.socket', onClientSocket);
}

function onClientSocket(message: unknown): void {
  const { socket } = message as { socket: Socket };
  socket.once('connect', () => {
    if (socket.remotePort !== undefined && noDelayPorts.has(socket.remotePort)) socket.setNoDelay(true);
  });
}

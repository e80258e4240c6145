import { type Channel, channel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** A remote dependency whose round trips are counted. */
export type RemoteService = 'cosmos' | 'servicebus' | 'acs' | 'redis';

/** One byte burst on a client socket: written by this process (`out`) or received by it (`in`). */
interface WireEvent {
  readonly at: number;
  readonly socket: number;
  readonly service: RemoteService;
  readonly direction: 'out' | 'in';
}

/** One request and the first bytes that came back on the same socket after it. */
interface Trip {
  readonly service: RemoteService;
  readonly start: number;
  readonly end: number;
}

/** What happened on the wire between two moments. */
export interface RoundTripCount {
  /** The longest chain of round trips of which each started after the previous one ended: the serial trips. */
  readonly serial: number;
  readonly serialByService: Readonly<Record<RemoteService, number>>;
  /** Every round trip that completed in the window (serial or overlapping). */
  readonly total: number;
  readonly totalByService: Readonly<Record<RemoteService, number>>;
}

const SERVICES: readonly RemoteService[] = ['cosmos', 'servicebus', 'acs', 'redis'];

function zero(): Record<RemoteService, number> {
  return { cosmos: 0, servicebus: 0, acs: 0, redis: 0 };
}

/**
 * Counts round trips to remote services by watching every client socket of this process (Node's
 * `net.client.socket` diagnostics channel, which covers `net.connect` and `tls.connect`: the Azure SDKs' HTTP
 * pipeline, rhea's AMQP connection, ioredis). Each socket is attributed to a service by its remote port. A
 * write opens a trip that the next bytes received on that socket close; bytes received on a socket with no
 * write in the window (a message delivered to a waiting receiver, a session accept returning) count as a trip
 * from the window's start; further bytes without a write in between are the rest of the same answer. The serial count is the longest chain of non-overlapping trips (greedy by earliest
 * end): what a network with a fixed round-trip time would make the critical path wait for, whatever the machine.
 * It counts what the clients do, not how fast the emulators answer; multiplexed AMQP frames on one socket can
 * pair a write with an unrelated answer, so a figure is the median over repeated turns.
 */
export class RoundTripCounter {
  readonly #ports = new Map<number, RemoteService>();
  readonly #events: WireEvent[] = [];
  readonly #channel: Channel = channel('net.client.socket');
  #sockets = 0;
  #lastEvent = 0;
  #writes = 0;

  readonly #onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    const id = ++this.#sockets;
    let service: RemoteService | undefined;
    socket.once('connect', () => {
      service = socket.remotePort === undefined ? undefined : this.#ports.get(socket.remotePort);
    });
    // Every write of a net.Socket (write, writev, the data queued before `connect`) goes through
    // `_writeGeneric`; the public `write` is bypassed by Node's HTTP client. An internal of Node's `net`: if a
    // Node version drops it, `writesSeen` stays 0 and the benchmark's instrument check fails.
    const target = socket as unknown as { _writeGeneric?: (...args: unknown[]) => unknown };
    const writeGeneric = target._writeGeneric;
    if (typeof writeGeneric === 'function') {
      target._writeGeneric = (...args: unknown[]) => {
        // Data written before `connect` is written again once connected: counted then.
        if (service === undefined && socket.remotePort !== undefined) {
          service = this.#ports.get(socket.remotePort);
        }
        if (service !== undefined && !socket.connecting) this.#record(id, service, 'out');
        return writeGeneric.apply(socket, args);
      };
    }
    socket.on('data', () => {
      if (service !== undefined) this.#record(id, service, 'in');
    });
  };

  /** Starts counting sockets to the given ports (an emulator's port per service). */
  constructor(ports: Partial<Record<RemoteService, readonly number[]>>) {
    for (const service of SERVICES) for (const port of ports[service] ?? []) this.#ports.set(port, service);
    this.#channel.subscribe(this.#onSocket);
  }

  /** Stops watching new sockets (sockets already open keep being recorded until the counter is dropped). */
  close(): void {
    this.#channel.unsubscribe(this.#onSocket);
  }

  /** Writes recorded on counted sockets so far: 0 after traffic means the instrument is blind. */
  get writesSeen(): number {
    return this.#writes;
  }

  /** The time of the latest byte burst on any counted socket (`performance.now()`), 0 before any. */
  get lastEventAt(): number {
    return this.#lastEvent;
  }

  /** Waits until no counted socket has seen bytes for `quietMs` (or `timeoutMs` passes). */
  async quiet(quietMs: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const idle = performance.now() - this.#lastEvent;
      if (idle >= quietMs) return true;
      await new Promise((resolve) => setTimeout(resolve, quietMs - idle));
    }
    return false;
  }

  /** The round trips completed within [from, to] (`performance.now()` times). */
  count(from: number, to: number): RoundTripCount {
    const trips: Trip[] = [];
    const open = new Map<number, { service: RemoteService; starts: number[] }>();
    for (const event of this.#events) {
      if (event.at < from) continue;
      if (event.at > to) break;
      if (event.direction === 'out') {
        const pending = open.get(event.socket) ?? { service: event.service, starts: [] };
        pending.starts.push(event.at);
        open.set(event.socket, pending);
        continue;
      }
      const pending = open.get(event.socket);
      if (pending === undefined) {
        // The first bytes on a socket with no write in the window: a push (delivery, accept) from the start.
        trips.push({ service: event.service, start: from, end: event.at });
        open.set(event.socket, { service: event.service, starts: [] });
        continue;
      }
      // More bytes of the answer already counted (or a push right after it, indistinguishable): not a trip.
      if (pending.starts.length === 0) continue;
      // Writes since the last answer on this socket were one exchange (a request written in parts, or
      // pipelined frames) as far as the critical path is concerned: they end together here.
      trips.push({ service: event.service, start: pending.starts[0] as number, end: event.at });
      pending.starts = [];
    }
    const totalByService = zero();
    for (const trip of trips) totalByService[trip.service] += 1;
    const serialByService = zero();
    let serial = 0;
    let lastEnd = Number.NEGATIVE_INFINITY;
    for (const trip of [...trips].sort((a, b) => a.end - b.end)) {
      if (trip.start < lastEnd) continue;
      serial += 1;
      serialByService[trip.service] += 1;
      lastEnd = trip.end;
    }
    return { serial, serialByService, total: trips.length, totalByService };
  }

  /** The raw events of [from, to], for debugging a count. */
  events(from: number, to: number): readonly WireEvent[] {
    return this.#events.filter((event) => event.at >= from && event.at <= to);
  }

  /** Forgets everything recorded before `before` (keeps memory flat over long runs). */
  forget(before: number): void {
    const keep = this.#events.findIndex((event) => event.at >= before);
    this.#events.splice(0, keep === -1 ? this.#events.length : keep);
  }

  #record(socket: number, service: RemoteService, direction: 'out' | 'in'): void {
    const at = performance.now();
    this.#lastEvent = at;
    if (direction === 'out') this.#writes += 1;
    this.#events.push({ at, socket, service, direction });
  }
}

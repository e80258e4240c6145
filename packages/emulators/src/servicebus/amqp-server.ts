import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import rhea, {
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import type { AdministrationEndpoint } from './administration.js';
import { type AmqpMessage, deliveryTagOf, ticksFrom } from './amqp-values.js';
import { type Broker, entityPathOf, notFound } from './broker.js';
import {
  BrokerError,
  type BrokeredMessage,
  type Clock,
  type Consumer,
  type Disposition,
  type Entity,
  type MessageLock,
} from './entity.js';
import { deliveryMessage, ManagementNode, type ManagementReply } from './management.js';
import {
  answerDrainWithoutCredit,
  echoedOutcome,
  holdAttach,
  linkCredit,
  rejectedOutcome,
  remoteAttach,
  sendHeldAttach,
  setLocalAttach,
  tolerateLateFrames,
  unsentDeliveries,
} from './rhea-internals.js';
import { type Claim, claimCovers, type SharedAccessPolicy, TokenRefusal } from './shared-access.js';

const BATCH_FORMAT = 0x80013700;
const SESSION_FILTER = 'com.microsoft:session-filter';
const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
/** The largest message a Standard namespace accepts (256 KB); the SDK sizes batches from it. */
const MAX_MESSAGE_SIZE = 256 * 1024;

/** Per-connection state: accepted tokens, reply links and consumers. */
interface ConnectionState {
  readonly claims: Map<string, Claim>;
  /** Reply links of `$cbs` / `$management` clients, by link name and by target address. */
  readonly replyLinks: Map<string, Sender>;
  readonly consumers: Set<LinkConsumer>;
}

/** Options of {@link AmqpServer}. */
export interface AmqpServerOptions {
  readonly broker: Broker;
  readonly policy: SharedAccessPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Fault switches: sends refused as Service Bus refuses them when busy. */
  readonly faults?: ServiceBusFaults;
  /** Serves the administration client's https (ATOM) connections that arrive on the AMQP port. */
  readonly administration?: AdministrationEndpoint;
}

/** Fault switches of the Service Bus emulator. */
export class ServiceBusFaults {
  #busySends = 0;

  /** The next `sends` transfers are refused with `com.microsoft:server-busy` (the SDK's `ServiceBusy`). */
  serverBusy(sends = 1): void {
    this.#busySends = sends;
  }

  /** Clears every fault. */
  clear(): void {
    this.#busySends = 0;
  }

  /** How many sends are still to be refused. */
  pending(): number {
    return this.#busySends;
  }

  /** Whether the next transfer is refused. Used by the AMQP server. */
  takeBusy(): boolean {
    if (this.#busySends <= 0) return false;
    this.#busySends -= 1;
    return true;
  }
}

/** The broker side of a receiver link: an AMQP sender delivering an entity's messages. */
class LinkConsumer implements Consumer {
  readonly id = randomUUID();
  readonly deliveries = new WeakMap<Delivery, string>();
  sessionId: string | undefined;
  cancelWait: (() => void) | undefined;
  waitTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly sender: Sender,
    readonly entity: Entity,
    readonly receiveMode: 'peekLock' | 'receiveAndDelete',
    readonly state: ConnectionState,
  ) {}

  capacity(): number {
    if (!this.sender.is_open()) return 0;
    return linkCredit(this.sender) - unsentDeliveries(this.sender);
  }

  deliver(message: BrokeredMessage, lock: MessageLock | undefined): void {
    const tag = lock === undefined ? deliveryTagOf(randomUUID()) : deliveryTagOf(lock.token);
    const delivery = this.sender.send(deliveryMessage(message, lock) as Message, tag);
    if (lock !== undefined) this.deliveries.set(delivery, lock.token);
  }

  terminate(condition: string, description: string): void {
    this.stopWaiting();
    this.state.consumers.delete(this);
    this.sender.close({ condition, description });
  }

  stopWaiting(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    this.cancelWait?.();
    this.cancelWait = undefined;
  }
}

function addressOf(terminus: { address?: string } | null | undefined): string | undefined {
  return terminus?.address ?? undefined;
}

function isManagement(address: string): boolean {
  return /\/\$management$/i.test(address);
}

function managedPath(address: string): string {
  return entityPathOf(address).replace(/\/\$management$/i, '');
}

/**
 * The AMQP 1.0 front of the broker, on rhea: SASL ANONYMOUS, CBS `put-token` on `$cbs`, `$management`
 * request/response links, sender links into queues and topics (single messages and batches) and receiver
 * links out of queues, subscriptions and dead-letter queues (peek-lock and receive-and-delete, sessions).
 */
export class AmqpServer {
  private readonly container = rhea.create_container({
    id: 'omni-servicebus-emulator',
    autoaccept: false,
    treat_modified_as_released: false,
  });
  private readonly states = new Map<Connection, ConnectionState>();
  private readonly management: ManagementNode;
  private server: Server | undefined;
  /** Every client socket, AMQP or not, so that close() leaves none behind. */
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: AmqpServerOptions) {
    this.management = new ManagementNode(options.broker);
    this.container.sasl_server_mechanisms.enable_anonymous();
    this.container.on('connection_open', (context: EventContext) => this.stateOf(context.connection));
    this.container.on('sender_open', (context: EventContext) =>
      this.guard(context, () => this.onSenderOpen(context)),
    );
    this.container.on('receiver_open', (context: EventContext) =>
      this.guard(context, () => this.onReceiverOpen(context)),
    );
    this.container.on('message', (context: EventContext) =>
      this.guard(context, () => this.onMessage(context)),
    );
    this.container.on('sendable', (context: EventContext) => this.onSendable(context));
    this.container.on('sender_draining', (context: EventContext) => this.onDraining(context));
    for (const outcome of ['accepted', 'released', 'rejected', 'modified'] as const) {
      this.container.on(outcome, (context: EventContext) =>
        this.guard(context, () => this.onOutcome(context, outcome)),
      );
    }
    this.container.on('sender_close', (context: EventContext) => this.onSenderClosed(context));
    this.container.on('connection_close', (context: EventContext) =>
      this.onConnectionGone(context.connection),
    );
    this.container.on('disconnected', (context: EventContext) => this.onConnectionGone(context.connection));
    for (const event of [
      'sender_error',
      'receiver_error',
      'session_error',
      'connection_error',
      'protocol_error',
    ]) {
      this.container.on(event, (context: EventContext | Error) => {
        // rhea passes a protocol error itself (it then closes the connection); the others come in a context.
        const error =
          context instanceof Error
            ? context
            : (context.sender?.error ??
              context.receiver?.error ??
              context.session?.error ??
              context.connection?.error);
        this.options.logger.debug({ event, err: error }, 'amqp peer reported an error');
      });
    }
    this.container.on('error', (error: unknown) => this.options.logger.debug({ err: error }, 'amqp error'));
  }

  /** Starts listening; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.accept(socket, { host, port }));
      this.server = server;
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Reads a connection's first bytes: AMQP goes to rhea; a TLS handshake (0x16) or an HTTP request is the
   * administration client (ATOM over https, which the SDK sends to the same endpoint and port), served by the
   * `administration` endpoint when there is one, else closed at once with a warning naming it.
   */
  private accept(socket: Socket, listenOptions: { host: string; port: number }): void {
    // AMQP frames are small and answered at once: without this, Nagle's algorithm holds a frame until the
    // peer's delayed ACK (~40 ms), and every publish -> deliver hop pays for it. Azure's brokers do not.
    socket.setNoDelay(true);
    // A client gone before its first byte must not take the process with it; rhea adds its own handler later.
    socket.on('error', () => socket.destroy());
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      const http = /^(GET|PUT|POST|DELETE|HEAD|OPTIONS|PATCH) /.test(first.subarray(0, 8).toString('latin1'));
      if (first[0] === 0x16 || http) {
        if (this.options.administration !== undefined) {
          this.options.administration.accept(socket, first);
          socket.resume();
          return;
        }
        this.options.logger.warn(
          { remote: socket.remoteAddress, protocol: http ? 'http' : 'tls' },
          'not AMQP: the Service Bus administration client (ATOM over https) is not served here',
        );
        socket.destroy();
        return;
      }
      socket.unshift(first);
      const connection = this.container.create_connection(listenOptions);
      tolerateLateFrames(connection, (frame, channel) =>
        this.options.logger.debug({ frame, channel }, 'late frame on a closed session dropped'),
      );
      connection.accept(socket);
      socket.resume();
    });
  }

  /**
   * Drops every open connection at the TCP level, as a network failure would: no AMQP close, the sockets are
   * destroyed. Locks held by the dropped links are released as on a lost connection; the listener stays open,
   * so clients reconnect. Returns how many connections were dropped.
   */
  dropConnections(): number {
    const connections = [...this.states.keys()];
    for (const connection of connections) {
      this.onConnectionGone(connection);
      (connection as unknown as { socket?: { destroy(): void } }).socket?.destroy();
    }
    return connections.length;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const connection of this.states.keys()) {
      this.onConnectionGone(connection);
      try {
        connection.close();
      } catch {
        // already gone
      }
    }
    await new Promise<void>((resolve) => {
      if (this.server === undefined) {
        resolve();
        return;
      }
      for (const socket of this.sockets) socket.destroy();
      this.options.administration?.close();
      this.server.close(() => resolve());
    });
    this.states.clear();
  }

  private guard(context: EventContext, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.options.logger.error({ err: error }, 'amqp handler failed');
      const link = context.sender ?? context.receiver;
      link?.close({ condition: 'amqp:internal-error', description: (error as Error).message });
    }
  }

  private stateOf(connection: Connection): ConnectionState {
    let state = this.states.get(connection);
    if (state === undefined) {
      state = { claims: new Map(), replyLinks: new Map(), consumers: new Set() };
      this.states.set(connection, state);
    }
    return state;
  }

  private authorized(state: ConnectionState, path: string): boolean {
    const now = this.options.clock.now();
    for (const claim of state.claims.values()) if (claimCovers(claim, path, now)) return true;
    return false;
  }

  private refuse(link: Sender | Receiver, condition: string, description: string): void {
    this.options.logger.debug({ link: link.name, condition, description }, 'refusing link');
    link.close({ condition, description });
  }

  // ---------------------------------------------------------------------------------------------
  // Links
  // ---------------------------------------------------------------------------------------------

  /** The peer opened a receiver: a reply link for `$cbs` / `$management`, or a consumer of an entity. */
  private onSenderOpen(context: EventContext): void {
    const sender = context.sender as Sender;
    const state = this.stateOf(context.connection);
    const source = sender.source as { address?: string; filter?: Record<string, unknown> } | null;
    const address = addressOf(source) ?? '';
    const replyAddress = addressOf(sender.target);
    if (address === '$cbs' || isManagement(address)) {
      sender.set_source({ address });
      if (replyAddress !== undefined) sender.set_target({ address: replyAddress });
      state.replyLinks.set(sender.name, sender);
      if (replyAddress !== undefined) state.replyLinks.set(replyAddress, sender);
      return;
    }
    const target = this.options.broker.resolve(address);
    if (target === undefined) {
      const error = notFound(this.options.broker.namespace, address);
      this.refuse(sender, error.condition, error.message);
      return;
    }
    if (target.kind === 'topic') {
      this.refuse(
        sender,
        'amqp:not-allowed',
        `Cannot receive from topic '${address}': receive from a subscription.`,
      );
      return;
    }
    if (!this.authorized(state, address)) {
      this.refuse(
        sender,
        'amqp:unauthorized-access',
        `Unauthorized access to '${address}': put a token on $cbs first.`,
      );
      return;
    }
    const entity = target.entity;
    const settleMode = remoteAttach(sender, 'snd_settle_mode');
    const receiveMode = settleMode === 1 ? 'receiveAndDelete' : 'peekLock';
    setLocalAttach(sender, 'snd_settle_mode', settleMode ?? 0);
    setLocalAttach(sender, 'rcv_settle_mode', remoteAttach(sender, 'rcv_settle_mode') ?? 0);
    answerDrainWithoutCredit(sender);
    const consumer = new LinkConsumer(sender, entity, receiveMode, state);
    const filter = source?.filter ?? undefined;
    const wantsSession = filter !== undefined && filter !== null && Object.hasOwn(filter, SESSION_FILTER);
    if (wantsSession !== entity.requiresSession) {
      this.refuse(
        sender,
        'amqp:not-allowed',
        entity.requiresSession
          ? `It is not possible for an entity that requires sessions to create a non-sessionful message receiver. Entity: '${entity.path}'.`
          : `It is not possible for a session receiver to receive from '${entity.path}', which does not require sessions.`,
      );
      return;
    }
    if (!wantsSession) {
      sender.set_source({ address });
      state.consumers.add(consumer);
      entity.attach(consumer);
      return;
    }
    const named = filter[SESSION_FILTER];
    if (typeof named === 'string') {
      try {
        const lockedUntil = entity.acceptSession(consumer.id, named);
        this.openSessionLink(consumer, address, named, lockedUntil);
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        this.refuse(sender, error.condition, error.message);
      }
      return;
    }
    // The next available session: answer once one has messages, or time out as Service Bus does.
    holdAttach(sender);
    state.consumers.add(consumer);
    // The SDK puts its own (already shortened) timeout on the attach; Service Bus caps it at 65 s.
    const properties = (remoteAttach(sender, 'properties') ?? {}) as Record<string, unknown>;
    const requested = Number(properties['com.microsoft:timeout'] ?? 60_000);
    const timeout = Math.min(Number.isFinite(requested) ? requested : 60_000, 65_000);
    consumer.waitTimer = setTimeout(() => {
      consumer.stopWaiting();
      state.consumers.delete(consumer);
      sendHeldAttach(sender);
      this.refuse(
        sender,
        'com.microsoft:timeout',
        `The operation did not complete within the allocated time ${timeout}ms: no session with messages is available.`,
      );
    }, timeout);
    consumer.cancelWait = entity.acceptNextSession(consumer.id, (sessionId, lockedUntil) => {
      consumer.cancelWait = undefined;
      consumer.stopWaiting();
      this.openSessionLink(consumer, address, sessionId, lockedUntil);
      sendHeldAttach(sender);
    });
  }

  private openSessionLink(
    consumer: LinkConsumer,
    address: string,
    sessionId: string,
    lockedUntil: number,
  ): void {
    consumer.sessionId = sessionId;
    consumer.sender.set_source({ address, filter: { [SESSION_FILTER]: sessionId } });
    setLocalAttach(consumer.sender, 'properties', {
      'com.microsoft:locked-until-utc': rhea.types.wrap_long(ticksFrom(lockedUntil)),
    });
    consumer.state.consumers.add(consumer);
    // Attach after the local attach is on its way, so deliveries never precede it.
    setImmediate(() => consumer.entity.attach(consumer));
  }

  /** The peer opened a sender: `$cbs` / `$management` requests, or messages for a queue or topic. */
  private onReceiverOpen(context: EventContext): void {
    const receiver = context.receiver as Receiver;
    const state = this.stateOf(context.connection);
    const address = addressOf(receiver.target) ?? '';
    receiver.set_target({ address });
    const sourceAddress = addressOf(receiver.source);
    if (sourceAddress !== undefined) receiver.set_source({ address: sourceAddress });
    setLocalAttach(receiver, 'max_message_size', MAX_MESSAGE_SIZE);
    if (address === '$cbs') return;
    if (isManagement(address)) {
      const path = managedPath(address);
      if (this.options.broker.resolve(path) === undefined) {
        const error = notFound(this.options.broker.namespace, path);
        this.refuse(receiver, error.condition, error.message);
      } else if (!this.authorized(state, address)) {
        this.refuse(receiver, 'amqp:unauthorized-access', `Unauthorized access to '${address}'.`);
      }
      return;
    }
    const target = this.options.broker.resolve(address);
    if (target === undefined) {
      const error = notFound(this.options.broker.namespace, address);
      this.refuse(receiver, error.condition, error.message);
    } else if (target.kind !== 'queue' && target.kind !== 'topic') {
      this.refuse(
        receiver,
        'amqp:not-allowed',
        `Cannot send to '${address}': only queues and topics accept messages.`,
      );
    } else if (!this.authorized(state, address)) {
      this.refuse(
        receiver,
        'amqp:unauthorized-access',
        `Unauthorized access to '${address}': put a token on $cbs first.`,
      );
    }
  }

  private consumerOf(context: EventContext): LinkConsumer | undefined {
    const sender = context.sender;
    if (sender === undefined) return undefined;
    for (const consumer of this.states.get(context.connection)?.consumers ?? []) {
      if (consumer.sender === sender) return consumer;
    }
    return undefined;
  }

  private onSendable(context: EventContext): void {
    this.consumerOf(context)?.entity.pump();
  }

  /** The receiver asked to drain: deliver what is available now, then give back the remaining credit. */
  private onDraining(context: EventContext): void {
    this.consumerOf(context)?.entity.pump();
    context.sender?.set_drained(true);
  }

  private onSenderClosed(context: EventContext): void {
    const consumer = this.consumerOf(context);
    if (consumer === undefined) {
      const state = this.states.get(context.connection);
      if (state !== undefined && context.sender !== undefined) {
        for (const [key, link] of state.replyLinks) if (link === context.sender) state.replyLinks.delete(key);
      }
      return;
    }
    consumer.stopWaiting();
    consumer.state.consumers.delete(consumer);
    consumer.entity.detach(consumer.id);
  }

  private onConnectionGone(connection: Connection): void {
    const state = this.states.get(connection);
    if (state === undefined) return;
    this.states.delete(connection);
    for (const consumer of state.consumers) {
      consumer.stopWaiting();
      consumer.entity.detach(consumer.id);
    }
    state.consumers.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages and settlement
  // ---------------------------------------------------------------------------------------------

  private onMessage(context: EventContext): void {
    const receiver = context.receiver as Receiver;
    const delivery = context.delivery as Delivery;
    const address = addressOf(receiver.target) ?? '';
    const state = this.stateOf(context.connection);
    if (address === '$cbs' || isManagement(address)) {
      const request = context.message as AmqpMessage;
      const reply =
        address === '$cbs'
          ? this.putToken(state, request)
          : this.management.handle(managedPath(address), request);
      delivery.accept();
      this.reply(state, request, reply);
      return;
    }
    try {
      if (this.options.faults?.takeBusy()) {
        throw new BrokerError(
          'com.microsoft:server-busy',
          'The server is busy. Please retry the operation (injected fault).',
        );
      }
      const messages = this.decodeTransfer(context);
      const size = transferSize(context);
      if (size > MAX_MESSAGE_SIZE) {
        throw new BrokerError(
          'amqp:link:message-size-exceeded',
          `The message (${size} bytes) exceeds the maximum message size of ${MAX_MESSAGE_SIZE} bytes (Standard tier).`,
        );
      }
      for (const message of messages) this.options.broker.send(address, message);
      delivery.accept();
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      delivery.reject({ condition: error.condition, description: error.message });
    }
  }

  private decodeTransfer(context: EventContext): AmqpMessage[] {
    const format = (context as EventContext & { format?: number }).format;
    if (format === undefined || format === 0) return [context.message as AmqpMessage];
    if (format !== BATCH_FORMAT) {
      throw new BrokerError('amqp:not-implemented', `Unsupported message format ${format}.`);
    }
    const envelope = rhea.message.decode(context.message as unknown as Buffer);
    const body = envelope.body as { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
    const sections = body?.multiple ? (body.content as Buffer[]) : [body?.content as Buffer];
    return sections
      .filter(Buffer.isBuffer)
      .map((section) => rhea.message.decode(section) as unknown as AmqpMessage);
  }

  private reply(state: ConnectionState, request: AmqpMessage, reply: ManagementReply): void {
    const replyTo = request.reply_to;
    const link = typeof replyTo === 'string' ? state.replyLinks.get(replyTo) : undefined;
    if (link === undefined) {
      this.options.logger.warn({ replyTo }, 'no reply link for a request');
      return;
    }
    const properties: Record<string, unknown> = {
      statusCode: reply.statusCode,
      statusDescription: reply.description,
      'status-code': reply.statusCode,
      'status-description': reply.description,
    };
    if (reply.condition !== undefined) properties['error-condition'] = reply.condition;
    link.send({
      correlation_id: request.message_id,
      application_properties: properties,
      ...(reply.body === undefined ? {} : { body: reply.body }),
    } as Message);
  }

  /** CBS `put-token`: verifies a SAS token and records what it covers for this connection. */
  private putToken(state: ConnectionState, request: AmqpMessage): ManagementReply {
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    if (properties.operation !== 'put-token') {
      return { statusCode: 400, description: `Unknown CBS operation '${String(properties.operation)}'.` };
    }
    const audience = typeof properties.name === 'string' ? properties.name : '';
    if (properties.type !== SAS_TOKEN_TYPE) {
      return {
        statusCode: 401,
        description: `The emulator accepts shared access signatures only (type ${SAS_TOKEN_TYPE}), not '${String(properties.type)}'.`,
      };
    }
    const now = this.options.clock.now();
    let claim: Claim;
    try {
      claim = this.options.policy.verify(typeof request.body === 'string' ? request.body : '', now);
    } catch (error) {
      if (!(error instanceof TokenRefusal)) throw error;
      return { statusCode: 401, description: error.message };
    }
    const path = entityPathOf(audience);
    if (!claimCovers(claim, path, now)) {
      return { statusCode: 401, description: `InvalidAudience: the token does not cover '${audience}'.` };
    }
    const entityPath = managedPath(path);
    if (entityPath !== '' && this.options.broker.resolve(entityPath) === undefined) {
      return { statusCode: 404, description: notFound(this.options.broker.namespace, entityPath).message };
    }
    state.claims.set(claim.scope, claim);
    return { statusCode: 202, description: 'Accepted' };
  }

  private onOutcome(context: EventContext, outcome: 'accepted' | 'released' | 'rejected' | 'modified'): void {
    const delivery = context.delivery as Delivery;
    const consumer = this.consumerOf(context);
    const token = consumer?.deliveries.get(delivery);
    if (consumer === undefined || token === undefined) {
      if (!delivery.settled) delivery.update(true, echoedOutcome(delivery));
      return;
    }
    consumer.deliveries.delete(delivery);
    try {
      consumer.entity.settle(token, this.dispositionOf(delivery, outcome));
      delivery.update(true, echoedOutcome(delivery));
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      delivery.update(true, rejectedOutcome(error.condition, error.message));
    }
  }

  private dispositionOf(
    delivery: Delivery,
    outcome: 'accepted' | 'released' | 'rejected' | 'modified',
  ): Disposition {
    const state = (delivery.remote_state ?? {}) as {
      undeliverable_here?: boolean;
      message_annotations?: Record<string, unknown>;
      error?: { condition?: string; description?: string; info?: Record<string, unknown> };
    };
    if (outcome === 'accepted') return { kind: 'complete' };
    if (outcome === 'released') return { kind: 'abandon' };
    if (outcome === 'modified') {
      const properties = state.message_annotations ?? undefined;
      const kind = state.undeliverable_here === true ? 'defer' : 'abandon';
      return properties === undefined ? { kind } : { kind, properties };
    }
    const info = { ...(state.error?.info ?? {}) };
    const reason = info.DeadLetterReason;
    const description = info.DeadLetterErrorDescription;
    delete info.DeadLetterReason;
    delete info.DeadLetterErrorDescription;
    return {
      kind: 'deadLetter',
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof description === 'string' ? { description } : {}),
      properties: info,
    };
  }
}

/** The encoded size of a transfer: a batch's raw envelope, or a single message re-encoded. */
function transferSize(context: EventContext): number {
  const raw = context.message as unknown;
  if (Buffer.isBuffer(raw)) return raw.length;
  return rhea.message.encode(raw as Message).length;
}

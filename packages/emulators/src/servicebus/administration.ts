import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Broker, Queue, Topic } from './broker.js';
import type { Clock, EntityCounts } from './entity.js';
import type { QueueSettings, SubscriptionSettings } from './namespace-config.js';
import { type SharedAccessPolicy, TokenRefusal } from './shared-access.js';

// The read side of Service Bus's ATOM management API (what `ServiceBusAdministrationClient` speaks over https):
// queues, topics and subscriptions, one or a page of them, with their runtime counts. Entities come from the config,
// so creating, updating and deleting them, rules and namespace properties answer 501 NotImplemented, which the SDK
// reports as a RestError with code `NotImplemented` and the reason. The shapes follow what Service Bus returns
// (api-version 2021-05); a GET of an unknown entity is a 200 with an empty feed, as in Service Bus.

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const ATOM = 'http://www.w3.org/2005/Atom';
const CONNECT = 'http://schemas.microsoft.com/netservices/2010/10/servicebus/connect';
const COUNTS = 'http://schemas.microsoft.com/netservices/2011/06/servicebus';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** TimeSpan.MaxValue, what Service Bus shows for "never". */
const NEVER = 'P10675199DT2H48M5.4775807S';
const MAX_SIZE_IN_MEGABYTES = 1024;
const MAX_MESSAGE_SIZE_IN_KILOBYTES = 256;

/** Options of {@link AdministrationEndpoint}. */
export interface AdministrationEndpointOptions {
  readonly broker: Broker;
  readonly policy: SharedAccessPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The certificate https is served with (the emulator's `caCertificatePem` is its `cert`). */
  readonly certificate: { readonly key: string; readonly cert: string };
}

/**
 * The management API on the AMQP port: the SDK's administration client opens https to the connection string's
 * endpoint and port, so the AMQP listener hands a connection that starts with a TLS handshake (or plain HTTP) here.
 */
export class AdministrationEndpoint {
  readonly #https;
  readonly #startedAt: string;

  constructor(private readonly options: AdministrationEndpointOptions) {
    const handle = (request: IncomingMessage, response: ServerResponse) => this.#handle(request, response);
    this.#https = createHttpsServer({ key: options.certificate.key, cert: options.certificate.cert }, handle);
    this.#startedAt = new Date(options.clock.now()).toISOString();
  }

  /**
   * Serves a connection whose first bytes (already read) were `first`: a TLS handshake goes to https; plain HTTP
   * gets a 400 that says to use https, as Service Bus does.
   */
  accept(socket: Socket, first: Buffer): void {
    if (first[0] !== 0x16) {
      const body = 'The Service Bus management API is served over https only.';
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    // TLS reads a net.Socket's handle directly, past bytes already read: hand it a stream that starts with them.
    this.#https.emit('connection', replaying(socket, first));
  }

  /** Closes the connections it serves. */
  close(): void {
    this.#https.closeAllConnections();
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    const url = new URL(request.url ?? '/', 'https://emulator');
    const base = `https://${request.headers.host ?? 'localhost'}`;
    const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
    try {
      this.options.policy.verify(String(request.headers.authorization ?? ''), this.options.clock.now());
    } catch (error) {
      const detail = error instanceof TokenRefusal ? error.message : 'MissingToken: no authorization header.';
      send(response, 401, errorXml(401, detail));
      return;
    }
    if (request.method !== 'GET') {
      this.options.logger.warn(
        { method: request.method, path },
        'service bus administration: not implemented',
      );
      send(
        response,
        501,
        errorXml(
          501,
          `${request.method} ${path}: the Service Bus emulator does not create, update or delete entities; they come ` +
            'from its config (Config.json or topology).',
        ),
      );
      return;
    }
    const skip = Number(url.searchParams.get('$skip') ?? 0) || 0;
    const top = Number(url.searchParams.get('$top') ?? 100) || 100;
    const feedOf = (title: string, entries: string[]) =>
      feed(
        base,
        path,
        title,
        entries.slice(skip, skip + top),
        skip + top < entries.length ? skip + top : undefined,
      );
    const lower = path.toLowerCase();
    const parts = path.split('/');
    if (lower === '$resources/queues') {
      send(
        response,
        200,
        feedOf(
          'Queues',
          this.#broker.allQueues().map((queue) => this.#queueEntry(base, queue)),
        ),
      );
    } else if (lower === '$resources/topics') {
      send(
        response,
        200,
        feedOf(
          'Topics',
          this.#broker.allTopics().map((topic) => this.#topicEntry(base, topic)),
        ),
      );
    } else if (parts.length === 2 && parts[1]?.toLowerCase() === 'subscriptions') {
      const topic = this.#topic(parts[0] ?? '');
      const entries =
        topic?.settings.subscriptions.map((sub) => this.#subscriptionEntry(base, topic, sub)) ?? [];
      send(response, 200, feedOf('Subscriptions', entries));
    } else if (parts.length === 1 && !lower.startsWith('$')) {
      const queue = this.#broker.allQueues().find((candidate) => candidate.name.toLowerCase() === lower);
      const topic = this.#topic(path);
      const entry =
        queue !== undefined
          ? this.#queueEntry(base, queue)
          : topic !== undefined
            ? this.#topicEntry(base, topic)
            : undefined;
      send(response, 200, entry ?? emptyFeed(base, path));
    } else if (parts.length === 3 && parts[1]?.toLowerCase() === 'subscriptions') {
      const topic = this.#topic(parts[0] ?? '');
      const sub = topic?.settings.subscriptions.find((s) => s.name.toLowerCase() === parts[2]?.toLowerCase());
      send(response, 200, topic && sub ? this.#subscriptionEntry(base, topic, sub) : emptyFeed(base, path));
    } else {
      this.options.logger.warn({ path }, 'service bus administration: not implemented');
      send(
        response,
        501,
        errorXml(
          501,
          `GET ${path}: rules and namespace properties are not emulated; rules come from the config.`,
        ),
      );
    }
  }

  get #broker(): Broker {
    return this.options.broker;
  }

  #topic(name: string): Topic | undefined {
    return this.#broker.allTopics().find((topic) => topic.name.toLowerCase() === name.toLowerCase());
  }

  #queueEntry(base: string, queue: Queue): string {
    const settings: QueueSettings = queue.settings;
    return entry(
      base,
      queue.name,
      'QueueDescription',
      [
        ['LockDuration', duration(settings.lockDurationMs)],
        ['MaxSizeInMegabytes', MAX_SIZE_IN_MEGABYTES],
        ['RequiresDuplicateDetection', settings.requiresDuplicateDetection],
        ['RequiresSession', settings.requiresSession],
        ['DefaultMessageTimeToLive', duration(settings.defaultMessageTimeToLiveMs)],
        ['DeadLetteringOnMessageExpiration', settings.deadLetteringOnMessageExpiration],
        ['DuplicateDetectionHistoryTimeWindow', duration(settings.duplicateDetectionHistoryTimeWindowMs)],
        ['MaxDeliveryCount', settings.maxDeliveryCount],
        ['EnableBatchedOperations', true],
        ...runtime(queue.entity.counts(), this.#startedAt),
        ...ACTIVE_ENTITY,
      ],
      this.#startedAt,
    );
  }

  #topicEntry(base: string, topic: Topic): string {
    const { settings } = topic;
    const scheduled = topic.scheduledMessages().length;
    return entry(
      base,
      topic.name,
      'TopicDescription',
      [
        ['DefaultMessageTimeToLive', duration(settings.defaultMessageTimeToLiveMs)],
        ['MaxSizeInMegabytes', MAX_SIZE_IN_MEGABYTES],
        ['RequiresDuplicateDetection', settings.requiresDuplicateDetection],
        ['DuplicateDetectionHistoryTimeWindow', duration(settings.duplicateDetectionHistoryTimeWindowMs)],
        ['EnableBatchedOperations', true],
        ['SupportOrdering', true],
        ['SubscriptionCount', settings.subscriptions.length],
        ...runtime({ active: 0, locked: 0, deferred: 0, scheduled, deadLetter: 0 }, this.#startedAt).filter(
          ([name]) => name !== 'MessageCount',
        ),
        ...ACTIVE_ENTITY,
      ],
      this.#startedAt,
    );
  }

  #subscriptionEntry(base: string, topic: Topic, settings: SubscriptionSettings): string {
    const entity = topic.subscriptions.find((sub) => sub.name === settings.name)?.entity;
    const counts = entity?.counts() ?? { active: 0, locked: 0, deferred: 0, scheduled: 0, deadLetter: 0 };
    return entry(
      base,
      `${topic.name}/Subscriptions/${settings.name}`,
      'SubscriptionDescription',
      [
        ['LockDuration', duration(settings.lockDurationMs)],
        ['RequiresSession', settings.requiresSession],
        ['DefaultMessageTimeToLive', duration(settings.defaultMessageTimeToLiveMs)],
        ['DeadLetteringOnMessageExpiration', settings.deadLetteringOnMessageExpiration],
        ['DeadLetteringOnFilterEvaluationExceptions', false],
        ['MaxDeliveryCount', settings.maxDeliveryCount],
        ['EnableBatchedOperations', true],
        ...runtime(counts, this.#startedAt).filter(([name]) => name !== 'SizeInBytes'),
        ...ACTIVE_ENTITY,
      ],
      this.#startedAt,
    );
  }
}

/** A duplex over `socket` that first yields `first` (bytes already read from it). */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end();
      done();
    },
    destroy(error, done) {
      socket.destroy();
      done(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

/** What every entity here is: active, available, never auto-deleted, unpartitioned, Standard-sized. */
const ACTIVE_ENTITY: readonly Field[] = [
  ['Status', 'Active'],
  ['AutoDeleteOnIdle', NEVER],
  ['EnablePartitioning', false],
  ['EntityAvailabilityStatus', 'Available'],
  ['EnableExpress', false],
  ['MaxMessageSizeInKilobytes', MAX_MESSAGE_SIZE_IN_KILOBYTES],
];

type Field = readonly [string, string | number | boolean] | readonly [string, { readonly xml: string }];

function runtime(counts: EntityCounts, at: string): Field[] {
  const total = counts.active + counts.deferred + counts.scheduled + counts.deadLetter;
  return [
    ['SizeInBytes', 0],
    ['MessageCount', total],
    ['CreatedAt', at],
    ['UpdatedAt', at],
    ['AccessedAt', at],
    countDetails(counts),
  ];
}

function countDetails(counts: EntityCounts): Field {
  const count = (name: string, value: number) => `<d2p1:${name}>${value}</d2p1:${name}>`;
  return [
    'CountDetails',
    {
      xml:
        count('ActiveMessageCount', counts.active) +
        count('DeadLetterMessageCount', counts.deadLetter) +
        count('ScheduledMessageCount', counts.scheduled) +
        count('TransferMessageCount', 0) +
        count('TransferDeadLetterMessageCount', 0),
    },
  ];
}

function fieldXml([name, value]: Field): string {
  if (typeof value === 'object') return `<${name} xmlns:d2p1="${COUNTS}">${value.xml}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function entry(
  base: string,
  path: string,
  description: string,
  fields: readonly Field[],
  at: string,
): string {
  const id = `${base}/${encodeURI(path)}?api-version=2021-05`;
  return (
    `${XML_DECLARATION}<entry xmlns="${ATOM}">` +
    `<id>${escapeXml(id)}</id><title type="text">${escapeXml(path)}</title>` +
    `<published>${at}</published><updated>${at}</updated><author><name>emulator</name></author>` +
    `<link rel="self" href="${escapeXml(id)}"/>` +
    `<content type="application/xml"><${description} xmlns="${CONNECT}" xmlns:i="${XSI}">` +
    fields.map(fieldXml).join('') +
    `</${description}></content></entry>`
  );
}

function feed(
  base: string,
  path: string,
  title: string,
  entries: string[],
  next: number | undefined,
): string {
  const self = `${base}/${path}?api-version=2021-05`;
  const nextLink =
    next === undefined
      ? ''
      : `<link rel="next" href="${escapeXml(`${base}/${path}?%24skip=${next}&api-version=2021-05`)}"/>`;
  return (
    `${XML_DECLARATION}<feed xmlns="${ATOM}"><title type="text">${title}</title>` +
    `<id>${escapeXml(self)}</id><updated>${new Date().toISOString()}</updated>` +
    `<link rel="self" href="${escapeXml(self)}"/>${nextLink}` +
    entries.map((e) => e.slice(XML_DECLARATION.length)).join('') +
    '</feed>'
  );
}

function emptyFeed(base: string, path: string): string {
  return feed(base, path, 'Publicly Listed Services', [], undefined);
}

function errorXml(code: number, detail: string): string {
  return `${XML_DECLARATION}<Error><Code>${code}</Code><Detail>${escapeXml(detail)}</Detail></Error>`;
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/atom+xml;type=entry;charset=utf-8' });
  response.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Milliseconds as an ISO 8601 duration (`PT1M`, `P14D`); infinite: TimeSpan.MaxValue. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return NEVER;
  let seconds = ms / 1000;
  const days = Math.floor(seconds / 86_400);
  seconds -= days * 86_400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${+seconds.toFixed(3)}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

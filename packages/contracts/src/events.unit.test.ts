import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEvent,
  EVENT_TYPES,
  type EventType,
  eventDefinitions,
  eventSchemas,
  isEventOfType,
  type OmniEvent,
  omniEventSchema,
} from './catalog.js';
import { buildEvent, defineEvent } from './envelope.js';
import { EventParseError } from './event-parse-error.js';
import { parseEvent } from './parse.js';
import {
  BROKEN_DATA,
  SAMPLE_CUSTOMER_ID,
  SAMPLE_DATA,
  SAMPLE_OPTIONS,
  SAMPLE_PHONE,
} from './test-support/event-samples.js';

function sampleEvent<T extends EventType>(type: T) {
  return createEvent(type, SAMPLE_DATA[type], SAMPLE_OPTIONS);
}

function expectParseFailure(raw: unknown): EventParseError {
  const result = parseEvent(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw).slice(0, 80)} to be rejected`);
  expect(result.error).toBeInstanceOf(EventParseError);
  return result.error;
}

describe('the event catalogue', () => {
  it('given the catalogue, then it holds the 16 events of ARCHITECTURE.md section 4 and the router timer exactly once', () => {
    expect([...EVENT_TYPES].sort()).toEqual(
      [
        'agent.availability.changed',
        'call.abandoned',
        'call.assigned',
        'call.queued',
        'conversation.session.ended',
        'conversation.session.started',
        'conversation.turn.recorded',
        'escalation.requested',
        'handoff.completed',
        'handoff.delivered',
        'handoff.dispatched',
        'handoff.expired',
        'handoff.failed',
        'handoff.requested',
        'handoff.timer.elapsed',
        'message.received',
        'queue.status.changed',
      ].sort(),
    );
    expect(Object.keys(eventSchemas).sort()).toEqual([...EVENT_TYPES].sort());
  });
});

describe.each(EVENT_TYPES)('event %s', (type) => {
  it('given a valid sample, when created, sent as JSON and parsed, then it comes back deep-equal', () => {
    const event = sampleEvent(type);

    const result = parseEvent(JSON.stringify(event));

    expect(result).toEqual({ ok: true, event });
    expect(event.type).toBe(type);
    expect(event.dataVersion).toBe('1.0');
  });

  it('given a valid sample, when parsed from a Buffer, then it comes back deep-equal', () => {
    const event = sampleEvent(type);

    const result = parseEvent(Buffer.from(JSON.stringify(event), 'utf8'));

    expect(result).toEqual({ ok: true, event });
  });

  it('given a valid sample, then the union schema accepts it too', () => {
    const event = sampleEvent(type);

    expect(omniEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it(`given one broken data field, when parsed, then the error names the event type and that field`, () => {
    const broken = { ...sampleEvent(type), data: BROKEN_DATA[type].data };

    const error = expectParseFailure(JSON.stringify(broken));

    expect(error.code).toBe('invalid_event');
    expect(error.eventType).toBe(type);
    expect(error.issues.map((issue) => issue.path)).toContain(BROKEN_DATA[type].path);
    expect(error.message).toMatch(new RegExp(`^${type.replaceAll('.', '\\.')}: `));
    expect(error.message).toContain(`${BROKEN_DATA[type].path}: `);
  });

  it('given the same broken data, when created, then createEvent refuses to build it', () => {
    expect(() => createEvent(type, BROKEN_DATA[type].data as never, SAMPLE_OPTIONS)).toThrow(EventParseError);
  });
});

describe('parseEvent', () => {
  it('given handoff.requested with an unknown toChannel, then the message matches the documented format', () => {
    const event = { ...sampleEvent('handoff.requested') };
    const raw = { ...event, data: { ...event.data, toChannel: 'fax' } };

    const error = expectParseFailure(raw);

    expect(error.message).toBe(
      'handoff.requested: data.toChannel: Invalid option: expected one of "voice"|"whatsapp"|"webchat"|"sms"',
    );
    expect(error.issues).toEqual([
      {
        path: 'data.toChannel',
        message: 'Invalid option: expected one of "voice"|"whatsapp"|"webchat"|"sms"',
      },
    ]);
  });

  it('given an unknown type, then it says so and names the type', () => {
    const error = expectParseFailure({ ...sampleEvent('handoff.failed'), type: 'handoff.teleported' });

    expect(error.code).toBe('unknown_type');
    expect(error.message).toBe('type: unknown event type "handoff.teleported"');
  });

  it('given no type, then the error names the type field', () => {
    const { type: _type, ...rest } = sampleEvent('handoff.failed');

    const error = expectParseFailure(rest);

    expect(error.code).toBe('unknown_type');
    expect(error.message).toBe('type: required');
  });

  it('given invalid JSON holding a phone number, then it says invalid JSON without echoing the body', () => {
    const error = expectParseFailure(
      `{"type":"message.received","data":{"sender":{"phone":"${SAMPLE_PHONE}"`,
    );

    expect(error.code).toBe('invalid_json');
    expect(error.message).toMatch(/^\(root\): invalid JSON/);
    expect(error.message).not.toContain('4255550123');
  });

  it('given bytes that are not UTF-8, then it reports invalid JSON', () => {
    const error = expectParseFailure(new Uint8Array([0xff, 0xfe, 0x7b]));

    expect(error.code).toBe('invalid_json');
    expect(error.message).toContain('not UTF-8');
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['number', 42],
  ])('given JSON that is %s, then it says an event must be an object', (label, value) => {
    const error = expectParseFailure(JSON.stringify(value));

    expect(error.code).toBe('not_an_object');
    expect(error.message).toContain(`got ${label}`);
  });

  it('given a subject that is not the customerId, then the error names subject', () => {
    const event = { ...sampleEvent('handoff.completed'), subject: 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C5' };

    const error = expectParseFailure(event);

    expect(error.message).toBe('handoff.completed: subject: must equal data.customerId');
  });

  it('given an agent event whose subject is not the agent id, then the error names subject', () => {
    const event = { ...sampleEvent('agent.availability.changed'), subject: 'agent-7' };

    expect(expectParseFailure(event).message).toBe(
      'agent.availability.changed: subject: must equal data.agentId',
    );
  });

  it('given an invalid phone number in the data, then the message names the field but not the number', () => {
    const event = sampleEvent('handoff.requested');
    const raw = { ...event, data: { ...event.data, address: { phone: '+4479111234' } } };

    const error = expectParseFailure(raw);

    expect(error.message).toContain('data.address.phone: must be a valid phone number in E.164 form');
    expect(error.message).not.toContain('79111234');
  });

  it('given a newer minor dataVersion, then it is accepted; a new major version is rejected', () => {
    const event = sampleEvent('call.queued');

    expect(parseEvent({ ...event, dataVersion: '1.3' }).ok).toBe(true);
    expect(expectParseFailure({ ...event, dataVersion: '2.0' }).message).toBe(
      'call.queued: dataVersion: must have major version 1 (this consumer reads 1.0)',
    );
  });

  it('given a time without an offset, then the error names time', () => {
    const error = expectParseFailure({ ...sampleEvent('call.queued'), time: '2025-01-31T09:30:00' });

    expect(error.issues.map((issue) => issue.path)).toEqual(['time']);
  });

  it('given unknown extra data fields from a newer producer, then they are dropped, not rejected', () => {
    const event = sampleEvent('handoff.expired');

    const result = parseEvent({ ...event, data: { ...event.data, reasonCode: 'ttl' } });

    expect(result).toEqual({ ok: true, event });
  });
});

describe('createEvent', () => {
  it('given only source and correlationId, then id, time, causationId and subject are defaulted', () => {
    const before = Date.now();

    const event = createEvent('handoff.completed', SAMPLE_DATA['handoff.completed'], {
      source: '/apps/whatsapp-adapter',
      correlationId: 'corr-9',
    });

    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(event.time)).toBeLessThanOrEqual(Date.now());
    expect(event.causationId).toBeNull();
    expect(event.subject).toBe(SAMPLE_CUSTOMER_ID);
    expect(event.source).toBe('/apps/whatsapp-adapter');
  });

  it('given two events, then their ids differ', () => {
    expect(sampleEvent('call.queued').id).not.toBe(sampleEvent('call.queued').id);
  });

  it('given non-customer events, then the subject defaults to the agent id, queue name or sender key', () => {
    expect(sampleEvent('agent.availability.changed').subject).toBe('agent-42');
    expect(sampleEvent('queue.status.changed').subject).toBe('billing');
    expect(sampleEvent('message.received').subject).toBe(`phone:${SAMPLE_PHONE}`);
  });

  it('given an explicit subject that is not the customerId, then it throws naming subject', () => {
    expect(() =>
      createEvent('handoff.failed', SAMPLE_DATA['handoff.failed'], {
        ...SAMPLE_OPTIONS,
        subject: 'someone-else',
      }),
    ).toThrow('handoff.failed: subject: must equal data.customerId');
  });

  it('given a Date as time, then it is written as ISO 8601', () => {
    const event = createEvent('call.queued', SAMPLE_DATA['call.queued'], {
      ...SAMPLE_OPTIONS,
      time: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
    });

    expect(event.time).toBe('2025-01-02T03:04:05.000Z');
  });

  it('given an empty correlationId, then it throws naming correlationId', () => {
    expect(() =>
      createEvent('call.queued', SAMPLE_DATA['call.queued'], { ...SAMPLE_OPTIONS, correlationId: '' }),
    ).toThrow(/call\.queued: correlationId: /);
  });

  it('given an unknown type at runtime, then it throws unknown_type', () => {
    expect(() => createEvent('nope' as EventType, {} as never, SAMPLE_OPTIONS)).toThrow(
      'type: unknown event type "nope"',
    );
  });
});

describe('defineEvent and buildEvent', () => {
  const noted = defineEvent('test.noted', z.object({ note: z.string() }), { description: 'A note.' });

  it('given an event type with no subject field, when no subject is passed, then buildEvent requires one', () => {
    expect(() => buildEvent(noted, { note: 'hi' }, SAMPLE_OPTIONS)).toThrow('test.noted: subject: required');
  });

  it('given an explicit subject, then the event is built', () => {
    expect(buildEvent(noted, { note: 'hi' }, { ...SAMPLE_OPTIONS, subject: 'ops' }).subject).toBe('ops');
  });

  it('given a malformed dataVersion, then defineEvent refuses it', () => {
    expect(() => defineEvent('test.bad', z.object({}), { description: 'x', dataVersion: 'one' })).toThrow(
      /dataVersion/,
    );
  });
});

describe('handoff rules', () => {
  const requested = SAMPLE_DATA['handoff.requested'];
  const dispatched = SAMPLE_DATA['handoff.dispatched'];

  function issuesOf(type: 'handoff.requested' | 'handoff.dispatched', data: object) {
    const result = eventDefinitions[type].data.safeParse(data);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('given toChannel equal to fromChannel, then handoff.requested is rejected on toChannel', () => {
    expect(issuesOf('handoff.requested', { ...requested, toChannel: 'voice' })).toEqual([
      'toChannel: must differ from fromChannel',
    ]);
  });

  it('given toChannel equal to fromChannel, then handoff.dispatched is rejected on toChannel', () => {
    expect(issuesOf('handoff.dispatched', { ...dispatched, fromChannel: 'webchat' })).toContain(
      'toChannel: must differ from fromChannel',
    );
  });

  it('given a web chat link delivered by SMS, then it is accepted', () => {
    expect(issuesOf('handoff.dispatched', { ...dispatched, deliveryChannel: 'sms' })).toEqual([]);
  });

  it('given a WhatsApp handoff delivered by SMS, then deliveryChannel must be whatsapp', () => {
    expect(
      issuesOf('handoff.dispatched', {
        ...dispatched,
        toChannel: 'whatsapp',
        deliveryChannel: 'sms',
        link: undefined,
      }),
    ).toEqual(['deliveryChannel: must be "whatsapp" when toChannel is "whatsapp"']);
  });

  it('given a web chat handoff without a link, then link is required', () => {
    expect(issuesOf('handoff.dispatched', { ...dispatched, link: undefined })).toEqual([
      'link: is required when toChannel is "webchat"',
    ]);
  });

  it('given an SMS delivery without a phone, then address.phone is required', () => {
    expect(
      issuesOf('handoff.dispatched', {
        ...dispatched,
        deliveryChannel: 'sms',
        address: { webchatUserId: 'dl_1' },
      }),
    ).toEqual(['address.phone: is required when deliveryChannel is "sms"']);
  });

  it('given a WhatsApp delivery to a BSUID only, then it is accepted', () => {
    expect(
      issuesOf('handoff.dispatched', { ...dispatched, address: { whatsappBsuid: 'US.1234567890' } }),
    ).toEqual([]);
  });

  it('given an empty address, then it is rejected', () => {
    expect(issuesOf('handoff.requested', { ...requested, address: {} })).toEqual([
      'address: must have at least one of phone, whatsappBsuid, webchatUserId',
    ]);
  });
});

describe('message.received rules', () => {
  const sample = SAMPLE_DATA['message.received'];

  function issuesOf(data: object) {
    const result = eventDefinitions['message.received'].data.safeParse(data);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('given a BSUID-only WhatsApp sender keyed by the BSUID, then it is accepted', () => {
    expect(
      issuesOf({ ...sample, sender: { whatsappBsuid: 'US.99' }, senderKey: 'whatsapp-bsuid:US.99' }),
    ).toEqual([]);
  });

  it('given a senderKey that is none of the sender identities, then senderKey is rejected', () => {
    expect(issuesOf({ ...sample, senderKey: 'phone:+447911123456' })).toEqual([
      'senderKey: must be the identity key of one of the sender fields',
    ]);
  });

  it('given no sender identity at all, then sender is rejected', () => {
    expect(issuesOf({ ...sample, sender: {} })).toEqual([
      'sender: must have at least one of phone, whatsappBsuid, webchatUserId',
    ]);
  });

  it('given a web chat message without a Direct Line user id, then sender.webchatUserId is required', () => {
    expect(issuesOf({ ...sample, channel: 'webchat' })).toContain(
      'sender.webchatUserId: is required on webchat',
    );
  });

  it('given a text message without text, then text is required', () => {
    expect(issuesOf({ ...sample, kind: 'text', text: undefined })).toEqual([
      'text: is required when kind is "text"',
    ]);
  });

  it('given a media message without media, then media is required', () => {
    expect(issuesOf({ ...sample, kind: 'media' })).toEqual(['media: is required when kind is "media"']);
  });
});

describe('isEventOfType', () => {
  it('given a parsed event, then it narrows to the matching type only', () => {
    const result = parseEvent(JSON.stringify(sampleEvent('handoff.dispatched')));
    if (!result.ok) throw result.error;
    const event: OmniEvent = result.event;

    expect(isEventOfType(event, 'handoff.requested')).toBe(false);
    if (!isEventOfType(event, 'handoff.dispatched')) throw new Error('expected handoff.dispatched');
    // Compiles only because the event is narrowed: deliveryChannel exists on handoff.dispatched alone.
    expect(event.data.deliveryChannel).toBe('whatsapp');
  });
});

import type { MessageTemplate, TemplateNotificationContent } from '@azure-rest/communication-messages';
import { handoffDispatched } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import {
  type HandoffDispatchedData,
  type HandoffTemplateConfig,
  handoffNotice,
  isWithinServiceWindow,
  noticeRequestBody,
  textRequestBodies,
} from './handoff-notice.js';

const NOW = new Date('2025-03-02T12:00:00Z');
const OUTSIDE = { lastInboundAt: undefined, now: NOW };
const INSIDE = { lastInboundAt: '2025-03-02T08:00:00Z', now: NOW };

const TEMPLATE: HandoffTemplateConfig = {
  name: 'continue_conversation',
  language: 'en_US',
  bodyParameters: ['customerName', 'topic'],
};

function dispatched(overrides: Record<string, unknown> = {}): HandoffDispatchedData {
  return handoffDispatched.data.parse({
    handoffId: 'hnd_1',
    customerId: 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C4',
    fromChannel: 'voice',
    toChannel: 'whatsapp',
    deliveryChannel: 'whatsapp',
    address: { phone: '+14255550123' },
    tokenExpiresAt: '2025-03-02T12:15:00Z',
    customerName: 'Dana',
    topic: 'a billing question',
    dispatchedAt: '2025-03-02T12:00:00Z',
    ...overrides,
  });
}

function templateOf(notice: ReturnType<typeof handoffNotice>): MessageTemplate {
  if (notice.kind !== 'template') throw new Error(`expected a template, got ${notice.kind}`);
  return notice.template;
}

describe('isWithinServiceWindow', () => {
  it('given a message 23h59m ago, then inside; 24h ago, then outside; never, then outside', () => {
    const at = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
    expect(isWithinServiceWindow({ lastInboundAt: at(24 * 3_600_000 - 60_000), now: NOW })).toBe(true);
    expect(isWithinServiceWindow({ lastInboundAt: at(24 * 3_600_000), now: NOW })).toBe(false);
    expect(isWithinServiceWindow({ lastInboundAt: undefined, now: NOW })).toBe(false);
  });
});

describe('handoffNotice', () => {
  it('given no inbound in 24 h, when notified, then the configured template goes out with values and WhatsApp bindings', () => {
    const notice = handoffNotice(dispatched(), OUTSIDE, TEMPLATE);
    expect(notice).toMatchObject({ kind: 'template', to: '+14255550123' });
    expect(templateOf(notice)).toEqual({
      name: 'continue_conversation',
      language: 'en_US',
      values: [
        { kind: 'text', name: 'customerName', text: 'Dana' },
        { kind: 'text', name: 'topic', text: 'a billing question' },
      ],
      bindings: { kind: 'whatsApp', body: [{ refValue: 'customerName' }, { refValue: 'topic' }] },
    });
  });

  it('given a body parameter order in config, when notified, then bindings follow that order ({{1}}, {{2}})', () => {
    const notice = handoffNotice(dispatched(), OUTSIDE, {
      ...TEMPLATE,
      bodyParameters: ['topic', 'customerName'],
    });
    const template = templateOf(notice);
    expect(template.bindings).toEqual({
      kind: 'whatsApp',
      body: [{ refValue: 'topic' }, { refValue: 'customerName' }],
    });
  });

  it('given no customerName or topic, when notified by template, then safe non-empty fallbacks are used', () => {
    const notice = handoffNotice(
      dispatched({ customerName: undefined, topic: undefined }),
      OUTSIDE,
      TEMPLATE,
    );
    expect(templateOf(notice).values).toEqual([
      { kind: 'text', name: 'customerName', text: 'there' },
      { kind: 'text', name: 'topic', text: 'your request' },
    ]);
  });

  it('given a topic with new lines (rejected by WhatsApp in parameters), when notified, then whitespace is collapsed', () => {
    const notice = handoffNotice(dispatched({ topic: 'late\n\tdelivery     refund' }), OUTSIDE, TEMPLATE);
    expect(templateOf(notice).values?.[1]).toEqual({
      kind: 'text',
      name: 'topic',
      text: 'late delivery refund',
    });
  });

  it('given quick-reply payloads in config, when notified, then quickAction values and button bindings are added', () => {
    const notice = handoffNotice(dispatched(), OUTSIDE, { ...TEMPLATE, quickReplyPayloads: ['continue'] });
    const template = templateOf(notice);
    expect(template.values?.at(-1)).toEqual({
      kind: 'quickAction',
      name: 'quickReply1',
      payload: 'continue',
    });
    expect(template.bindings).toMatchObject({
      buttons: [{ subType: 'quickReply', refValue: 'quickReply1' }],
    });
  });

  it('given an inbound 4 h ago, when notified, then plain text goes out instead of a template', () => {
    const notice = handoffNotice(dispatched(), INSIDE, TEMPLATE);
    expect(notice.kind).toBe('text');
    if (notice.kind === 'text') {
      expect(notice.content).toContain('Dana');
      expect(notice.content).toContain('a billing question');
    }
  });

  it('given a web chat handoff inside the window, when notified, then the text carries the link', () => {
    const link = 'https://chat.example.com/continue?t=abc123';
    const notice = handoffNotice(dispatched({ toChannel: 'webchat', link }), INSIDE, TEMPLATE);
    expect(notice).toMatchObject({ kind: 'text' });
    if (notice.kind === 'text') expect(notice.content).toContain(link);
  });

  it('given a web chat handoff outside the window and a template with a link parameter, then the link is bound', () => {
    const link = 'https://chat.example.com/continue?t=abc123';
    const config: HandoffTemplateConfig = { ...TEMPLATE, bodyParameters: ['customerName', 'link'] };
    const template = templateOf(handoffNotice(dispatched({ toChannel: 'webchat', link }), OUTSIDE, config));
    expect(template.values).toContainEqual({ kind: 'text', name: 'link', text: link });
  });

  it('given a web chat handoff outside the window and a template without a link, then nothing is sent', () => {
    const link = 'https://chat.example.com/continue?t=abc123';
    expect(handoffNotice(dispatched({ toChannel: 'webchat', link }), OUTSIDE, TEMPLATE)).toEqual({
      kind: 'none',
      reason: 'template-lacks-link',
    });
  });

  it('given a notice to be delivered by SMS, when asked, then WhatsApp sends nothing', () => {
    const link = 'https://chat.example.com/continue?t=abc123';
    const event = dispatched({ toChannel: 'webchat', deliveryChannel: 'sms', link });
    expect(handoffNotice(event, OUTSIDE, TEMPLATE)).toEqual({ kind: 'none', reason: 'not-whatsapp' });
  });

  it('given only a BSUID address, when notified, then the template goes to the BSUID (ACS accepts them as recipients)', () => {
    const event = dispatched({ address: { whatsappBsuid: 'US.13491208655302741918' } });
    expect(handoffNotice(event, OUTSIDE, TEMPLATE)).toMatchObject({
      kind: 'template',
      to: 'US.13491208655302741918',
    });
  });

  it('given a number and a BSUID, when notified, then the number is used', () => {
    const event = dispatched({
      address: { phone: '+14255550123', whatsappBsuid: 'US.13491208655302741918' },
    });
    expect(handoffNotice(event, OUTSIDE, TEMPLATE)).toMatchObject({ kind: 'template', to: '+14255550123' });
  });
});

describe('noticeRequestBody / textRequestBodies', () => {
  it('given a template notice, when turned into an SDK body, then it is a TemplateNotificationContent', () => {
    const notice = handoffNotice(dispatched(), OUTSIDE, TEMPLATE);
    if (notice.kind === 'none') throw new Error('expected a notice');
    const body = noticeRequestBody(notice, 'channel-reg-1') as TemplateNotificationContent;
    expect(body).toEqual({
      kind: 'template',
      channelRegistrationId: 'channel-reg-1',
      to: ['+14255550123'],
      template: templateOf(notice),
    });
  });

  it('given split parts, when turned into SDK bodies, then one text body per part in order', () => {
    expect(textRequestBodies(['one', 'two'], '+14255550123', 'reg')).toEqual([
      { kind: 'text', channelRegistrationId: 'reg', to: ['+14255550123'], content: 'one' },
      { kind: 'text', channelRegistrationId: 'reg', to: ['+14255550123'], content: 'two' },
    ]);
  });
});

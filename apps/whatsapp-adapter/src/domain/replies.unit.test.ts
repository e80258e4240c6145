import { MessageKind } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { goesToAgent, MEDIA_REPLY, replyForInboundKind, UNSUPPORTED_REPLY } from './replies.js';

describe('replyForInboundKind', () => {
  it('given a media message, when answered, then the polite attachments reply is used', () => {
    expect(replyForInboundKind('media')).toBe(MEDIA_REPLY);
    expect(MEDIA_REPLY).toMatch(/^I can't open attachments yet/);
  });

  it('given an unsupported message, when answered, then a canned reply is used (it is not silently dropped)', () => {
    expect(replyForInboundKind('unsupported')).toBe(UNSUPPORTED_REPLY);
  });

  it('given messages for the agent or a reaction, when answered, then there is no canned reply', () => {
    for (const kind of ['text', 'button', 'interactive', 'reaction'] as const) {
      expect(replyForInboundKind(kind)).toBeUndefined();
    }
  });

  it('given every message kind, when classified, then exactly one of agent / canned reply / reaction applies', () => {
    for (const kind of MessageKind.options) {
      const handled = [goesToAgent(kind), replyForInboundKind(kind) !== undefined, kind === 'reaction'];
      expect(handled.filter(Boolean)).toHaveLength(1);
    }
  });
});

import { newCustomerId } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { customerDocumentSchema, parseDocument } from './documents.js';
import { CorruptDocumentError } from './errors.js';

const id = newCustomerId();
const valid = {
  id,
  type: 'customer',
  customerId: id,
  displayName: null,
  identities: ['phone:+14258821234'],
  foundryConversationId: null,
  mergedConversationIds: [],
  conversationLease: null,
  summary: null,
  collectedData: {},
  sessions: [],
  consent: {},
  lastInboundAt: {},
  version: 1,
  createdAt: '2025-06-01T09:00:00.000Z',
  updatedAt: '2025-06-01T09:00:00.000Z',
};

describe('parseDocument', () => {
  it('given a valid customer document, when parsed, then it comes back without Cosmos system fields', () => {
    const parsed = parseDocument(customerDocumentSchema, 'customers', { ...valid, _rid: 'x', _ts: 1 });
    expect(parsed.customerId).toBe(id);
    expect(parsed).not.toHaveProperty('_rid');
  });

  it('given a session with an unknown channel, when parsed, then the error names the field path', () => {
    const corrupt = {
      ...valid,
      sessions: [{ channel: 'fax', sessionId: 's', startedAt: 'x', endedAt: null, status: 'active' }],
    };
    expect(() => parseDocument(customerDocumentSchema, 'customers', corrupt)).toThrow(CorruptDocumentError);
    expect(() => parseDocument(customerDocumentSchema, 'customers', corrupt)).toThrow(
      /"sessions\.0\.channel"/,
    );
  });

  it('given a non-numeric version, when parsed, then the error names the version field', () => {
    const corrupt = { ...valid, version: 'one' };
    expect(() => parseDocument(customerDocumentSchema, 'customers', corrupt)).toThrow(/field "version"/);
  });
});

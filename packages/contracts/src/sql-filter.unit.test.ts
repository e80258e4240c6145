import { describe, expect, it } from 'vitest';
import { compileSqlFilter, type FilterSubject, SqlFilterError, type SqlValue } from './sql-filter.js';

function subject(user: Record<string, SqlValue>, system: Record<string, SqlValue> = {}): FilterSubject {
  return {
    user: (name) => user[name],
    system: (name) =>
      system[Object.keys(system).find((key) => key.toLowerCase() === name.toLowerCase()) ?? ''],
  };
}

const message = subject(
  { type: 'handoff.dispatched', deliveryChannel: 'whatsapp', priority: 3, urgent: true, note: '50% off_now' },
  {
    MessageId: 'm-1',
    Label: 'handoff',
    CorrelationId: 'corr-9',
    To: 'whatsapp',
    ContentType: 'application/json',
    SessionId: 'cust-1',
    ReplyTo: 'replies',
  },
);

function matches(expression: string): boolean {
  return compileSqlFilter(expression).matches(message);
}

describe('SQL filter evaluator', () => {
  it.each([
    ["type = 'handoff.dispatched' AND deliveryChannel = 'whatsapp'", true],
    ["type = 'handoff.dispatched' AND deliveryChannel = 'webchat'", false],
    ["deliveryChannel <> 'webchat'", true],
    ["deliveryChannel != 'whatsapp'", false],
    ['priority > 2', true],
    ['priority < 3', false],
    ['priority >= 3 AND priority <= 3', true],
    ['priority = 3.0', true],
    ['priority + 1 = 4', true],
    ['-priority < 0', true],
    ["type = 'handoff.requested' OR deliveryChannel = 'whatsapp'", true],
    ["NOT (deliveryChannel = 'whatsapp')", false],
    ["(type = 'x' OR type = 'handoff.dispatched') AND NOT priority = 1", true],
    ["type IN ('handoff.requested', 'handoff.dispatched')", true],
    ["type NOT IN ('handoff.requested', 'handoff.dispatched')", false],
    ['missing IS NULL', true],
    ['missing IS NOT NULL', false],
    ['type IS NOT NULL', true],
    ["type LIKE 'handoff.%'", true],
    ["type LIKE 'handoff._ispatched'", true],
    ["type NOT LIKE '%requested'", true],
    ["note LIKE '50!% off!_now' ESCAPE '!'", true],
    ["note LIKE '50!% off!_no' ESCAPE '!'", false],
    ['1=1', true],
    ['1=0', false],
    ['urgent = TRUE', true],
    ['urgent = false', false],
    ["user.deliveryChannel = 'whatsapp'", true],
    ["[deliveryChannel] = 'whatsapp'", true],
    ["sys.MessageId = 'm-1'", true],
    ["sys.Label = 'handoff'", true],
    ["sys.CorrelationId = 'corr-9' AND sys.To = 'whatsapp'", true],
    ["sys.ContentType = 'application/json' AND sys.SessionId = 'cust-1' AND sys.ReplyTo = 'replies'", true],
    ['EXISTS(priority) AND NOT EXISTS(missing)', true],
    ["'it''s' = 'it''s'", true],
  ])('%s -> %s', (expression, expected) => {
    expect(matches(expression)).toBe(expected);
  });

  it('treats a comparison with a missing property as unknown: neither it nor its negation matches', () => {
    expect(matches("missing = 'x'")).toBe(false);
    expect(matches("NOT (missing = 'x')")).toBe(false);
    expect(matches("missing = 'x' OR 1=1")).toBe(true);
    expect(matches("missing NOT IN ('x')")).toBe(false);
  });

  it('does not coerce between strings and numbers', () => {
    expect(matches("priority = '3'")).toBe(false);
  });

  it('rejects expressions that do not parse', () => {
    expect(() => compileSqlFilter("type = 'open")).toThrow(SqlFilterError);
    expect(() => compileSqlFilter('type =')).toThrow(SqlFilterError);
    expect(() => compileSqlFilter("newid() = 'x'")).toThrow(/not supported/);
    expect(() => compileSqlFilter("type = 'a' 'b'")).toThrow(SqlFilterError);
  });
});

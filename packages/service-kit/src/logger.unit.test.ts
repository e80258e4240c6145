import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhoneNumbersIn, redactUrl } from './logger.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  const logger = createLogger({ service: 'test', level: 'debug', destination: stream });
  return { logger, lines };
}

describe('maskPhoneNumbersIn', () => {
  it('given E.164 and national numbers in text, when masked, then only the last 4 digits remain', () => {
    expect(maskPhoneNumbersIn('call +14255550123 now')).toBe('call +*******0123 now');
    expect(maskPhoneNumbersIn('UK 07700 900123.')).toBe('UK *******0123.');
    expect(maskPhoneNumbersIn('whatsapp:+447700900123')).toBe('whatsapp:+********0123');
  });

  it('given ids that contain digit runs, when masked, then UUIDs and ISO timestamps are left intact', () => {
    const id = '12345678-1234-4234-8234-123456789012';
    expect(maskPhoneNumbersIn(id)).toBe(id);
    expect(maskPhoneNumbersIn('at 2026-11-23T09:30:00.000Z')).toBe('at 2026-11-23T09:30:00.000Z');
    expect(maskPhoneNumbersIn('cust_01JDX7Q4M2')).toBe('cust_01JDX7Q4M2');
  });
});

describe('redactUrl', () => {
  it('given credentials in the query string, when redacted, then their values are gone and others kept', () => {
    const out = redactUrl('/api/events?code=s3cr3t&tenant=abc&handoff=tok.en');
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('tok.en');
    expect(out).toContain('tenant=abc');
  });
});

describe('createLogger', () => {
  it('given message content and phone numbers in a log object, when logged, then content is redacted and phones masked', async () => {
    const { logger, lines } = capture();
    logger.info(
      {
        text: 'my account number is 1234',
        data: { text: 'secret', from: '+14255550123' },
        customerId: 'cust_1',
      },
      'inbound from +14255550123',
    );
    await new Promise((r) => setImmediate(r));
    const line = lines[0] as Record<string, unknown> & { data: Record<string, unknown> };
    expect(line.text).toBe('[redacted]');
    expect(line.data.text).toBe('[redacted]');
    expect(line.data.from).toBe('+*******0123');
    expect(line.msg).toBe('inbound from +*******0123');
    expect(line.customerId).toBe('cust_1');
    expect(JSON.stringify(lines)).not.toContain('4255550123');
  });

  it('given content nested deep, an error whose message, stack and properties carry a number and a body, and an escalation reason, when logged, then none of it reaches the line', async () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('send to +447700900123 failed: "I can\'t pay my bill"'), {
      request: { body: '{"to":"+447700900123","text":"my address is 14 Cardigan Road"}' },
    });
    logger.error(
      {
        err: error,
        event: { data: { message: { text: 'my address is 14 Cardigan Road', summary: 'owes money' } } },
        reason: 'customer says they are in hospital and cannot pay',
        customerId: 'cust_1',
      },
      'turn failed',
    );
    await new Promise((r) => setImmediate(r));
    const out = JSON.stringify(lines);
    expect(out).not.toContain('447700900123');
    expect(out).not.toContain('Cardigan');
    expect(out).not.toContain('hospital');
    expect(out).not.toContain('owes money');
    const line = lines[0] as { err: { message: string; stack: string; type: string }; customerId: string };
    expect(line.err.message).toContain('+********0123');
    expect(line.err.stack).toContain('+********0123');
    expect(line.err.type).toBe('Error');
    expect(line.customerId).toBe('cust_1');
  });
});

import { ConfigError } from '@omni/service-kit';
import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';

const base = {
  SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1/;SharedAccessKeyName=x;SharedAccessKey=y',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
};

describe('config', () => {
  it('given only the required variables, when read, then the documented defaults apply', () => {
    expect(readConfig(base)).toMatchObject({
      PORT: 7074,
      HANDOFF_EXPIRY: 900_000,
      HANDOFF_WAIT_TIME_THRESHOLD_SECONDS: 120,
      HANDOFF_QUEUE_DEPTH_THRESHOLD: 50,
      HANDOFF_FALLBACK: 'sms-link',
      HANDOFF_ENABLED_CHANNELS: ['whatsapp', 'webchat', 'sms'],
      MESSAGING_HUMAN_QUEUE: 'support',
    });
  });

  it.each([
    ['PT2M', 120_000],
    ['45', 45_000],
  ])('given HANDOFF_EXPIRY=%s, when read, then it is %d ms', (value, ms) => {
    expect(readConfig({ ...base, HANDOFF_EXPIRY: value }).HANDOFF_EXPIRY).toBe(ms);
  });

  it('given a bad expiry and an unknown channel, when read, then one error names both', () => {
    const message = failureOf({ ...base, HANDOFF_EXPIRY: 'soon', HANDOFF_ENABLED_CHANNELS: 'fax' });
    expect(message).toContain('HANDOFF_EXPIRY');
    expect(message).toContain('HANDOFF_ENABLED_CHANNELS');
  });

  it('given an Entra tenant without an audience, when read, then it fails naming the audience', () => {
    expect(failureOf({ ...base, OPS_ENTRA_TENANT_ID: 'tenant' })).toContain('OPS_ENTRA_AUDIENCE');
  });
});

function failureOf(env: Record<string, string>): string {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

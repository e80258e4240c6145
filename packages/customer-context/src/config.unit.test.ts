import { describe, expect, it } from 'vitest';
import { customerContextConfig, parseCustomerContextConfig } from './config.js';

const base = { COSMOS_ENDPOINT: 'http://127.0.0.1:8081', HANDOFF_TOKEN_KEY: 'k'.repeat(32) };

describe('customer context config', () => {
  it('given only the required variables, when parsed, then the defaults apply', () => {
    const config = parseCustomerContextConfig(base);
    expect(config).toEqual({ ...base, COSMOS_DATABASE: 'omnichannel', DEFAULT_PHONE_REGION: 'US' });
  });

  it('given a 31-byte token key, when parsed, then it is rejected without echoing the key', () => {
    const secret = 's'.repeat(31);
    expect(() => parseCustomerContextConfig({ ...base, HANDOFF_TOKEN_KEY: secret })).toThrow(
      /HANDOFF_TOKEN_KEY/,
    );
    try {
      parseCustomerContextConfig({ ...base, HANDOFF_TOKEN_KEY: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('given empty strings and a lower-case region, when parsed, then empties are unset and the region is upper-cased', () => {
    const config = parseCustomerContextConfig({
      ...base,
      COSMOS_KEY: '',
      REDIS_URL: '',
      DEFAULT_PHONE_REGION: 'gb',
    });
    expect(config.COSMOS_KEY).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.DEFAULT_PHONE_REGION).toBe('GB');
  });

  it('given a non-redis REDIS_URL, when parsed, then it is rejected', () => {
    expect(() => parseCustomerContextConfig({ ...base, REDIS_URL: 'http://cache:6379' })).toThrow(
      /REDIS_URL/,
    );
  });

  it('given the shape, when spread into a service schema, then it carries every variable', () => {
    expect(Object.keys(customerContextConfig).sort()).toEqual(
      [
        'COSMOS_DATABASE',
        'COSMOS_ENDPOINT',
        'COSMOS_KEY',
        'DEFAULT_PHONE_REGION',
        'HANDOFF_TOKEN_KEY',
        'REDIS_URL',
      ].sort(),
    );
  });
});

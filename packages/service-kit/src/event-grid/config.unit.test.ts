import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkEventGridAuthConfig, eventGridAuthConfig } from './config.js';

const schema = z.object(eventGridAuthConfig).superRefine(checkEventGridAuthConfig);

describe('eventGridAuthConfig', () => {
  it('given no secret and no Entra settings, when parsed, then it fails: a webhook never runs open', () => {
    expect(schema.safeParse({}).success).toBe(false);
    expect(schema.safeParse({ EVENTGRID_ENTRA_TENANT_ID: 't' }).success).toBe(false);
  });

  it('given a secret, or both Entra settings, when parsed, then it is accepted; a short secret is not', () => {
    expect(schema.safeParse({ EVENTGRID_WEBHOOK_SECRET: 's'.repeat(16) }).success).toBe(true);
    expect(schema.safeParse({ EVENTGRID_ENTRA_TENANT_ID: 't', EVENTGRID_ENTRA_AUDIENCE: 'a' }).success).toBe(
      true,
    );
    expect(schema.safeParse({ EVENTGRID_WEBHOOK_SECRET: 'short' }).success).toBe(false);
  });
});

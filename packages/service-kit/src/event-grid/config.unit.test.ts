import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkEventGridAuthConfig, eventGridAuthConfig, eventGridAuthFrom } from './config.js';

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

  it('given two comma-separated secrets (a rotation), when parsed and built, then both are accepted secrets; a short one is refused', () => {
    const config = schema.parse({ EVENTGRID_WEBHOOK_SECRET: `${'a'.repeat(16)}, ${'b'.repeat(20)}` });
    expect(eventGridAuthFrom(config).sharedSecret?.secret).toEqual(['a'.repeat(16), 'b'.repeat(20)]);
    expect(schema.safeParse({ EVENTGRID_WEBHOOK_SECRET: `${'a'.repeat(16)},short` }).success).toBe(false);
  });

  it('given Entra settings, when built, then tokens must hold the Event Grid app role unless it is set to none', () => {
    const tenant = {
      EVENTGRID_ENTRA_TENANT_ID: '72f988bf-0000-4000-8000-000000000001',
      EVENTGRID_ENTRA_AUDIENCE: 'api://x',
    };
    expect(eventGridAuthFrom(schema.parse(tenant)).entra?.requiredRoles).toEqual([
      'AzureEventGridSecureWebhookSubscriber',
    ]);
    expect(
      eventGridAuthFrom(schema.parse({ ...tenant, EVENTGRID_ENTRA_ROLE: 'none' })).entra?.requiredRoles,
    ).toBeUndefined();
    expect(
      eventGridAuthFrom(schema.parse({ ...tenant, EVENTGRID_ENTRA_ALLOWED_CLIENTS: 'a, b' })).entra
        ?.authorizedParties,
    ).toEqual(['a', 'b']);
  });
});

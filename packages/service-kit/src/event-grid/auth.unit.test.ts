import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCredentialCheck, entraAuthForTenant } from './auth.js';
import { TENANT_ID } from './test-support/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('entraAuthForTenant', () => {
  it('given a tenant, when built, then it accepts v2.0 and v1.0 issuers and the audience without fetching any key', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in unit tests'));

    const auth = entraAuthForTenant({ tenantId: TENANT_ID, audience: ['api://omni', 'client-id'] });

    expect(auth.issuer).toEqual([
      `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
      `https://sts.windows.net/${TENANT_ID}/`,
    ]);
    expect(auth.audience).toEqual(['api://omni', 'client-id']);
    expect(typeof auth.keys).toBe('function');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('given a domain name instead of the tenant GUID, when built, then it throws', () => {
    expect(() => entraAuthForTenant({ tenantId: 'contoso.onmicrosoft.com', audience: 'api://omni' })).toThrow(
      /tenant GUID/,
    );
  });

  it('given authorizedParties, when built, then they are kept', () => {
    const auth = entraAuthForTenant({ tenantId: TENANT_ID, audience: 'x', authorizedParties: ['eg-app'] });

    expect(auth.authorizedParties).toEqual(['eg-app']);
  });
});

describe('createCredentialCheck', () => {
  it('given no method, when built, then it throws', () => {
    expect(() => createCredentialCheck({})).toThrow(/auth must configure/);
  });

  it('given an Entra config without audience, when built, then it throws', () => {
    expect(() =>
      createCredentialCheck({ entra: { audience: [], issuer: 'i', keys: async () => new Uint8Array() } }),
    ).toThrow(/audience/);
  });
});

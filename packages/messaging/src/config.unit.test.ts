import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkServiceBusConfig, serviceBusConfig, serviceBusConnectionOf } from './config.js';

const schema = z.object(serviceBusConfig).superRefine(checkServiceBusConfig);

describe('serviceBusConfig', () => {
  it('given neither variable, when parsed, then it fails naming both', () => {
    const result = schema.safeParse({});
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('SERVICEBUS_NAMESPACE');
  });

  it('given a connection string or a namespace, when read, then the connection uses it (the string first)', () => {
    expect(serviceBusConnectionOf(schema.parse({ SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://x' }))).toEqual(
      {
        connectionString: 'Endpoint=sb://x',
      },
    );
    expect(
      serviceBusConnectionOf(schema.parse({ SERVICEBUS_NAMESPACE: 'ns.servicebus.windows.net' })),
    ).toEqual({
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    });
  });
});

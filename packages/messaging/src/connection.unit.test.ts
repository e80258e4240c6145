import { describe, expect, it } from 'vitest';
import { amqpPortOf } from './connection.js';

describe('amqpPortOf', () => {
  it('given the emulator connection string, then its endpoint port, else 5672', () => {
    const emulator = 'SharedAccessKeyName=k;SharedAccessKey=s;UseDevelopmentEmulator=true';
    expect(amqpPortOf({ connectionString: `Endpoint=sb://127.0.0.1:40123;${emulator}` })).toBe(40123);
    expect(amqpPortOf({ connectionString: `Endpoint=sb://localhost;${emulator}` })).toBe(5672);
  });

  it('given an Azure namespace (connection string or managed identity), then AMQPS 5671', () => {
    expect(
      amqpPortOf({
        connectionString: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s',
      }),
    ).toBe(5671);
    expect(amqpPortOf({ fullyQualifiedNamespace: 'ns.servicebus.windows.net' })).toBe(5671);
  });
});

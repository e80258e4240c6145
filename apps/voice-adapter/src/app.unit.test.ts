import { unauthorized } from '@omni/service-kit';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

const config = readConfig({
  SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  ACS_CONNECTION_STRING: 'endpoint=http://127.0.0.1:1/;accesskey=a2V5',
  VOICE_CALLBACK_BASE_URL: 'http://127.0.0.1:7071',
  EVENTGRID_WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
  LOG_LEVEL: 'silent',
});

function appWith(callbackAuth?: () => Promise<void>) {
  const calls: string[] = [];
  const app = buildApp({
    config,
    flow: {
      incomingCall: async () => {
        calls.push('incoming');
      },
      callback: async (ref) => {
        calls.push(`callback:${ref}`);
      },
    },
    ...(callbackAuth ? { callbackAuth } : {}),
  });
  return { app, calls };
}

describe('voice-adapter routes', () => {
  it('given an ACS JWT check that refuses, when a callback arrives, then 401 and the flow never sees it', async () => {
    const { app, calls } = appWith(async () => {
      throw unauthorized('no token');
    });
    const response = await app.inject({
      method: 'POST',
      url: '/api/callbacks/r1?secret=s',
      payload: [
        { id: 'e1', type: 'Microsoft.Communication.CallConnected', data: { callConnectionId: 'c1' } },
      ],
    });
    expect(response.statusCode).toBe(401);
    expect(calls).toEqual([]);
    await app.close();
  });

  it('given an ACS JWT check that accepts, when a callback arrives, then the flow handles it', async () => {
    const { app, calls } = appWith(async () => {});
    const response = await app.inject({ method: 'POST', url: '/api/callbacks/r1?secret=s', payload: [] });
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual(['callback:r1']);
    await app.close();
  });

  it('given no Event Grid secret, when IncomingCall is posted, then 401', async () => {
    const { app, calls } = appWith();
    const response = await app.inject({
      method: 'POST',
      url: '/api/incoming-call',
      headers: { 'aeg-event-type': 'Notification' },
      payload: [],
    });
    expect(response.statusCode).toBe(401);
    expect(calls).toEqual([]);
    await app.close();
  });
});

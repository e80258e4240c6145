import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { channelRegistrationCheck, readConfig } from './config.js';
import { HandoffMessageLog } from './handoff-messages.js';

/** What azd gives the adapter on the first deploy: everything but the WhatsApp channel id (nobody registered yet). */
const FIRST_DEPLOY = {
  SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  ACS_MESSAGES_CONNECTION_STRING: 'endpoint=http://127.0.0.1:8085/;accesskey=a2V5',
  WHATSAPP_CHANNEL_REGISTRATION_ID: '',
  EVENTGRID_WEBHOOK_SECRET: 's'.repeat(24),
};

describe('whatsapp-adapter before WhatsApp is registered', () => {
  it('given no channel registration id, when the config is read, then it loads (the adapter starts degraded)', () => {
    const config = readConfig(FIRST_DEPLOY);
    expect(config.WHATSAPP_CHANNEL_REGISTRATION_ID).toBeUndefined();
  });

  it('given no channel registration id, when /healthz and /readyz are asked, then both answer 200 and readiness says WhatsApp is not registered', async () => {
    const config = readConfig(FIRST_DEPLOY);
    const app = buildApp({
      config,
      logger: pino({ level: 'silent' }),
      publisher: { publish: async () => {}, publishAll: async () => {} },
      handoffMessages: new HandoffMessageLog(),
      readiness: { 'whatsapp-channel': channelRegistrationCheck(config) },
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks['whatsapp-channel'].note).toContain('WhatsApp not registered');
    } finally {
      await app.close();
    }
  });

  it('given a channel registration id, when readiness runs, then the check carries no note', async () => {
    const config = readConfig({ ...FIRST_DEPLOY, WHATSAPP_CHANNEL_REGISTRATION_ID: 'channel-1' });
    expect(await channelRegistrationCheck(config)()).toBeUndefined();
  });
});

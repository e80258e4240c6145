import { type Config, readConfig } from '@omni/whatsapp-adapter/dist/config.js';

/** The webhook secret every bench and fault suite uses (local only). */
export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

/** The WhatsApp channel id of local runs (the adapter's is optional: unset until WhatsApp is registered). */
export const BENCH_CHANNEL_REGISTRATION_ID = '00000000-0000-4000-8000-000000000000';

/** The whatsapp-adapter's configuration for local runs; placeholders where a run does not reach a dependency. */
export function whatsappConfig(overrides: Record<string, string | undefined> = {}): Config {
  return readConfig({
    SERVICEBUS_CONNECTION_STRING:
      'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;',
    COSMOS_ENDPOINT: 'http://127.0.0.1:1',
    COSMOS_KEY: 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
    HANDOFF_TOKEN_KEY: 'bench-handoff-token-key-0123456789-abcdefghijkl',
    ACS_MESSAGES_CONNECTION_STRING: 'endpoint=http://127.0.0.1:1/;accesskey=AAAA',
    WHATSAPP_CHANNEL_REGISTRATION_ID: BENCH_CHANNEL_REGISTRATION_ID,
    EVENTGRID_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Load comes from few senders in bursts: the per-sender limit is not what is measured.
    WHATSAPP_RATE_BURST: '100000',
    WHATSAPP_RATE_PER_MINUTE: '1000000',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

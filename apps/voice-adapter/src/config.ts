import { checkConversationConfig, conversationConfig } from '@omni/conversation';
import { customerContextConfigWithoutTokens } from '@omni/customer-context';
import { checkServiceBusConfig, serviceBusConfig } from '@omni/messaging';
import {
  checkEventGridAuthConfig,
  eventGridAuthConfig,
  loadConfig,
  port,
  serviceBaseConfig,
} from '@omni/service-kit';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** Configuration of the voice-adapter, from environment variables (and an optional .env file). */
export const configSchema = z
  .object({
    ...serviceBaseConfig,
    ...customerContextConfigWithoutTokens,
    PORT: port(7071),
    ...serviceBusConfig,
    ACS_CONNECTION_STRING: z
      .string()
      .regex(/endpoint=.+;accesskey=.+/i, 'must look like endpoint=https://...;accesskey=...')
      .optional(),
    ACS_ENDPOINT: z
      .url({ message: 'must be a URL, e.g. https://<resource>.communication.azure.com' })
      .optional(),
    /** The public base URL ACS calls back (`<base>/api/callbacks/<call>?secret=...`). */
    VOICE_CALLBACK_BASE_URL: z.url({ message: 'must be the public base URL of this service' }),
    COGNITIVE_SERVICES_ENDPOINT: z.url().optional(),
    /** When set, callbacks must carry ACS's signed JWT with this audience (the ACS resource's immutable id). */
    ACS_CALLBACK_AUDIENCE: z.string().min(1).optional(),
    /** Where the callback tokens' keys are published; default ACS's own (the local emulator serves one too). */
    ACS_CALLBACK_OPENID_CONFIGURATION: z.url().optional(),
    ...eventGridAuthConfig,
    HANDOFF_WAIT_TIME_THRESHOLD_SECONDS: nonNegativeInt(120),
    HANDOFF_QUEUE_DEPTH_THRESHOLD: nonNegativeInt(50),
    VOICE_HUMAN_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]*$/, 'must be a queue name')
      .default('support'),
    /** Re-prompts after silence or no match before the call is ended politely. */
    VOICE_MAX_REPROMPTS: nonNegativeInt(2),
    /** The neural voice prompts are spoken with. */
    VOICE_NAME: z.string().min(1).default('en-US-JennyNeural'),
    /** Silence between two estimated-wait announcements while a caller is on hold, in seconds. */
    VOICE_HOLD_PAUSE_SECONDS: nonNegativeInt(20),
    /** The ACS identity a `call.assigned` agent id maps to; `{agentId}` is replaced. E.164 agent ids are dialled as numbers. */
    VOICE_AGENT_TARGET_TEMPLATE: z.string().includes('{agentId}').default('8:acs:{agentId}'),
    /** Seconds a call's state is kept after the last change (Redis TTL / Cosmos ttl). */
    VOICE_CALL_STATE_TTL_SECONDS: positiveInt(24 * 60 * 60),
    ...conversationConfig,
  })
  .superRefine((config, ctx) => {
    checkServiceBusConfig(config, ctx);
    if (config.ACS_CONNECTION_STRING === undefined && config.ACS_ENDPOINT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ACS_CONNECTION_STRING'],
        message: 'set ACS_CONNECTION_STRING (access key) or ACS_ENDPOINT (managed identity)',
      });
    }
    checkEventGridAuthConfig(config, ctx);
    checkConversationConfig(config, ctx);
  });

/** The voice-adapter's validated configuration. */
export type Config = z.infer<typeof configSchema>;

const LOCAL = 'run `pnpm start` for the local sandbox, or `azd env get-values` for a deployed environment';

/** How to obtain each variable, shown when it is missing or invalid. */
export const configHints: Partial<Record<keyof Config, string>> = {
  COSMOS_ENDPOINT: LOCAL,
  HANDOFF_TOKEN_KEY:
    'the same key as the channel-router: `openssl rand -base64 48` locally, or `azd env get-values`',
  SERVICEBUS_CONNECTION_STRING: LOCAL,
  SERVICEBUS_NAMESPACE: LOCAL,
  ACS_CONNECTION_STRING: `${LOCAL} (locally the ACS calling emulator prints it)`,
  ACS_ENDPOINT: LOCAL,
  VOICE_CALLBACK_BASE_URL: `${LOCAL}; the public https URL of this service (a dev tunnel when ACS is real)`,
  EVENTGRID_WEBHOOK_SECRET: `${LOCAL}; it is the \`code\` query parameter of the Event Grid subscription's endpoint`,
  FOUNDRY_PROJECT_ENDPOINT: LOCAL,
};

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'voice-adapter', env, hints: configHints });
}

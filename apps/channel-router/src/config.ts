import { Channel, parseIsoDuration } from '@omni/contracts';
import { customerContextConfig } from '@omni/customer-context';
import { checkServiceBusConfig, serviceBusConfig } from '@omni/messaging';
import { loadConfig, port, serviceBaseConfig } from '@omni/service-kit';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** `HANDOFF_EXPIRY`: an ISO 8601 duration (`PT15M`) or a number of seconds; milliseconds out. */
const expiry = z
  .string()
  .default('PT15M')
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : parseIsoDuration(value.trim());
    if (ms === undefined || !Number.isFinite(ms) || ms < 1000 || ms > 86_400_000) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an ISO 8601 duration (PT15M) or seconds, from 1 s to 24 h',
      });
      return z.NEVER;
    }
    return ms;
  });

/** Configuration of the channel-router, from environment variables (and an optional .env file). */
export const configSchema = z
  .object({
    ...serviceBaseConfig,
    ...customerContextConfig,
    PORT: port(7074),
    ...serviceBusConfig,
    /** Ops API key (header `x-api-key` or `Authorization: ApiKey <key>`). */
    OPS_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    OPS_ENTRA_TENANT_ID: z.string().min(1).optional(),
    OPS_ENTRA_AUDIENCE: z.string().min(1).optional(),
    /**
     * The app role an Entra token must hold to use the ops API (assigned to operators and the apps they use);
     * any other app of the tenant with a token for the audience is refused.
     */
    OPS_ENTRA_ROLE: z.string().min(1).default('Omni.Ops'),
    /**
     * The app role an Entra token must hold, on top of OPS_ENTRA_ROLE, to erase a customer (destructive and
     * irreversible: given to fewer people than the ops console). API keys are not split by role.
     */
    OPS_ENTRA_PRIVACY_ROLE: z.string().min(1).default('Omni.Privacy'),
    /** Client ids (`azp` / `appid`) allowed to call the ops API, comma-separated; unset: any holder of the role. */
    OPS_ENTRA_ALLOWED_CLIENTS: z.string().optional(),
    /** Base of web chat handoff links: `${WEBCHAT_PUBLIC_URL}/?handoff=<token>`. */
    WEBCHAT_PUBLIC_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .default('http://127.0.0.1:7073'),
    HANDOFF_EXPIRY: expiry,
    HANDOFF_WAIT_TIME_THRESHOLD_SECONDS: positiveInt(120),
    HANDOFF_QUEUE_DEPTH_THRESHOLD: positiveInt(50),
    /** What a failed or expired handoff falls back to. */
    HANDOFF_FALLBACK: z.enum(['sms-link', 'callback', 'none']).default('sms-link'),
    /** Handoff messages (templates, links) one phone number may be sent per day: nobody can make us spam a number. */
    HANDOFF_MAX_PER_DESTINATION_PER_DAY: z.coerce.number().int().min(1).default(3),
    /** Comma-separated channels handoffs may go to. */
    HANDOFF_ENABLED_CHANNELS: z
      .string()
      .default('whatsapp,webchat,sms')
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      )
      .pipe(z.array(Channel).min(1, 'must list at least one channel')),
    /** Unchanged queue snapshots are published at most (and at least) this often. */
    QUEUE_STATUS_INTERVAL_SECONDS: positiveInt(10),
    /** How often saved but unsent saga outboxes are re-published (also once on start). */
    OUTBOX_SWEEP_INTERVAL_SECONDS: positiveInt(30),
    /** Dead letters older than this are removed (they hold customer messages). */
    DEAD_LETTER_RETENTION_DAYS: positiveInt(7),
    /** How often dead-letter queues are counted (`messaging_dead_letters`) and purged. */
    DEAD_LETTER_CHECK_INTERVAL_SECONDS: positiveInt(60),
    /** How often interrupted customer erasures are looked for and finished (also once on start). */
    ERASURE_RESUME_INTERVAL_SECONDS: positiveInt(60),
    /** How long an erasure's runner holds it after its last step; a crashed runner's erasure resumes after that. */
    ERASURE_LEASE_SECONDS: positiveInt(300),
    /** The Foundry project whose conversations customer export reads and erasure deletes; unset: none are. */
    FOUNDRY_PROJECT_ENDPOINT: z.url().optional(),
    /** Key prefix of the voice adapter's call state in the shared Redis (erasure removes a customer's calls). */
    VOICE_REDIS_PREFIX: z.string().min(1).default('voice:'),
    /** Service level target: the share of items answered within this many seconds is reported. */
    SERVICE_LEVEL_TARGET_SECONDS: positiveInt(20),
    /** Average handle time assumed before any contact was handled. */
    DEFAULT_HANDLE_TIME_SECONDS: positiveInt(300),
    /** The human queue escalations (messaging, callbacks) wait in. */
    MESSAGING_HUMAN_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]*$/, 'must be a queue name')
      .default('support'),
  })
  .superRefine((config, ctx) => {
    checkServiceBusConfig(config, ctx);
    if ((config.OPS_ENTRA_TENANT_ID === undefined) !== (config.OPS_ENTRA_AUDIENCE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['OPS_ENTRA_AUDIENCE'],
        message: 'set both OPS_ENTRA_TENANT_ID and OPS_ENTRA_AUDIENCE, or neither',
      });
    }
  });

/** The channel-router's validated configuration. */
export type Config = z.infer<typeof configSchema>;

const LOCAL = 'run `pnpm start` for the local sandbox, or `azd env get-values` for a deployed environment';

/** How to obtain each variable, shown when it is missing or invalid. */
export const configHints: Partial<Record<keyof Config, string>> = {
  COSMOS_ENDPOINT: LOCAL,
  HANDOFF_TOKEN_KEY:
    'the same key as the adapters: `openssl rand -base64 48` locally, or `azd env get-values`',
  SERVICEBUS_CONNECTION_STRING: LOCAL,
  SERVICEBUS_NAMESPACE: LOCAL,
  OPS_API_KEY: 'any random string of 16+ characters, e.g. `openssl rand -base64 24`',
  OPS_ENTRA_TENANT_ID: LOCAL,
  OPS_ENTRA_AUDIENCE: LOCAL,
  HANDOFF_EXPIRY: 'an ISO 8601 duration such as PT15M, or seconds such as 900',
};

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'channel-router', env, hints: configHints });
}

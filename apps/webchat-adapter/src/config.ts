import { checkConversationConfig, conversationConfig } from '@omni/conversation';
import { customerContextConfig } from '@omni/customer-context';
import { checkServiceBusConfig, serviceBusConfig } from '@omni/messaging';
import { envBoolean, loadConfig, port, serviceBaseConfig } from '@omni/service-kit';
import { z } from 'zod';

/** Direct Line's public endpoint (Azure Bot Service). */
export const AZURE_DIRECTLINE_ENDPOINT = 'https://directline.botframework.com';

/** A comma-separated list of http(s) origins; empty by default. */
function originList() {
  return z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, message: 'must be http(s) origins' })));
}

/** Configuration of the webchat-adapter, from environment variables (and an optional .env file). */
export const configSchema = z
  .object({
    ...serviceBaseConfig,
    ...customerContextConfig,
    PORT: port(7073),
    ...serviceBusConfig,
    /** The bot's app registration (Azure Bot resource): the audience of Bot Framework JWTs. */
    MicrosoftAppId: z.string().min(1).optional(),
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('UserAssignedMSI'),
    MicrosoftAppTenantId: z.string().min(1).optional(),
    MicrosoftAppPassword: z.string().min(1).optional(),
    /**
     * The Entra authority the bot's tokens come from (JWKS `<authority>/discovery/v2.0/keys`, issuer
     * `<authority>/v2.0`); default Entra's. Locally the Direct Line emulator's (`http:`, client credentials).
     */
    BOT_AUTH_AUTHORITY: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    /** Least time between two streamed updates of a reply (the Agents SDK's Direct Line default: 500 ms). */
    WEBCHAT_STREAM_INTERVAL_MS: z.coerce.number().int().min(0).max(5000).default(500),
    /** Switches Bot Framework authentication off: only for the local Direct Line emulator. */
    BOT_AUTH_DISABLED: envBoolean(false),
    /** The Direct Line secret (Azure); locally optional, the emulator accepts any. */
    DIRECTLINE_SECRET: z.string().min(1).optional(),
    /** The Direct Line base URL: the local emulator's, or Azure's public endpoint by default. */
    DIRECTLINE_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    /** The public base URL of the web chat page (handoff links are `${WEBCHAT_PUBLIC_URL}/?handoff=...`). */
    WEBCHAT_PUBLIC_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    /**
     * Origins (comma-separated) allowed to ask for a Direct Line token and redeem handoff links from a browser,
     * besides the page's own origin (`WEBCHAT_PUBLIC_URL`, or the request's host). Cross-site requests are refused.
     */
    WEBCHAT_ALLOWED_ORIGINS: originList(),
    /** Token requests (new chats, handoff links) one client IP may make back to back, then per minute. */
    WEBCHAT_TOKEN_BURST_PER_IP: z.coerce.number().int().min(1).default(20),
    WEBCHAT_TOKEN_PER_MINUTE_PER_IP: z.coerce.number().positive().default(30),
    /** Token requests one browser (web user cookie) may make back to back, then per minute. */
    WEBCHAT_TOKEN_BURST_PER_USER: z.coerce.number().int().min(1).default(5),
    WEBCHAT_TOKEN_PER_MINUTE_PER_USER: z.coerce.number().positive().default(10),
    /** Messages one web user may send back to back, then per minute (each costs a model turn). */
    WEBCHAT_MESSAGE_BURST_PER_USER: z.coerce.number().int().min(1).default(10),
    WEBCHAT_MESSAGES_PER_MINUTE_PER_USER: z.coerce.number().positive().default(20),
    /** How many earlier turns the page shows when a known customer comes back. */
    WEBCHAT_RECENT_TURNS: z.coerce.number().int().min(0).max(50).default(6),
    /** Origins allowed to show the page in a frame (comma-separated), e.g. the local sandbox; none by default. */
    WEBCHAT_FRAME_ANCESTORS: originList(),
    ...conversationConfig,
    /** The human queue escalations wait in; its `queue.status.changed` snapshots answer `check_queue_status`. */
    MESSAGING_HUMAN_QUEUE: z.string().min(1).default('support'),
  })
  .superRefine((config, ctx) => {
    checkServiceBusConfig(config, ctx);
    const azure = azureSettingsIn(config);
    if (config.BOT_AUTH_DISABLED && azure.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['BOT_AUTH_DISABLED'],
        message: `must not be true with Azure settings (${azure.join(', ')}): it would accept unauthenticated activities in production. It is only for the local Direct Line emulator`,
      });
    }
    if (!config.BOT_AUTH_DISABLED && config.MicrosoftAppId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppId'],
        message: 'is required unless BOT_AUTH_DISABLED=true (local Direct Line emulator only)',
      });
    }
    if (
      !config.BOT_AUTH_DISABLED &&
      config.MicrosoftAppType !== 'MultiTenant' &&
      config.MicrosoftAppTenantId === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppTenantId'],
        message: `is required when MicrosoftAppType is ${config.MicrosoftAppType}`,
      });
    }
    if (
      !config.BOT_AUTH_DISABLED &&
      config.MicrosoftAppType !== 'UserAssignedMSI' &&
      config.MicrosoftAppPassword === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppPassword'],
        message: `is required when MicrosoftAppType is ${config.MicrosoftAppType}`,
      });
    }
    if (config.DIRECTLINE_SECRET === undefined && config.DIRECTLINE_ENDPOINT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['DIRECTLINE_SECRET'],
        message: 'set DIRECTLINE_SECRET (Azure) or DIRECTLINE_ENDPOINT (local Direct Line emulator)',
      });
    }
    checkConversationConfig(config, ctx);
  });

const AZURE_HOST = /(^|\.)(azure\.com|windows\.net|botframework\.com|azure\.us|azure\.cn)$/i;

function azureHost(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return AZURE_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * The settings that show the adapter runs against Azure rather than the local emulators: a bot app
 * registration, or an endpoint on an Azure host (Direct Line's public endpoint is the default).
 */
export function azureSettingsIn(config: {
  MicrosoftAppId?: string | undefined;
  MicrosoftAppPassword?: string | undefined;
  DIRECTLINE_ENDPOINT?: string | undefined;
  SERVICEBUS_NAMESPACE?: string | undefined;
  COSMOS_ENDPOINT?: string | undefined;
}): string[] {
  const found: string[] = [];
  if (config.MicrosoftAppId !== undefined) found.push('MicrosoftAppId');
  if (config.MicrosoftAppPassword !== undefined) found.push('MicrosoftAppPassword');
  if (config.DIRECTLINE_ENDPOINT === undefined) found.push('DIRECTLINE_ENDPOINT (unset: Azure Direct Line)');
  else if (azureHost(config.DIRECTLINE_ENDPOINT)) found.push('DIRECTLINE_ENDPOINT');
  if (config.SERVICEBUS_NAMESPACE !== undefined) found.push('SERVICEBUS_NAMESPACE');
  if (azureHost(config.COSMOS_ENDPOINT)) found.push('COSMOS_ENDPOINT');
  return found;
}

/** The webchat-adapter's validated configuration. */
export type Config = z.infer<typeof configSchema>;

const LOCAL = 'run `pnpm start` for the local sandbox, or `azd env get-values` for a deployed environment';

/** How to obtain each variable, shown when it is missing or invalid. */
export const configHints: Partial<Record<keyof Config, string>> = {
  COSMOS_ENDPOINT: LOCAL,
  HANDOFF_TOKEN_KEY:
    'the same key as the channel-router: `openssl rand -base64 48` locally, or `azd env get-values`',
  SERVICEBUS_CONNECTION_STRING: LOCAL,
  SERVICEBUS_NAMESPACE: LOCAL,
  MicrosoftAppId: `${LOCAL}; in Azure: the Azure Bot resource's Microsoft App ID`,
  MicrosoftAppTenantId: LOCAL,
  DIRECTLINE_SECRET: `${LOCAL}; in Azure: the Direct Line channel's secret of the Azure Bot resource`,
  DIRECTLINE_ENDPOINT: `${LOCAL} (locally the Direct Line emulator's base URL)`,
  FOUNDRY_PROJECT_ENDPOINT: LOCAL,
};

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'webchat-adapter', env, hints: configHints });
}

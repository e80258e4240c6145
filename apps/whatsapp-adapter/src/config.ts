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
import type { HandoffTemplateConfig, TemplateParameterSource } from './domain/index.js';

const TEMPLATE_SOURCES = ['customerName', 'topic', 'link'] as const;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Configuration of the whatsapp-adapter, from environment variables (and an optional .env file). */
export const configSchema = z
  .object({
    ...serviceBaseConfig,
    ...customerContextConfigWithoutTokens,
    PORT: port(7072),
    ...serviceBusConfig,
    ACS_MESSAGES_CONNECTION_STRING: z
      .string()
      .regex(/endpoint=.+;accesskey=.+/i, 'must look like endpoint=https://...;accesskey=...')
      .optional(),
    ACS_ENDPOINT: z
      .url({ message: 'must be a URL, e.g. https://<resource>.communication.azure.com' })
      .optional(),
    /**
     * The WhatsApp channel of the ACS resource. Unset until someone registers WhatsApp (infra/README.md): the
     * adapter then runs degraded (ready, readiness notes it, handoffs to WhatsApp fail over) so a first deploy works.
     */
    WHATSAPP_CHANNEL_REGISTRATION_ID: z.string().min(1).optional(),
    ...eventGridAuthConfig,
    WHATSAPP_TEMPLATE_NAME: z.string().min(1).default('continue_conversation'),
    WHATSAPP_TEMPLATE_LANGUAGE: z.string().min(2).default('en_US'),
    /** Comma-separated body parameters in order, each one of customerName, topic, link. */
    WHATSAPP_TEMPLATE_PARAMETERS: z
      .string()
      .default('customerName,topic')
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      )
      .pipe(z.array(z.enum(TEMPLATE_SOURCES))),
    /** The approved template that carries a web chat link (used outside the 24-hour window). */
    WHATSAPP_WEBCHAT_TEMPLATE_NAME: z.string().min(1).default('continue_in_webchat'),
    /** Its body parameters in order; must include `link`. */
    WHATSAPP_WEBCHAT_TEMPLATE_PARAMETERS: z
      .string()
      .default('customerName,topic,link')
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      )
      .pipe(z.array(z.enum(TEMPLATE_SOURCES)))
      .refine(
        (parameters) => parameters.includes('link'),
        'must include link (the template carries the web chat link)',
      ),
    /**
     * The resource's SMS-enabled number (E.164) the SMS-link fallback is sent from. Without it a handoff to be
     * delivered by SMS fails at once (the router then queues a callback).
     */
    SMS_FROM_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +18005550100')
      .optional(),
    WHATSAPP_RATE_BURST: positiveInt(10),
    WHATSAPP_RATE_PER_MINUTE: positiveInt(30),
    ...conversationConfig,
    /** The human queue escalations wait in; its `queue.status.changed` snapshots answer `check_queue_status`. */
    MESSAGING_HUMAN_QUEUE: z.string().min(1).default('support'),
  })
  .superRefine((config, ctx) => {
    checkServiceBusConfig(config, ctx);
    if (config.ACS_MESSAGES_CONNECTION_STRING === undefined && config.ACS_ENDPOINT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ACS_MESSAGES_CONNECTION_STRING'],
        message: 'set ACS_MESSAGES_CONNECTION_STRING (access key) or ACS_ENDPOINT (managed identity)',
      });
    }
    checkEventGridAuthConfig(config, ctx);
    checkConversationConfig(config, ctx);
  });

/** The whatsapp-adapter's validated configuration. */
export type Config = z.infer<typeof configSchema>;

const LOCAL = 'run `pnpm start` for the local sandbox, or `azd env get-values` for a deployed environment';

/** How to obtain each variable, shown when it is missing or invalid. */
export const configHints: Partial<Record<keyof Config, string>> = {
  COSMOS_ENDPOINT: LOCAL,
  HANDOFF_TOKEN_KEY:
    'the same key as the channel-router: `openssl rand -base64 48` locally, or `azd env get-values`',
  SERVICEBUS_CONNECTION_STRING: LOCAL,
  SERVICEBUS_NAMESPACE: LOCAL,
  ACS_MESSAGES_CONNECTION_STRING: `${LOCAL} (locally the ACS messages emulator prints it)`,
  ACS_ENDPOINT: LOCAL,
  WHATSAPP_CHANNEL_REGISTRATION_ID: `${LOCAL}; in Azure: the WhatsApp channel id of the Communication Services resource`,
  EVENTGRID_WEBHOOK_SECRET: `${LOCAL}; it is the \`code\` query parameter of the Event Grid subscription's endpoint`,
  EVENTGRID_ENTRA_TENANT_ID: LOCAL,
  EVENTGRID_ENTRA_AUDIENCE: LOCAL,
  WHATSAPP_TEMPLATE_PARAMETERS:
    'comma-separated, each one of customerName, topic, link (e.g. customerName,topic)',
  FOUNDRY_PROJECT_ENDPOINT: LOCAL,
  SMS_FROM_NUMBER: `${LOCAL}; in Azure: a number of the Communication Services resource with SMS enabled`,
};

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'whatsapp-adapter', env, hints: configHints });
}

/** The readiness note while WhatsApp is not registered. */
export const WHATSAPP_NOT_REGISTERED =
  'WhatsApp not registered: set WHATSAPP_CHANNEL_REGISTRATION_ID (infra/README.md, "Register the WhatsApp channel")';

/** A readiness check that passes, with a note while the WhatsApp channel is not registered. */
export function channelRegistrationCheck(config: Config): () => Promise<string | undefined> {
  return async () =>
    config.WHATSAPP_CHANNEL_REGISTRATION_ID === undefined ? WHATSAPP_NOT_REGISTERED : undefined;
}

/** The handoff template settings from the configuration. */
export function templateConfigOf(config: Config): HandoffTemplateConfig {
  return {
    name: config.WHATSAPP_TEMPLATE_NAME,
    language: config.WHATSAPP_TEMPLATE_LANGUAGE,
    bodyParameters: config.WHATSAPP_TEMPLATE_PARAMETERS as TemplateParameterSource[],
  };
}

/** The template for a web chat link handed over by WhatsApp. */
export function webchatTemplateConfigOf(config: Config): HandoffTemplateConfig {
  return {
    name: config.WHATSAPP_WEBCHAT_TEMPLATE_NAME,
    language: config.WHATSAPP_TEMPLATE_LANGUAGE,
    bodyParameters: config.WHATSAPP_WEBCHAT_TEMPLATE_PARAMETERS as TemplateParameterSource[],
  };
}

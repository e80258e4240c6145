import type { normalizePhone } from '@omni/contracts';
import { z } from 'zod';

/** A region code `normalizePhone` accepts (ISO 3166-1 alpha-2, e.g. `US`, `GB`). */
export type PhoneRegion = NonNullable<Parameters<typeof normalizePhone>[1]>;

/** The smallest handoff token key, in bytes (HMAC-SHA256 wants a key as long as its output). */
export const MIN_HANDOFF_TOKEN_KEY_BYTES = 32;

/**
 * The environment variables of the customer context, as a zod shape. Services spread it into their own
 * schema: `z.object({ ...serviceBaseConfig, ...customerContextConfig })`.
 *
 * - `COSMOS_ENDPOINT`: account endpoint (`https://<account>.documents.azure.com:443/`, locally `http://127.0.0.1:8081`).
 * - `COSMOS_KEY`: master key, for the local emulator only; absent in Azure (`DefaultAzureCredential`).
 * - `COSMOS_DATABASE`: default `omnichannel`.
 * - `REDIS_URL`: optional hot cache (`redis://…`, `rediss://…`); absent: an in-process LRU.
 * - `HANDOFF_TOKEN_KEY`: HMAC key of handoff tokens, at least 32 bytes.
 * - `DEFAULT_PHONE_REGION`: region national phone numbers are read in, default `US`.
 */
/** The handoff token key's schema (HMAC-SHA256, at least 32 bytes). */
export const handoffTokenKeySchema = z
  .string()
  .refine((key) => Buffer.byteLength(key, 'utf8') >= MIN_HANDOFF_TOKEN_KEY_BYTES, {
    message: `must be at least ${MIN_HANDOFF_TOKEN_KEY_BYTES} bytes (e.g. openssl rand -base64 48)`,
  });

export const customerContextConfig = {
  COSMOS_ENDPOINT: z.url({ message: 'must be a URL, e.g. https://<account>.documents.azure.com:443/' }),
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('omnichannel'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'must be a redis:// or rediss:// URL' }).optional(),
  HANDOFF_TOKEN_KEY: handoffTokenKeySchema,
  DEFAULT_PHONE_REGION: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter region code, e.g. US or GB')
    .transform((value) => value.toUpperCase() as PhoneRegion)
    .default('US' as PhoneRegion),
};

/**
 * {@link customerContextConfig} for a service that never issues or redeems handoff tokens (voice, WhatsApp):
 * the key is optional there, so a secret it does not need is never handed to it (least privilege).
 */
export const customerContextConfigWithoutTokens = {
  ...customerContextConfig,
  HANDOFF_TOKEN_KEY: handoffTokenKeySchema.optional(),
};

/** The customer context settings as a zod object schema. */
export const customerContextConfigSchema = z.object(customerContextConfig);

/** Parsed customer context settings. */
export type CustomerContextConfig = z.infer<typeof customerContextConfigSchema>;

/**
 * Parses the customer context settings from an environment (empty strings count as unset). Services with
 * their own config loader spread {@link customerContextConfig} instead. Error messages never echo values.
 */
export function parseCustomerContextConfig(
  env: Record<string, string | undefined> = process.env,
): CustomerContextConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(customerContextConfig)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = customerContextConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
  throw new Error(`invalid customer context configuration: ${problems.join('; ')}`);
}

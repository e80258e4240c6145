import { loadConfig, port, serviceBaseConfig } from '@omni/service-kit';
import { z } from 'zod';

/** `name=url` pairs, comma-separated (services to show, links to offer). */
const serviceList = z
  .string()
  .transform((value, ctx) => {
    const out: { name: string; url: string }[] = [];
    for (const pair of value.split(',').filter(Boolean)) {
      const [name, url] = pair.split('=');
      if (!name || !url || !URL.canParse(url)) {
        ctx.addIssue({ code: 'custom', message: `expected name=url pairs, got "${pair}"` });
        return z.NEVER;
      }
      out.push({ name: name.trim(), url: url.trim() });
    }
    return out;
  })
  .default([]);

/** Configuration of the sandbox host. */
export const configSchema = z.object({
  ...serviceBaseConfig,
  PORT: port(7070),
  SANDBOX_SERVICES: serviceList,
  /** Extra links for the page (emulator inspection APIs), as `label=url` pairs. */
  SANDBOX_LINKS: serviceList,
  /** The ACS Call Automation emulator (the simulated caller lives there). */
  ACS_CALLING_EMULATOR_URL: z.url().optional(),
  /** The ACS Advanced Messaging emulator (the simulated WhatsApp phone lives there). */
  ACS_MESSAGES_EMULATOR_URL: z.url().optional(),
  /** The Service Bus emulator's inspection API (dead-letter counts). */
  SERVICEBUS_EMULATOR_URL: z.url().optional(),
  /** The channel-router's ops API key (the sandbox makes one per run and relays the ops console with it). */
  OPS_API_KEY: z.string().min(16).optional(),
  /** The human queue callers wait in (the voice adapter's `VOICE_HUMAN_QUEUE`). */
  SANDBOX_QUEUE: z.string().min(1).default('support'),
  /** Service Bus for the ops console's simulated load (the emulator's connection string). */
  SERVICEBUS_CONNECTION_STRING: z.string().min(1).optional(),
  /** The number the simulated customer uses on every channel. */
  SANDBOX_CUSTOMER_PHONE: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +14255550100')
    .default('+14255550100'),
});

/** The sandbox's validated configuration. */
export type Config = z.infer<typeof configSchema>;

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'sandbox', env });
}

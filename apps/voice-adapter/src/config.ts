import { loadConfig, port, serviceBaseConfig } from '@omni/service-kit';
import { z } from 'zod';

/** Configuration of the voice-adapter, from environment variables (and an optional .env file). */
export const configSchema = z.object({
  ...serviceBaseConfig,
  PORT: port(7071),
});

/** The voice-adapter's validated configuration. */
export type Config = z.infer<typeof configSchema>;

/** Reads the configuration, failing with one message that lists every missing or invalid variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, { service: 'voice-adapter', env });
}

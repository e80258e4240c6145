import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';

/** Where to get configuration when a variable is missing, unless a variable names its own hint. */
export const DEFAULT_CONFIG_HINT = 'run `pnpm start` for the local sandbox or `azd env get-values`';

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions<Keys extends string> {
  /** Service name, used in the error message. */
  service: string;
  /** The environment to read; `process.env` when omitted. */
  env?: Record<string, string | undefined>;
  /**
   * A dotenv file read underneath the environment (real variables win). `.env` in the working
   * directory by default; `false` reads none. A missing file is not an error.
   */
  envFile?: string | false;
  /** How to obtain each variable, shown when it is missing or invalid. */
  hints?: Partial<Record<Keys, string>>;
}

/** One missing or invalid variable. */
export interface ConfigProblem {
  variable: string;
  problem: 'missing' | 'invalid';
  message: string;
  hint: string;
}

/**
 * Thrown by {@link loadConfig}: lists every missing or invalid variable at once, each with a hint,
 * so a service fails at boot with one readable message instead of one error per restart.
 */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(service: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) =>
      p.problem === 'missing'
        ? `  - ${p.variable} is not set: ${p.hint}`
        : `  - ${p.variable} is invalid (${p.message}): ${p.hint}`,
    );
    const count =
      problems.length === 1 ? '1 configuration problem' : `${problems.length} configuration problems`;
    super(`${service} cannot start: ${count}\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads and validates a service's configuration from environment variables.
 * Values are never echoed in errors: they may be secrets.
 *
 * @example
 * const config = loadConfig(z.object({ PORT: port(7071), COSMOS_ENDPOINT: z.url() }), { service: 'router' });
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  options: LoadConfigOptions<Extract<keyof Shape, string>>,
): z.infer<z.ZodObject<Shape>> {
  const fromFile = readEnvFile(options.envFile);
  const env = { ...fromFile, ...(options.env ?? process.env) };
  // Treat empty strings as unset: `FOO=` in a .env file means "not configured".
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;

  const hints = (options.hints ?? {}) as Record<string, string | undefined>;
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of parsed.error.issues) {
    const variable = String(issue.path[0] ?? '(config)');
    if (seen.has(variable)) continue;
    seen.add(variable);
    const missing = input[variable] === undefined;
    problems.push({
      variable,
      problem: missing ? 'missing' : 'invalid',
      message: issue.message,
      hint: hints[variable] ?? DEFAULT_CONFIG_HINT,
    });
  }
  throw new ConfigError(options.service, problems);
}

function readEnvFile(envFile: string | false | undefined): Record<string, string> {
  if (envFile === false) return {};
  const path = resolve(envFile ?? '.env');
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** A TCP port variable with a default. */
export function port(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65_535).default(defaultPort);
}

/** A boolean variable: `true`/`false`/`1`/`0`/`yes`/`no`, case-insensitive. */
export function envBoolean(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE', 'True', 'False', 'YES', 'NO'], {
      message: 'expected true or false',
    })
    .transform((v) => ['true', '1', 'yes'].includes(v.toLowerCase()))
    .default(defaultValue);
}

/** Settings every service shares. Spread into a service's own schema: `z.object({ ...serviceBaseConfig, ... })`. */
export const serviceBaseConfig = {
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human-readable logs: for the local sandbox, not for production log pipelines. */
  LOG_PRETTY: envBoolean(false),
  /** Show internal error messages in 500 responses (never stacks). Local development only. */
  EXPOSE_ERRORS: envBoolean(false),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
} as const;

/** The inferred type of {@link serviceBaseConfig}. */
export type ServiceBaseConfig = z.infer<z.ZodObject<typeof serviceBaseConfig>>;

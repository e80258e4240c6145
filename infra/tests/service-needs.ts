import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, SERVICES, type Service, type TerraformConfig } from './support.ts';

/** The parts of a zod 4 object schema the checks use (duck-typed: the apps may resolve their own zod copy). */
export interface ObjectSchemaLike {
  readonly shape: Readonly<Record<string, { safeParse(value: unknown): { success: boolean } }>>;
}

/** Loads `configSchema` from apps/<service>/src/config.ts, as the service itself validates its environment. */
export async function loadConfigSchema(service: Service): Promise<ObjectSchemaLike> {
  const url = pathToFileURL(join(repoRoot, 'apps', service, 'src', 'config.ts')).href;
  const module = (await import(url)) as { configSchema?: ObjectSchemaLike };
  const schema = module.configSchema;
  if (schema === undefined || typeof schema.shape !== 'object') {
    throw new Error(`apps/${service}/src/config.ts does not export a zod object configSchema`);
  }
  return schema;
}

/** The variables a schema requires: those that fail to parse when unset (not optional, no default). */
export function requiredVariables(schema: ObjectSchemaLike): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([name]) => name);
}

/**
 * "One of A or B" requirements that schemas express in a superRefine. Each group lists its choices (a choice
 * is a set of variables that must all be present) and the one to use in Azure (managed identity, Key Vault).
 */
export interface AlternativeGroup {
  readonly choices: readonly (readonly string[])[];
  readonly azure: readonly string[];
}

/** The alternatives table (see the shared environment variable names in infra/README.md). */
export const ALTERNATIVES: readonly AlternativeGroup[] = [
  { choices: [['SERVICEBUS_CONNECTION_STRING'], ['SERVICEBUS_NAMESPACE']], azure: ['SERVICEBUS_NAMESPACE'] },
  {
    choices: [['ACS_MESSAGES_CONNECTION_STRING'], ['ACS_CONNECTION_STRING'], ['ACS_ENDPOINT']],
    azure: ['ACS_ENDPOINT'],
  },
  {
    choices: [['EVENTGRID_WEBHOOK_SECRET'], ['EVENTGRID_ENTRA_TENANT_ID', 'EVENTGRID_ENTRA_AUDIENCE']],
    azure: ['EVENTGRID_WEBHOOK_SECRET'],
  },
  { choices: [['OPS_API_KEY'], ['OPS_ENTRA_TENANT_ID', 'OPS_ENTRA_AUDIENCE']], azure: ['OPS_API_KEY'] },
  { choices: [['DIRECTLINE_SECRET'], ['DIRECTLINE_ENDPOINT']], azure: ['DIRECTLINE_SECRET'] },
];

/** Variables for local emulators only: setting them in Azure would mean keys where managed identity works. */
export const LOCAL_ONLY = [
  'COSMOS_KEY',
  'SERVICEBUS_CONNECTION_STRING',
  'ACS_CONNECTION_STRING',
  'ACS_MESSAGES_CONNECTION_STRING',
  'DIRECTLINE_ENDPOINT',
  'MicrosoftAppPassword',
  'NODE_EXTRA_CA_CERTS',
] as const;

const SHARED = [
  'PORT',
  'AZURE_CLIENT_ID',
  'SERVICEBUS_NAMESPACE',
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'REDIS_URL',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
];
const CONVERSATION = ['CONVERSATION_DRIVER', 'FOUNDRY_PROJECT_ENDPOINT', 'FOUNDRY_MODEL', 'SCENARIO'];

/**
 * The variables agreed for each service (the team's shared names), provided in Azure whether or not the
 * service's schema reads them yet: the services still being built gain them, and the deployment must not lag.
 */
export const AGREED_VARIABLES: Readonly<Record<Service, readonly string[]>> = {
  'voice-adapter': [
    ...SHARED,
    ...CONVERSATION,
    'ACS_ENDPOINT',
    'VOICE_CALLBACK_BASE_URL',
    'COGNITIVE_SERVICES_ENDPOINT',
    'HANDOFF_WAIT_TIME_THRESHOLD_SECONDS',
    'HANDOFF_QUEUE_DEPTH_THRESHOLD',
    'VOICE_HUMAN_QUEUE',
    'EVENTGRID_WEBHOOK_SECRET',
  ],
  'whatsapp-adapter': [
    ...SHARED,
    ...CONVERSATION,
    'ACS_ENDPOINT',
    'WHATSAPP_CHANNEL_REGISTRATION_ID',
    'EVENTGRID_WEBHOOK_SECRET',
  ],
  'webchat-adapter': [
    ...SHARED,
    'HANDOFF_TOKEN_KEY',
    ...CONVERSATION,
    'MicrosoftAppId',
    'MicrosoftAppType',
    'MicrosoftAppTenantId',
    'DIRECTLINE_SECRET',
    'WEBCHAT_PUBLIC_URL',
  ],
  'channel-router': [
    ...SHARED,
    'HANDOFF_TOKEN_KEY',
    'OPS_API_KEY',
    'WEBCHAT_PUBLIC_URL',
    'HANDOFF_EXPIRY',
    'HANDOFF_WAIT_TIME_THRESHOLD_SECONDS',
    'HANDOFF_QUEUE_DEPTH_THRESHOLD',
  ],
};

/** What Terraform gives one service's container: plain settings and Key Vault secret references. */
export interface ProvidedEnvironment {
  readonly settings: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
}

/** The environment infra/apps.tf gives a service's container app. */
export function providedEnvironment(config: TerraformConfig, service: Service): ProvidedEnvironment {
  const settings = (config.locals.app_settings as Record<string, Record<string, unknown>> | undefined)?.[
    service
  ];
  const secrets = (config.locals.app_secrets as Record<string, Record<string, string>> | undefined)?.[
    service
  ];
  return { settings: settings ?? {}, secrets: secrets ?? {} };
}

/** Every variable name a service's container gets. */
export function providedNames(environment: ProvidedEnvironment): Set<string> {
  return new Set([...Object.keys(environment.settings), ...Object.keys(environment.secrets)]);
}

/**
 * The problems of one service's Azure environment against its schema, as `service: message` lines naming the
 * variable: a required variable not provided, an alternative group satisfied by none (or by the local choice),
 * the Foundry endpoint missing while the Foundry driver is selected, or a local-only variable set.
 */
export function environmentProblems(
  service: string,
  schema: ObjectSchemaLike,
  environment: ProvidedEnvironment,
  agreed: readonly string[] = [],
): string[] {
  const provided = providedNames(environment);
  const schemaNames = new Set(Object.keys(schema.shape));
  const problems: string[] = [];
  const inGroups = new Set(ALTERNATIVES.flatMap((group) => group.choices.flat()));
  for (const name of requiredVariables(schema)) {
    if (!inGroups.has(name) && !provided.has(name))
      problems.push(`${service}: ${name} is required but not provided`);
  }
  for (const name of agreed) {
    if (!provided.has(name)) problems.push(`${service}: ${name} (agreed for this service) is not provided`);
  }
  for (const group of ALTERNATIVES) {
    const relevant = group.choices.flat().some((name) => schemaNames.has(name));
    if (!relevant) continue;
    if (!group.azure.every((name) => provided.has(name))) {
      problems.push(
        `${service}: ${group.azure.join(' + ')} is not provided (one of ${group.choices.map((c) => c.join(' + ')).join(' | ')})`,
      );
    }
  }
  if (schemaNames.has('CONVERSATION_DRIVER') && environment.settings.CONVERSATION_DRIVER === 'foundry') {
    for (const name of ['FOUNDRY_PROJECT_ENDPOINT']) {
      if (!provided.has(name))
        problems.push(`${service}: ${name} is required with CONVERSATION_DRIVER=foundry`);
    }
  }
  for (const name of LOCAL_ONLY) {
    if (provided.has(name))
      problems.push(`${service}: ${name} is for local emulators; Azure uses managed identity`);
  }
  if (
    environment.settings.BOT_AUTH_DISABLED !== undefined &&
    environment.settings.BOT_AUTH_DISABLED !== 'false'
  ) {
    problems.push(`${service}: BOT_AUTH_DISABLED must be false in Azure`);
  }
  return problems;
}

/** The data planes a service uses, read from the variables its schema and the agreed table name. */
export function dataPlanesOf(variables: Iterable<string>): Set<string> {
  const planes = new Set<string>(['acr']);
  for (const name of variables) {
    if (name.startsWith('SERVICEBUS_')) planes.add('servicebus');
    if (name.startsWith('COSMOS_')) planes.add('cosmos');
    if (name.startsWith('FOUNDRY_')) planes.add('foundry');
    if (name.startsWith('ACS_')) planes.add('acs');
  }
  return planes;
}

/** Every service with its schema, loaded once. */
export async function loadAllSchemas(): Promise<Record<Service, ObjectSchemaLike>> {
  const entries = await Promise.all(
    SERVICES.map(async (service) => [service, await loadConfigSchema(service)] as const),
  );
  return Object.fromEntries(entries) as Record<Service, ObjectSchemaLike>;
}

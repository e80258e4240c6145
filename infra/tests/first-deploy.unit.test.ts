// Issue #19: the provisioning blockers of a first `azd up`, each checked so it cannot come back. The Terraform is
// parsed with hcl2json (support.ts); nothing here reaches Azure.
import { describe, expect, it } from 'vitest';
import {
  type Block,
  blockOf,
  dynamicOf,
  loadTerraform,
  loadYaml,
  readRepoFile,
  resourceOf,
  SERVICES,
  type TerraformConfig,
  tf,
} from './support.ts';

/** The azd release that forwards `buildArgs` to ACR remote builds (azure-dev CHANGELOG 1.24.3, PR #7997). */
const AZD_REMOTE_BUILD_ARGS = [1, 24, 3] as const;

/** Shortest wait that Azure RBAC propagation reliably needs (Microsoft documents "up to 10 minutes", usually < 1). */
const MIN_RBAC_WAIT_SECONDS = 30;

function seconds(duration: unknown): number {
  const match = /^(\d+)(s|m)$/.exec(String(duration));
  if (match === null) return 0;
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

/** The `time_sleep` resources that `consumer` depends on and that themselves depend on `assignment`. */
function waitsBetween(config: TerraformConfig, consumer: Block, assignment: string): string[] {
  const sleeps = config.resources.time_sleep ?? {};
  return ((consumer.depends_on as string[] | undefined) ?? [])
    .map((reference) => /^\$\{time_sleep\.([\w-]+)\}$/.exec(reference)?.[1])
    .filter((name): name is string => name !== undefined)
    .filter((name) => {
      const sleep = sleeps[name];
      return (
        sleep !== undefined &&
        ((sleep.depends_on as string[] | undefined) ?? []).includes(tf(assignment)) &&
        seconds(sleep.create_duration) >= MIN_RBAC_WAIT_SECONDS
      );
    });
}

const containerOf = (config: TerraformConfig) =>
  blockOf(blockOf(resourceOf(config, 'azurerm_container_app', 'service'), 'template'), 'container');

describe('1. container apps become ready on the first provision', () => {
  it('given the provisioned container, when read, then it declares no probes of the real app (the placeholder has no /healthz)', async () => {
    const container = containerOf(await loadTerraform());
    expect(Object.keys(container).filter((key) => key.endsWith('_probe'))).toEqual([]);
  });

  it('given the placeholder image, when read, then it listens on the ingress target port (the default TCP probes pass)', async () => {
    const config = await loadTerraform();
    const app = resourceOf(config, 'azurerm_container_app', 'service');
    const container = containerOf(config);
    expect(blockOf(app, 'ingress').target_port).toBe(tf('each.value.port'));
    // mcr.microsoft.com/dotnet/samples:aspnetapp listens on ASPNETCORE_HTTP_PORTS (dotnet/dotnet-docker
    // samples/aspnetapp/README.md); the quickstart image used before only on port 80.
    expect(container.image).toBe(tf('local.placeholder_image'));
    expect(config.locals.placeholder_image).toBe('mcr.microsoft.com/dotnet/samples:aspnetapp');
    const envs = (container.env as Block[] | undefined) ?? [];
    expect(envs).toContainEqual({ name: 'ASPNETCORE_HTTP_PORTS', value: tf('tostring(each.value.port)') });
    expect(JSON.stringify(app.lifecycle)).toContain('template[0].container[0].image');
  });
});

describe('1. the real image gets HTTP probes once deployed', () => {
  it('given the probes, when read, then they exist only for apps whose deployed image is in this state registry', async () => {
    const config = await loadTerraform();
    const container = containerOf(config);
    const dynamic = container.dynamic as Record<string, Block[]>;
    for (const [probe, path] of [
      ['liveness_probe', '/healthz'],
      ['readiness_probe', '/readyz'],
    ] as const) {
      const block = dynamic[probe]?.[0];
      expect(block?.for_each, probe).toBe(tf('local.http_probes[each.key] ? [each.value.port] : []'));
      expect(blockOf(block ?? {}, 'content').path, probe).toBe(path);
    }
    const rule = String(config.locals.http_probes);
    expect(rule).toContain('var.deployed_images[service]');
    expect(rule).toContain('azurerm_container_registry.main.login_server');
  });

  it('given main.tfvars.json, when read, then each service passes the image name azd writes after a deploy', () => {
    const tfvars = JSON.parse(readRepoFile('infra/main.tfvars.json')) as {
      deployed_images: Record<string, string>;
    };
    // azure-dev: SetServiceProperty(name, "IMAGE_NAME") writes SERVICE_<Key(name)>_IMAGE_NAME, Key = upper case, - to _.
    expect(tfvars.deployed_images).toEqual(
      Object.fromEntries(
        SERVICES.map((service) => [
          service,
          `\${SERVICE_${service.toUpperCase().replaceAll('-', '_')}_IMAGE_NAME}`,
        ]),
      ),
    );
  });
});

describe('2. role assignments have propagated before they are used', () => {
  it('given the Key Vault secrets, when read, then they wait for the deployer Secrets Officer assignment to propagate', async () => {
    const config = await loadTerraform();
    const secrets = resourceOf(config, 'azurerm_key_vault_secret', 'main');
    expect(waitsBetween(config, secrets, 'azurerm_role_assignment.deployer_key_vault_officer')).not.toEqual(
      [],
    );
  });

  it('given the container apps, when read, then they wait for their identities secret-read, pull and data roles to propagate', async () => {
    const config = await loadTerraform();
    const app = resourceOf(config, 'azurerm_container_app', 'service');
    for (const assignment of [
      'azurerm_role_assignment.service_secret',
      'azurerm_role_assignment.service',
      'azurerm_cosmosdb_sql_role_assignment.service',
    ]) {
      expect(waitsBetween(config, app, assignment), assignment).not.toEqual([]);
    }
    const required = blockOf(config.settings, 'required_providers') as Record<string, { source?: string }>;
    expect(required.time?.source).toBe('hashicorp/time');
  });
});

describe('3. the whatsapp-adapter starts before WhatsApp is registered', () => {
  it('given the first deploy (no channel id in the azd environment), when the adapter schema is read, then the id is not required', async () => {
    const { loadConfigSchema, requiredVariables } = await import('./service-needs.ts');
    const schema = await loadConfigSchema('whatsapp-adapter');
    expect(Object.keys(schema.shape)).toContain('WHATSAPP_CHANNEL_REGISTRATION_ID');
    expect(requiredVariables(schema)).not.toContain('WHATSAPP_CHANNEL_REGISTRATION_ID');
    const tfvars = JSON.parse(readRepoFile('infra/main.tfvars.json')) as Record<string, unknown>;
    expect(tfvars.whatsapp_channel_registration_id).toBe(tf('WHATSAPP_CHANNEL_REGISTRATION_ID'));
  });
});

describe('4. build arguments reach remote builds', () => {
  it('given services built remotely with buildArgs, when azure.yaml is read, then azd >= 1.24.3 is required', () => {
    const yaml = loadYaml('azure.yaml') as {
      requiredVersions?: { azd?: string };
      services: Record<string, { docker?: { remoteBuild?: boolean; buildArgs?: string[] } }>;
    };
    const remoteWithArgs = Object.values(yaml.services).some(
      (service) => service.docker?.remoteBuild === true && (service.docker.buildArgs?.length ?? 0) > 0,
    );
    expect(remoteWithArgs).toBe(true);
    const range = yaml.requiredVersions?.azd ?? '';
    const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
    expect(minimum, `requiredVersions.azd is "${range}"`).not.toBeNull();
    const version = (minimum ?? []).slice(1).map(Number);
    const [major = 0, minor = 0, patch = 0] = version;
    const [wantMajor, wantMinor, wantPatch] = AZD_REMOTE_BUILD_ARGS;
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(
      wantMajor * 1e6 + wantMinor * 1e3 + wantPatch,
    );
  });
});

/** The resource provider namespace of each azurerm resource type prefix used here; unknown prefixes fail. */
const AZURERM_NAMESPACES: readonly (readonly [string, string | null])[] = [
  ['azurerm_resource_group', null],
  ['azurerm_role_', null],
  ['azurerm_user_assigned_identity', 'Microsoft.ManagedIdentity'],
  ['azurerm_log_analytics_', 'Microsoft.OperationalInsights'],
  ['azurerm_application_insights', 'Microsoft.Insights'],
  // Metric alerts and action groups are Microsoft.Insights resources (the dead-letter alert, alerts.tf).
  ['azurerm_monitor_', 'Microsoft.Insights'],
  ['azurerm_container_registry', 'Microsoft.ContainerRegistry'],
  ['azurerm_key_vault', 'Microsoft.KeyVault'],
  ['azurerm_cosmosdb_', 'Microsoft.DocumentDB'],
  ['azurerm_servicebus_', 'Microsoft.ServiceBus'],
  ['azurerm_managed_redis', 'Microsoft.Cache'],
  ['azurerm_cognitive_', 'Microsoft.CognitiveServices'],
  ['azurerm_eventgrid_', 'Microsoft.EventGrid'],
  ['azurerm_container_app', 'Microsoft.App'],
  ['azurerm_bot_', 'Microsoft.BotService'],
];

describe('5. resource providers are registered', () => {
  it('given every resource type in infra/, when its namespace is looked up, then the provider block registers it', async () => {
    const config = await loadTerraform();
    const namespaces = new Set<string>();
    const unknown: string[] = [];
    for (const [type, byName] of Object.entries(config.resources)) {
      if (type.startsWith('random_') || type.startsWith('time_')) continue;
      if (type.startsWith('azapi_')) {
        for (const body of Object.values(byName)) {
          const namespace = /^(Microsoft\.\w+)\//.exec(String(body.type))?.[1];
          if (namespace === undefined) unknown.push(`${type}: ${String(body.type)}`);
          else namespaces.add(namespace);
        }
        continue;
      }
      const entry = AZURERM_NAMESPACES.find(([prefix]) => type.startsWith(prefix));
      if (entry === undefined) unknown.push(type);
      else if (entry[1] !== null) namespaces.add(entry[1]);
    }
    expect(unknown, 'add the namespace of these types to AZURERM_NAMESPACES').toEqual([]);
    expect(namespaces).toContain('Microsoft.App');
    expect(namespaces).toContain('Microsoft.Communication');
    const azurerm = config.providers.azurerm ?? {};
    const registered = new Set(
      ((azurerm.resource_providers_to_register as string[] | undefined) ?? []).map((name) =>
        name.toLowerCase(),
      ),
    );
    const missing = [...namespaces].filter((namespace) => !registered.has(namespace.toLowerCase()));
    expect(missing).toEqual([]);
  });
});

describe('7. the Direct Line secret belongs to the site the deployment creates', () => {
  it('given the listChannelWithKeys response, when the secret is picked, then it is selected by the site name, not by position', async () => {
    const config = await loadTerraform();
    const site = blockOf(resourceOf(config, 'azurerm_bot_channel_directline', 'main'), 'site');
    expect(site.name).toBe(tf('local.directline_site_name'));
    const expression = String(config.locals.directline_secret);
    expect(expression).not.toMatch(/sites\[\d+\]/);
    expect(expression).toContain('site.siteName == local.directline_site_name');
    expect(expression).toMatch(/^\$\{one\(/);
  });
});

describe('8. azd down, then azd up with the same environment name', () => {
  it('given the provider features, when read, then the AI Services account is purged on destroy', async () => {
    const azurerm = (await loadTerraform()).providers.azurerm ?? {};
    const features = blockOf(azurerm, 'features');
    expect(blockOf(features, 'cognitive_account').purge_soft_delete_on_destroy).toBe(true);
  });

  it('given the soft-deleted and stale-prone names, when read, then they change with each new state; the others stay stable', async () => {
    const config = await loadTerraform();
    expect(String(config.locals.state_token)).toContain('random_string.deployment.result');
    expect(String(config.locals.token)).not.toContain('random');
    const suffix = resourceOf(config, 'random_string', 'deployment');
    expect(suffix.upper).toBe(false);
    expect(suffix.special).toBe(false);
    expect(suffix.length).toBe(6);
    for (const [type, name] of [
      ['azurerm_key_vault', 'main'],
      ['azurerm_cognitive_account', 'foundry'],
      ['azurerm_container_registry', 'main'],
    ] as const) {
      expect(String(resourceOf(config, type, name).name), type).toContain(tf('local.state_token'));
    }
    // Cosmos DB keeps its name: a new name would replace the account (and its data) of an existing environment.
    expect(String(resourceOf(config, 'azurerm_cosmosdb_account', 'main').name)).toBe(
      `cosmos-${tf('local.token')}`,
    );
  });

  it('given the README, when the tear-down is read, then it says azd does not purge with Terraform', () => {
    const readme = readRepoFile('infra/README.md');
    expect(readme).toMatch(/ignores `--purge`/);
  });
});

describe('9. smaller ones', () => {
  it('given the deployer role assignments, when the principal type is unknown, then none is sent (ARM finds it)', async () => {
    const config = await loadTerraform();
    const text = Object.values(config.sources).join('\n');
    expect(text).not.toMatch(/principal_type\s*=\s*"User"/);
    expect(String(config.locals.principal_type)).toContain('null');
    expect(config.variables.principal_type?.default).toBe('');
    expect(resourceOf(config, 'azurerm_role_assignment', 'deployer').principal_type).toBe(
      tf('local.principal_type'),
    );
  });

  it('given the names azd accepts, when the environment_name validation runs, then they pass and others fail', async () => {
    const variable = (await loadTerraform()).variables.environment_name ?? {};
    const condition = String(blockOf(variable, 'validation').condition);
    const pattern = /regex\("(.+)", var\.environment_name\)/.exec(condition)?.[1];
    expect(pattern, condition).toBeDefined();
    const regex = new RegExp((pattern ?? '').replace(/\\\\/g, '\\'));
    // azure-dev cli/azd/pkg/environment/environment.go: EnvironmentNameRegexp ^[a-zA-Z0-9-\(\)_\.]{1,64}$
    for (const accepted of ['dev', 'Omni_Dev.2', 'team(a)-prod', 'A'.repeat(64)])
      expect(regex.test(accepted), accepted).toBe(true);
    for (const refused of ['with space', 'semi;colon', 'A'.repeat(65), ''])
      expect(regex.test(refused), refused).toBe(false);
  });

  it('given an accepted environment name, when resources are named, then only the resource group uses it, without a trailing period', async () => {
    const config = await loadTerraform();
    // Resource group names allow letters of either case, digits, -, _, ., ( and ), but cannot end in a period.
    expect(resourceOf(config, 'azurerm_resource_group', 'main').name).toBe(
      `rg-${tf('trimsuffix(var.environment_name, ".")')}`,
    );
    const named = Object.entries(config.resources).flatMap(([type, byName]) =>
      Object.entries(byName)
        .filter(
          ([, body]) =>
            type !== 'azurerm_resource_group' && String(body.name).includes('var.environment_name'),
        )
        .map(([name]) => `${type}.${name}`),
    );
    expect(named).toEqual([]);
  });

  it('given the Cosmos DB account, when read, then local auth is off with the current argument', async () => {
    const account = resourceOf(await loadTerraform(), 'azurerm_cosmosdb_account', 'main');
    expect(account.local_authentication_disabled).toBeUndefined();
    expect(account.local_authentication_enabled).toBe(false);
  });

  it('given the azurerm version constraint, when read, then it is at least 4.78 (local_authentication_enabled on Cosmos DB)', async () => {
    const config = await loadTerraform();
    const required = blockOf(config.settings, 'required_providers') as Record<string, { version?: string }>;
    const minor = Number(/^~>\s*4\.(\d+)/.exec(required.azurerm?.version ?? '')?.[1] ?? 0);
    expect(minor).toBeGreaterThanOrEqual(78);
  });

  it('given the README prerequisites, when read, then pnpm install and the Managed Redis provisioning time are named', () => {
    const readme = readRepoFile('infra/README.md');
    const prerequisites = readme.slice(
      readme.indexOf('### Prerequisites'),
      readme.indexOf('### First deploy'),
    );
    expect(prerequisites).toContain('pnpm install');
    expect(readme).toMatch(/Managed Redis[^\n]*45 minutes/);
  });
});

describe('10. least privilege', () => {
  it('given the ACS plane, when its role is read, then it is a built-in role on the one ACS resource (ACS ignores custom roles)', async () => {
    const config = await loadTerraform();
    const planes = config.locals.rbac_planes as Record<string, { scope: string; roles: string[] }>;
    expect(planes.acs?.scope).toBe(tf('azapi_resource.acs.id'));
    expect(planes.acs?.roles).toEqual(['Contributor']);
    // A custom role would be assigned fine and then refused at run time (every call 403).
    const custom = Object.values(config.resources.azurerm_role_definition ?? {}).filter((role) =>
      JSON.stringify(role).includes('Microsoft.Communication'),
    );
    expect(custom).toEqual([]);
  });

  it('given Service Bus, when the receive role is read, then each service receives only from its own subscriptions (and the router from its queue)', async () => {
    const config = await loadTerraform();
    const planes = config.locals.rbac_planes as Record<string, { roles: string[] }>;
    expect(planes.servicebus?.roles).not.toContain('Azure Service Bus Data Receiver');
    const receive = resourceOf(config, 'azurerm_role_assignment', 'service_receive');
    expect(receive.role_definition_name).toBe('Azure Service Bus Data Receiver');
    expect(receive.for_each).toBe(tf('local.servicebus_receives'));
    const expression = String(config.locals.servicebus_receives);
    expect(expression).toContain('local.sb.subscriptions');
    expect(expression).toContain('subscription.name == service');
    expect(expression).toContain('azurerm_servicebus_queue.main["escalations"].id');
    // The developer (AZURE_PRINCIPAL_ID) still receives from any subscription, to run any service locally.
    expect(String(config.locals.deployer_planes)).toContain('"servicebus/Azure Service Bus Data Receiver"');
    // Each subscription is named after its consumer: the name == service filter gives every consumer its own.
    const subscriptions = (
      JSON.parse(readRepoFile('infra/servicebus_topology.tf.json')) as {
        locals: { servicebus_topology: { subscriptions: Record<string, { name: string }> } };
      }
    ).locals.servicebus_topology.subscriptions;
    const consumers = new Set(Object.values(subscriptions).map((subscription) => subscription.name));
    expect([...consumers].filter((name) => !(SERVICES as readonly string[]).includes(name))).toEqual([]);
  });

  it('given the secrets each service reads, when read, then only the services that issue or redeem handoff tokens get the token key', async () => {
    const secrets = (await loadTerraform()).locals.app_secrets as Record<string, Record<string, string>>;
    expect(
      Object.keys(secrets)
        .filter((service) => 'HANDOFF_TOKEN_KEY' in (secrets[service] ?? {}))
        .sort(),
    ).toEqual(['channel-router', 'webchat-adapter']);
  });

  it('given the Key Vault, when read, then purge protection is on', async () => {
    const vault = resourceOf(await loadTerraform(), 'azurerm_key_vault', 'main');
    expect(vault.purge_protection_enabled).toBe(true);
  });
});

describe('the container app env blocks', () => {
  it('given the dynamic env blocks, when read, then settings and secrets still come from the two maps', async () => {
    const container = containerOf(await loadTerraform());
    expect(JSON.stringify(dynamicOf(container, 'env'))).toContain('local.app_settings');
  });
});

describe('pnpm infra:check', () => {
  it('given the root scripts, when read, then infra:check runs the infra test task, which runs the type check and every check', () => {
    const root = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    const infra = JSON.parse(readRepoFile('infra/package.json')) as { scripts: Record<string, string> };
    expect(root.scripts['infra:check']).toBe('turbo run test --filter=@omni/infra --output-logs=errors-only');
    expect(root.scripts.test).toBe('turbo run test');
    expect(infra.scripts.test).toBe('pnpm run check');
    expect(infra.scripts.check).toBe('tsc -p tsconfig.json --noEmit && vitest run');
  });
});

describe('infra/README.md', () => {
  const readme = readRepoFile('infra/README.md');
  const section = (heading: string) => {
    const start = readme.indexOf(`### ${heading}`);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const end = readme.indexOf('\n### ', start + 4);
    return readme.slice(start, end === -1 ? undefined : end);
  };

  it('given the First deploy walk-through, when read, then it follows what azd does and what the person does, in order', () => {
    const walkthrough = section('First deploy');
    const steps = [
      '**preprovision**',
      '**`azd provision`**',
      '**`azd deploy`**',
      '**postdeploy**',
      '**You: buy a phone number**',
      '**You: register WhatsApp**',
      'azd env set WHATSAPP_CHANNEL_REGISTRATION_ID',
      '**You: `azd up` again**',
    ];
    const positions = steps.map((step) => walkthrough.indexOf(step));
    expect(positions.filter((position) => position < 0)).toEqual([]);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('given the troubleshooting table, when read, then every failure of issue #19 has a row', () => {
    const table = section('Troubleshooting');
    for (const failure of [
      'TasksOperationsNotAllowed',
      '1.24.3',
      'The Resource Provider was not registered',
      'ForbiddenByRbac',
      'Unable to get value using Managed identity',
      'Operation expired',
      'WhatsApp not registered',
      'Direct Line',
      'FlagMustBeSetForRestore',
      'UnmatchedPrincipalType',
      'environment_name',
      'pnpm install',
      'Managed Redis',
    ])
      expect(table, failure).toContain(failure);
  });
});

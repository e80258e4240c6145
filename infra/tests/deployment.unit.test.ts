import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_SUBSCRIPTIONS, webhookUrl } from '../hooks/postdeploy.mjs';
import { renderEnvFile } from '../hooks/postprovision.mjs';
import { loadTerraform, loadYaml, readRepoFile, repoRoot, resourceOf, SERVICES, tf } from './support.ts';

interface AzureYamlService {
  project: string;
  host: string;
  docker?: { path?: string; context?: string; buildArgs?: string[] };
}

interface Hook {
  posix?: { shell: string; run: string };
  windows?: { shell: string; run: string };
}

const azureYaml = () =>
  loadYaml('azure.yaml') as {
    infra: { provider: string; path: string };
    services: Record<string, AzureYamlService>;
    hooks: Record<string, Hook>;
  };

type ComposeService = Record<string, unknown> & {
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
};
const compose = () => loadYaml('docker-compose.yml') as { services: Record<string, ComposeService> };

describe('azure.yaml', () => {
  it('given azure.yaml, when read, then the four services are container apps built from the root with their APP', () => {
    const { services, infra } = azureYaml();
    expect(infra).toEqual({ provider: 'terraform', path: 'infra' });
    expect(Object.keys(services).sort()).toEqual([...SERVICES].sort());
    for (const service of SERVICES) {
      const entry = services[service];
      expect(entry?.host, service).toBe('containerapp');
      expect(entry?.project, service).toBe(`./apps/${service}`);
      expect(existsSync(join(repoRoot, 'apps', service, 'package.json')), service).toBe(true);
      const projectDir = join(repoRoot, 'apps', service);
      expect(join(projectDir, entry?.docker?.context ?? '.'), service).toBe(repoRoot);
      expect(join(projectDir, entry?.docker?.path ?? ''), service).toBe(join(repoRoot, 'Dockerfile'));
      expect(entry?.docker?.buildArgs, service).toEqual([`APP=${service}`]);
    }
  });

  it('given azure.yaml services, when Terraform is read, then each has a container app tagged with its azd-service-name', async () => {
    const config = await loadTerraform();
    const app = resourceOf(config, 'azurerm_container_app', 'service');
    expect(app.for_each).toBe(tf('local.services'));
    expect(app.tags).toBe(tf('merge(local.tags, { "azd-service-name" = each.key })'));
    expect(Object.keys(config.locals.services as object).sort()).toEqual(
      Object.keys(azureYaml().services).sort(),
    );
    expect(config.outputs.AZURE_CONTAINER_REGISTRY_ENDPOINT).toBeDefined();
    expect(JSON.stringify(app.lifecycle)).toContain('template[0].container[0].image');
  });

  it('given the hooks, when read, then postprovision and postdeploy run the Node scripts on every OS', () => {
    const { hooks } = azureYaml();
    for (const [hook, script] of [
      ['postprovision', 'infra/hooks/postprovision.mjs'],
      ['postdeploy', 'infra/hooks/postdeploy.mjs'],
    ] as const) {
      expect(hooks[hook]?.posix).toEqual({ shell: 'sh', run: `node ${script}` });
      expect(hooks[hook]?.windows).toEqual({ shell: 'pwsh', run: `node ${script}` });
      expect(existsSync(join(repoRoot, script)), script).toBe(true);
    }
  });

  it('given the postdeploy hook, when its subscriptions are read, then IncomingCall goes to voice and WhatsApp events to whatsapp', () => {
    const byUrl = (url: string) =>
      EVENT_SUBSCRIPTIONS.filter((s) => s.urlOutput === url).flatMap((s) => s.eventTypes);
    expect(byUrl('SERVICE_VOICE_ADAPTER_URI')).toEqual(['Microsoft.Communication.IncomingCall']);
    expect(byUrl('SERVICE_WHATSAPP_ADAPTER_URI')).toEqual([
      'Microsoft.Communication.AdvancedMessageReceived',
      'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated',
      'Microsoft.Communication.SMSDeliveryReportReceived',
    ]);
    expect(webhookUrl('https://app.example', '/api/events', 's3cr/t')).toBe(
      'https://app.example/api/events?code=s3cr%2Ft',
    );
  });

  it('given the outputs the hooks read, when Terraform is read, then each one exists', async () => {
    const config = await loadTerraform();
    for (const name of [
      ...EVENT_SUBSCRIPTIONS.map((s) => s.urlOutput),
      'AZURE_RESOURCE_GROUP',
      'EVENTGRID_SYSTEM_TOPIC_NAME',
      'AZURE_KEY_VAULT_NAME',
      'SERVICE_ENVIRONMENT',
      'FOUNDRY_PROJECT_ENDPOINT',
      'SCENARIO',
    ]) {
      expect(config.outputs[name], name).toBeDefined();
    }
  });

  it('given values with spaces or quotes, when the .env file is rendered, then they are quoted', () => {
    expect(renderEnvFile({ A: 'https://x.example/', B: 'two words', C: 'InstrumentationKey=1;x=y' })).toBe(
      '# Written by infra/hooks/postprovision.mjs (azd postprovision). Contains secrets: never commit.\n' +
        'A=https://x.example/\nB="two words"\nC="InstrumentationKey=1;x=y"\n',
    );
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');

  it('given the Dockerfile, when read, then it builds in one stage and runs on Node 24 slim as a non-root user', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(
      dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)?.map((line) => line.split(' AS ')[1]),
    ).toEqual(['build', 'runtime']);
    expect(dockerfile).toMatch(/pnpm --filter "@omni\/\$\{APP\}" deploy --prod/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m);
  });

  it('given the build context, when .dockerignore is read, then node_modules, dist and env files stay out', () => {
    const ignore = readRepoFile('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '**/.env', '**/.env.*', '.git'])
      expect(ignore).toContain(entry);
  });
});

describe('docker-compose.yml', () => {
  it('given compose, when read, then the four services build from the root Dockerfile with their APP and reach the emulators', () => {
    const { services } = compose();
    for (const service of SERVICES) {
      const entry = services[service];
      expect(entry?.build, service).toEqual({
        context: '.',
        dockerfile: 'Dockerfile',
        args: { APP: service },
      });
      expect(entry?.environment?.SERVICEBUS_CONNECTION_STRING, service).toContain(
        'Endpoint=sb://servicebus;',
      );
      expect(entry?.environment?.SERVICEBUS_CONNECTION_STRING, service).toContain(
        'UseDevelopmentEmulator=true',
      );
      expect(entry?.environment?.COSMOS_ENDPOINT, service).toBe('http://cosmos:8081');
      expect(entry?.environment?.REDIS_URL, service).toBe('redis://redis:6379');
      expect(Object.keys(entry?.depends_on ?? {}), service).toEqual(
        expect.arrayContaining(['servicebus', 'cosmos-init', 'redis']),
      );
    }
  });

  it('given compose, when read, then the official Cosmos DB Linux emulator (vNext), Redis and the sandbox are there', () => {
    const { services } = compose();
    expect(services.cosmos?.image).toMatch(
      /^mcr\.microsoft\.com\/cosmosdb\/linux\/azure-cosmos-emulator:vnext/,
    );
    expect(services['cosmos-init']?.volumes).toContain(
      './infra/cosmos_containers.json:/init/cosmos_containers.json:ro',
    );
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(services.sandbox?.build?.args).toEqual({ APP: 'sandbox' });
  });

  it('given the services settings in compose, when checked against each schema, then every required variable and one choice of each pair is set', async () => {
    const { ALTERNATIVES, loadAllSchemas, requiredVariables } = await import('./service-needs.ts');
    const schemas = await loadAllSchemas();
    const { services } = compose();
    const missing = SERVICES.flatMap((service) => {
      const environment = services[service]?.environment ?? {};
      const names = new Set(Object.keys(schemas[service].shape));
      const required = requiredVariables(schemas[service])
        .filter((name) => environment[name] === undefined)
        .map((name) => `${service}: ${name}`);
      const pairs = ALTERNATIVES.filter((group) => group.choices.flat().some((name) => names.has(name)))
        .filter(
          (group) => !group.choices.some((choice) => choice.every((name) => environment[name] !== undefined)),
        )
        .map(
          (group) => `${service}: one of ${group.choices.map((choice) => choice.join(' + ')).join(' | ')}`,
        );
      return [...required, ...pairs];
    });
    expect(missing).toEqual([]);
  });
});

describe('Terraform inputs', () => {
  it('given the variables without a default, when main.tfvars.json is read, then azd fills each one from its environment', async () => {
    const config = await loadTerraform();
    const tfvars = JSON.parse(readRepoFile('infra/main.tfvars.json')) as Record<string, string>;
    const unfilled = Object.entries(config.variables)
      .filter(([, body]) => !('default' in body))
      .map(([name]) => name)
      .filter((name) => !/^\$\{[A-Z_]+\}$/.test(tfvars[name] ?? ''));
    expect(unfilled).toEqual([]);
    expect(Object.keys(tfvars).filter((name) => config.variables[name] === undefined)).toEqual([]);
  });
});

describe('scaling', () => {
  it('given the services, when their scale settings are read, then adapters scale on HTTP, the messaging adapters and the router also on their Service Bus backlog', async () => {
    const config = await loadTerraform();
    const services = config.locals.services as Record<
      string,
      {
        min_replicas: number;
        max_replicas: number;
        http_concurrency: number | null;
        servicebus_scale_subscriber: string | null;
        servicebus_message_count: number | null;
      }
    >;
    for (const adapter of ['voice-adapter', 'whatsapp-adapter', 'webchat-adapter']) {
      expect(services[adapter]?.http_concurrency, adapter).toBeGreaterThan(0);
      // The mass-event benchmark needs 3 replicas; room to go well past that (ADR 0081).
      expect(services[adapter]?.max_replicas, adapter).toBeGreaterThanOrEqual(6);
    }
    expect(services['voice-adapter']?.servicebus_scale_subscriber).toBeNull();
    // Their webhooks answer at once and the turns run in the consumer: HTTP alone never sees a burst.
    for (const adapter of ['whatsapp-adapter', 'webchat-adapter']) {
      expect(services[adapter]?.servicebus_scale_subscriber, adapter).toBe(adapter);
      expect(services[adapter]?.servicebus_message_count, adapter).toBeGreaterThan(0);
    }
    expect(services['channel-router']?.servicebus_scale_subscriber).toBe('channel-router');
    expect(services['channel-router']?.servicebus_message_count).toBeGreaterThan(0);
    const template = JSON.stringify(resourceOf(config, 'azurerm_container_app', 'service').template);
    expect(template).toContain('subscription.name == each.value.servicebus_scale_subscriber');
    expect(template).toContain('subscription.topic != \\"queue-status\\"');
    expect(template).toContain('each.value.servicebus_message_count');
    expect(template).toContain('azure-servicebus');
    expect(template).toContain('identity_id');
    expect(template).toContain('http_scale_rule');
  });
});

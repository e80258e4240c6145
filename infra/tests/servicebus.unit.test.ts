import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderServiceBusEmulatorConfig, serviceBusTopology } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { renderComposeEmulatorConfig } from '../generate.ts';
import {
  COMPOSE_EMULATOR_CONFIG_FILE,
  renderTerraformTopologyFile,
  TERRAFORM_TOPOLOGY_FILE,
  type TerraformServiceBusTopology,
  terraformTopologyOf,
  topologyFromTerraform,
} from '../servicebus-topology.ts';
import { type Block, dynamicOf, infraDir, loadTerraform, loadYaml, resourceOf, tf } from './support.ts';

const REGENERATE = 'run `pnpm --filter @omni/infra generate` and commit the result';

function committedTerraformTopology(): TerraformServiceBusTopology {
  const document = JSON.parse(readFileSync(join(infraDir, TERRAFORM_TOPOLOGY_FILE), 'utf8'));
  return document.locals.servicebus_topology as TerraformServiceBusTopology;
}

/** Every attribute of a generated entity must reach the resource as `each.value.<attribute>`. */
function expectEveryAttributeMapped(
  body: Block,
  attributes: readonly string[],
  skip: readonly string[] = [],
) {
  for (const attribute of attributes.filter((name) => !skip.includes(name))) {
    expect(body[attribute], `attribute ${attribute}`).toBe(`\${each.value.${attribute}}`);
  }
}

describe('Service Bus topology in Terraform', () => {
  it('given the contracts topology, when the Terraform locals are regenerated, then the committed file is identical', () => {
    const committed = readFileSync(join(infraDir, TERRAFORM_TOPOLOGY_FILE), 'utf8');
    expect(committed, REGENERATE).toBe(renderTerraformTopologyFile(serviceBusTopology));
  });

  it('given the committed Terraform locals, when read back, then they equal the contracts topology entity by entity', () => {
    const { routes: _routes, ...contracts } = serviceBusTopology;
    const fromTerraform = topologyFromTerraform(committedTerraformTopology());
    expect(fromTerraform.queues).toEqual(contracts.queues);
    expect(fromTerraform.topics).toEqual(contracts.topics);
  });

  it('given a changed contracts topology, when compared with the committed locals, then the difference is caught', () => {
    const changed = {
      ...serviceBusTopology,
      queues: serviceBusTopology.queues.map((queue) => ({
        ...queue,
        maxDeliveryCount: queue.maxDeliveryCount + 1,
      })),
    };
    expect(terraformTopologyOf(changed)).not.toEqual(committedTerraformTopology());
  });

  it('given servicebus.tf, when its resources are read, then queues, topics, subscriptions and rules iterate the generated maps', async () => {
    const config = await loadTerraform();
    const generated = committedTerraformTopology();
    const queue = resourceOf(config, 'azurerm_servicebus_queue', 'main');
    expect(queue.for_each).toBe(tf('local.sb.queues'));
    expectEveryAttributeMapped(queue, Object.keys(Object.values(generated.queues)[0] ?? {}));
    const topic = resourceOf(config, 'azurerm_servicebus_topic', 'main');
    expect(topic.for_each).toBe(tf('local.sb.topics'));
    expectEveryAttributeMapped(topic, Object.keys(Object.values(generated.topics)[0] ?? {}));
    const subscription = resourceOf(config, 'azurerm_servicebus_subscription', 'main');
    expect(subscription.for_each).toBe(tf('local.sb.subscriptions'));
    expectEveryAttributeMapped(subscription, Object.keys(Object.values(generated.subscriptions)[0] ?? {}), [
      'topic',
      'has_rules',
    ]);
    expect(subscription.topic_id).toBe(tf('azurerm_servicebus_topic.main[each.value.topic].id'));
    const rule = resourceOf(config, 'azurerm_servicebus_subscription_rule', 'main');
    expect(rule.for_each).toBe(tf('local.sb.rules'));
    expectEveryAttributeMapped(rule, ['name', 'filter_type', 'sql_filter', 'action']);
    const correlation = dynamicOf(rule, 'correlation_filter');
    expect(JSON.stringify(correlation)).toContain('correlation_filter.value.properties');
    expect(config.locals.sb).toBe(tf('local.servicebus_topology'));
  });

  it('given filtered subscriptions, when provisioned, then the catch-all $Default rule is removed after their own rules exist', async () => {
    const config = await loadTerraform();
    const drop = resourceOf(config, 'azapi_resource_action', 'drop_default_rule');
    expect(drop.method).toBe('DELETE');
    expect(drop.for_each).toContain('if subscription.has_rules');
    expect(drop.resource_id).toContain('/rules/$Default');
    expect(drop.depends_on).toEqual([tf('azurerm_servicebus_subscription_rule.main')]);
    const filtered = Object.values(committedTerraformTopology().subscriptions).filter((s) => s.has_rules);
    const contractsFiltered = serviceBusTopology.topics
      .flatMap((t) => t.subscriptions)
      .filter((s) => s.rules.length);
    expect(filtered).toHaveLength(contractsFiltered.length);
  });

  it('given the namespace, when read, then it is Standard (topics, sessions) with SAS keys disabled', async () => {
    const namespace = resourceOf(await loadTerraform(), 'azurerm_servicebus_namespace', 'main');
    expect(namespace.sku).toBe('Standard');
    expect(namespace.local_auth_enabled).toBe(false);
  });
});

describe('Service Bus topology in the docker compose emulator', () => {
  it('given the contracts topology, when the emulator Config.json is regenerated, then the committed file is identical', () => {
    const committed = readFileSync(join(infraDir, COMPOSE_EMULATOR_CONFIG_FILE), 'utf8');
    expect(committed, REGENERATE).toBe(renderComposeEmulatorConfig());
    expect(JSON.parse(committed)).toEqual(renderServiceBusEmulatorConfig(serviceBusTopology));
  });

  it('given the committed Config.json, when its entities are listed, then they are the contracts topics, subscriptions and rules', () => {
    const config = JSON.parse(readFileSync(join(infraDir, COMPOSE_EMULATOR_CONFIG_FILE), 'utf8'));
    const namespace = config.UserConfig.Namespaces[0];
    const listed = namespace.Topics.map(
      (topic: { Name: string; Subscriptions: { Name: string; Rules?: { Name: string }[] }[] }) => ({
        name: topic.Name,
        subscriptions: topic.Subscriptions.map((s) => ({
          name: s.Name,
          rules: (s.Rules ?? []).map((rule) => rule.Name),
        })),
      }),
    );
    expect(listed).toEqual(
      serviceBusTopology.topics.map((topic) => ({
        name: topic.name,
        subscriptions: topic.subscriptions.map((s) => ({
          name: s.name,
          rules: s.rules.map((rule) => rule.name),
        })),
      })),
    );
    expect(namespace.Queues.map((queue: { Name: string }) => queue.Name)).toEqual(
      serviceBusTopology.queues.map((queue) => queue.name),
    );
  });

  it('given docker-compose.yml, when the Service Bus emulator is read, then it mounts the generated Config.json and depends on SQL Edge', () => {
    const compose = loadYaml('docker-compose.yml') as { services: Record<string, Record<string, unknown>> };
    const servicebus = compose.services.servicebus;
    expect(servicebus?.image).toMatch(/^mcr\.microsoft\.com\/azure-messaging\/servicebus-emulator/);
    expect(servicebus?.volumes).toContain(
      `./infra/${COMPOSE_EMULATOR_CONFIG_FILE}:/ServiceBus_Emulator/ConfigFiles/Config.json:ro`,
    );
    expect(servicebus?.depends_on).toContain('sqledge');
    expect(compose.services.sqledge?.image).toMatch(/^mcr\.microsoft\.com\/azure-sql-edge/);
  });
});

import { describe, expect, it } from 'vitest';
import { AGREED_VARIABLES, dataPlanesOf, loadAllSchemas, providedEnvironment } from './service-needs.ts';
import { loadTerraform, resourceOf, SERVICES, tf } from './support.ts';

/** The Azure RBAC roles each data plane needs (least privilege); Cosmos DB uses its own data-plane RBAC. */
const PLANE_ROLES: Readonly<Record<string, readonly string[]>> = {
  acr: ['AcrPull'],
  // The developer's namespace-wide Sender; the services' send and receive rights are per entity
  // (tests/servicebus-rights.unit.test.ts).
  servicebus: ['Azure Service Bus Data Sender'],
  foundry: ['Cognitive Services OpenAI User', 'Azure AI User'],
  // No data-plane role exists for ACS Call Automation / Advanced Messaging with Entra ID, and ACS ignores custom roles.
  acs: ['Contributor'],
};

const PLANE_SCOPES: Readonly<Record<string, string>> = {
  acr: tf('azurerm_container_registry.main.id'),
  servicebus: tf('azurerm_servicebus_namespace.main.id'),
  foundry: tf('azurerm_cognitive_account.foundry.id'),
  acs: tf('azapi_resource.acs.id'),
};

type Planes = Record<string, { scope: string; roles: string[] }>;

describe('role assignments', () => {
  it('given each service configSchema, when its data planes are derived, then its identity is granted exactly those planes', async () => {
    const [config, schemas] = await Promise.all([loadTerraform(), loadAllSchemas()]);
    const granted = config.locals.service_data_planes as Record<string, string[]>;
    const problems: string[] = [];
    for (const service of SERVICES) {
      const needed = dataPlanesOf([...Object.keys(schemas[service].shape), ...AGREED_VARIABLES[service]]);
      const has = new Set(granted[service] ?? []);
      for (const plane of needed) if (!has.has(plane)) problems.push(`${service}: no role on ${plane}`);
      for (const plane of has)
        if (!needed.has(plane)) problems.push(`${service}: ${plane} granted but not used`);
    }
    expect(problems).toEqual([]);
  });

  it('given the planes, when their roles are read, then each has its least-privilege data role on its own resource', async () => {
    const planes = (await loadTerraform()).locals.rbac_planes as Planes;
    for (const [plane, roles] of Object.entries(PLANE_ROLES)) {
      expect(planes[plane]?.roles, plane).toEqual(roles);
      expect(planes[plane]?.scope, plane).toBe(PLANE_SCOPES[plane]);
    }
    expect(Object.keys(planes).sort()).toEqual(Object.keys(PLANE_ROLES).sort());
  });

  it('given the service role assignments, when expanded like Terraform does, then every identity / plane / role triple is assigned to that identity', async () => {
    const config = await loadTerraform();
    const expression = String(config.locals.service_role_assignments);
    expect(expression).toContain('for service, planes in local.service_data_planes');
    expect(expression).toContain('local.rbac_planes[plane].roles');
    const assignment = resourceOf(config, 'azurerm_role_assignment', 'service');
    expect(assignment.for_each).toBe(tf('local.service_role_assignments'));
    expect(assignment.role_definition_name).toBe(tf('each.value.role'));
    expect(assignment.scope).toBe(tf('local.rbac_planes[each.value.plane].scope'));
    expect(assignment.principal_id).toBe(
      tf('azurerm_user_assigned_identity.service[each.value.service].principal_id'),
    );
    const granted = config.locals.service_data_planes as Record<string, string[]>;
    const planes = config.locals.rbac_planes as Planes;
    expect(expression).toContain('if plane != "servicebus"');
    const triples = Object.entries(granted).flatMap(([service, list]) =>
      list
        .filter((plane) => plane !== 'servicebus')
        .flatMap((plane) => (planes[plane]?.roles ?? []).map((role) => `${service}/${plane}/${role}`)),
    );
    expect(triples).toContain('channel-router/acr/AcrPull');
    expect(triples).toContain('voice-adapter/acs/Contributor');
    expect(triples).toContain('webchat-adapter/foundry/Azure AI User');
    // The router reads and deletes customers' Foundry conversations (export, erasure), and never calls ACS.
    expect(triples).toContain('channel-router/foundry/Azure AI User');
    expect(triples).not.toContain('channel-router/acs/Contributor');
  });

  it('given the services using Cosmos, when roles are read, then each identity gets the built-in data contributor through Cosmos RBAC', async () => {
    const config = await loadTerraform();
    const cosmos = resourceOf(config, 'azurerm_cosmosdb_sql_role_assignment', 'service');
    expect(cosmos.for_each).toBe(tf('local.cosmos_users'));
    expect(cosmos.principal_id).toBe(tf('azurerm_user_assigned_identity.service[each.key].principal_id'));
    expect(cosmos.role_definition_id).toBe(tf('local.cosmos_data_contributor'));
    expect(String(config.locals.cosmos_data_contributor)).toMatch(
      /\/sqlRoleDefinitions\/00000000-0000-0000-0000-000000000002\}?$/,
    );
    expect(String(config.locals.cosmos_users)).toContain('if contains(planes, "cosmos")');
    const account = resourceOf(config, 'azurerm_cosmosdb_account', 'main');
    expect(account.local_authentication_enabled).toBe(false);
  });

  it('given the secrets each app references, when roles are read, then each identity may read exactly those secrets', async () => {
    const config = await loadTerraform();
    const reads = resourceOf(config, 'azurerm_role_assignment', 'service_secret');
    expect(reads.role_definition_name).toBe('Key Vault Secrets User');
    expect(reads.scope).toBe(tf('azurerm_key_vault_secret.main[each.value.secret].resource_versionless_id'));
    expect(reads.principal_id).toBe(
      tf('azurerm_user_assigned_identity.service[each.value.service].principal_id'),
    );
    expect(String(config.locals.service_secret_reads)).toContain('for service, secrets in local.app_secrets');
    for (const service of SERVICES) {
      expect(Object.keys(providedEnvironment(config, service).secrets).length, service).toBeGreaterThan(0);
    }
  });

  it('given the ACS resource, when roles are read, then its identity can use the AI Services account for speech', async () => {
    const speech = resourceOf(await loadTerraform(), 'azurerm_role_assignment', 'acs_speech');
    expect(speech.role_definition_name).toBe('Cognitive Services User');
    expect(speech.principal_id).toBe(tf('azapi_resource.acs.identity[0].principal_id'));
  });

  it('given every role assignment, when read, then none grants Owner or a subscription-wide role', async () => {
    const config = await loadTerraform();
    const text = Object.values(config.sources).join('\n');
    expect(text).not.toMatch(/role_definition_name\s*=\s*"(Owner|User Access Administrator)"/);
    expect(text).not.toMatch(/scope\s*=\s*"\/subscriptions\//);
  });

  it('given the services, when identities are read, then each service has its own user-assigned identity', async () => {
    const config = await loadTerraform();
    const identity = resourceOf(config, 'azurerm_user_assigned_identity', 'service');
    expect(identity.for_each).toBe(tf('local.services'));
    expect(Object.keys(config.locals.services as object).sort()).toEqual([...SERVICES].sort());
  });
});

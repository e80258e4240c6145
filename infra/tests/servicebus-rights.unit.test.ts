import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_ROUTES, type EventType, isEventType, serviceBusTopology } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { loadTerraform, repoRoot, resourceOf, SERVICES, type Service, tf } from './support.ts';

/** The service's production sources (no tests, no test support). */
function sourcesOf(service: Service): string[] {
  const root = join(repoRoot, 'apps', service, 'src');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('test-support'))
    .map((file) => readFileSync(join(root, file), 'utf8'));
}

/** The event types a service creates: `createEvent('<type>', ...)` (the type literal may be on the next line). */
function eventTypesCreatedBy(service: Service): EventType[] {
  const types = new Set<EventType>();
  for (const text of sourcesOf(service)) {
    for (const [, type] of text.matchAll(/createEvent(?:<[^>]*>)?\(\s*'([a-z.]+)'/g)) {
      if (type !== undefined && isEventType(type)) types.add(type);
    }
  }
  return [...types].sort();
}

const ALL_ENTITIES = [
  ...serviceBusTopology.queues.map((queue) => queue.name),
  ...serviceBusTopology.topics.map((topic) => topic.name),
].sort();

/**
 * The queues and topics each service must be able to send to, derived from its code: the entities its events are
 * routed to. The channel-router also redrives dead letters into every entity (ADR 0085), so it sends to all.
 */
function expectedSends(service: Service): string[] {
  if (service === 'channel-router') return ALL_ENTITIES;
  return [...new Set(eventTypesCreatedBy(service).map((type) => EVENT_ROUTES[type]))].sort();
}

describe('Service Bus send rights (issue #19, item 10)', () => {
  it('given the services code, when its publishes are derived, then each one may send to exactly the entities it publishes to', async () => {
    const config = await loadTerraform();
    const publishes = config.locals.servicebus_publishes as Record<string, string[]>;
    for (const service of SERVICES) {
      expect(eventTypesCreatedBy(service).length, `${service} creates events`).toBeGreaterThan(0);
      expect([...(publishes[service] ?? [])].sort(), service).toEqual(expectedSends(service));
    }
    expect(Object.keys(publishes).sort()).toEqual([...SERVICES].sort());
  });

  it('given the send assignments, when read, then each is Azure Service Bus Data Sender on one queue or topic', async () => {
    const config = await loadTerraform();
    const send = resourceOf(config, 'azurerm_role_assignment', 'service_send');
    expect(send.for_each).toBe(tf('local.servicebus_sends'));
    expect(send.role_definition_name).toBe('Azure Service Bus Data Sender');
    expect(send.scope).toBe(
      tf(
        'contains(keys(local.sb.queues), each.value.entity) ? azurerm_servicebus_queue.main[each.value.entity].id : azurerm_servicebus_topic.main[each.value.entity].id',
      ),
    );
    expect(send.principal_id).toBe(
      tf('azurerm_user_assigned_identity.service[each.value.service].principal_id'),
    );
    expect(String(config.locals.servicebus_sends)).toContain(
      'for service, entities in local.servicebus_publishes',
    );
    const waits = resourceOf(config, 'time_sleep', 'service_rbac');
    expect(waits.depends_on).toContain(tf('azurerm_role_assignment.service_send'));
  });

  it('given the role assignments of the services, when read, then none sends namespace-wide', async () => {
    const config = await loadTerraform();
    // The per-plane assignments skip Service Bus; the namespace scope is left to the developer's assignment.
    expect(String(config.locals.service_role_assignments)).toContain('if plane != "servicebus"');
    for (const [name, body] of Object.entries(config.resources.azurerm_role_assignment ?? {})) {
      if (!String(body.principal_id).includes('azurerm_user_assigned_identity.service')) continue;
      expect(String(body.scope), name).not.toContain('azurerm_servicebus_namespace');
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosmosContainers } from '../../packages/emulators/src/cosmos/containers.ts';
import { infraDir, loadTerraform, loadYaml, readRepoFile, resourceOf, tf } from './support.ts';

interface ContainerSpec {
  partition_key: string;
  default_ttl: number | null;
}

function containersFile(): Record<string, ContainerSpec> {
  const parsed = JSON.parse(readFileSync(join(infraDir, 'cosmos_containers.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return Object.fromEntries(Object.entries(parsed).filter(([name]) => name !== '//')) as Record<
    string,
    ContainerSpec
  >;
}

/** The containers the customer context opens, with the partition key each one documents (`pk \`/x\``). */
function containersOfCustomerContext(): Record<string, string> {
  const source = readRepoFile('packages/customer-context/src/cosmos.ts');
  const keys: Record<string, string> = {};
  for (const match of source.matchAll(/\/\*\* pk `([^`]+)`[^*]*\*\/\s*readonly (\w+): Container;/g)) {
    keys[match[2] ?? ''] = match[1] ?? '';
  }
  const opened = [...source.matchAll(/database\.container\('(\w+)'\)/g)].map((match) => match[1] ?? '');
  expect(opened.sort()).toEqual(Object.keys(keys).sort());
  return keys;
}

/** The voice-adapter keeps call state in its own container when there is no Redis (`call-state.ts` documents it). */
function containersOfVoiceAdapter(): Record<string, string> {
  const source = readRepoFile('apps/voice-adapter/src/call-state.ts');
  const match = /Cosmos `(\w+)` container \(partition key `([^`]+)`\)/.exec(source);
  expect(match, 'call-state.ts names its Cosmos container').not.toBeNull();
  return { [match?.[1] ?? '']: match?.[2] ?? '' };
}

/** The channel-router keeps its erasure journal in its own container (`erasure-journal.ts` documents it). */
function containersOfChannelRouter(): Record<string, string> {
  const source = readRepoFile('apps/channel-router/src/privacy/erasure-journal.ts');
  const match = /Cosmos `(\w+)` container \(partition key `([^`]+)`\)/.exec(source);
  expect(match, 'erasure-journal.ts names its Cosmos container').not.toBeNull();
  return { [match?.[1] ?? '']: match?.[2] ?? '' };
}

const DAY = 24 * 60 * 60;

describe('Cosmos DB containers', () => {
  it('given the customer context, when its containers are listed, then cosmos_containers.json has the same names and partition keys', () => {
    const expected = containersOfCustomerContext();
    const declared = Object.fromEntries(
      Object.entries(containersFile()).map(([name, spec]) => [name, spec.partition_key]),
    );
    expect(declared).toEqual({ ...expected, ...containersOfVoiceAdapter(), ...containersOfChannelRouter() });
  });

  it('given the local Cosmos emulator, when its containers are listed, then the deployed ones are the same (names, keys, TTL)', () => {
    const local = Object.fromEntries(
      cosmosContainers.map((c) => [
        c.id,
        { partition_key: c.partitionKeyPath, default_ttl: c.defaultTtl ?? null },
      ]),
    );
    expect(containersFile()).toEqual(local);
  });

  it('given the retention policy, when the containers are declared, then transcripts keep 90 days, handoffs 30, idempotency 7, call state 1, and customers, identities and the erasure audit have no TTL', () => {
    const ttl = Object.fromEntries(
      Object.entries(containersFile()).map(([name, spec]) => [name, spec.default_ttl]),
    );
    expect(ttl).toEqual({
      customers: null,
      identities: null,
      handoffs: 30 * DAY,
      transcripts: 90 * DAY,
      idempotency: 7 * DAY,
      calls: DAY,
      erasures: null,
    });
  });

  it('given an operator override, when cosmos.tf sets a container TTL, then var.cosmos_retention_seconds wins over the file', async () => {
    const config = await loadTerraform();
    const container = resourceOf(config, 'azurerm_cosmosdb_sql_container', 'main');
    expect(container.default_ttl).toBe(
      tf('lookup(var.cosmos_retention_seconds, each.key, each.value.default_ttl)'),
    );
    expect(config.variables.cosmos_retention_seconds).toBeDefined();
  });

  it('given cosmos.tf, when read, then containers come from cosmos_containers.json in a serverless, key-less account', async () => {
    const config = await loadTerraform();
    expect(String(config.locals.cosmos_containers)).toContain(
      `file("${tf('path.module')}/cosmos_containers.json")`,
    );
    const container = resourceOf(config, 'azurerm_cosmosdb_sql_container', 'main');
    expect(container.for_each).toBe(tf('local.cosmos_containers'));
    expect(container.partition_key_paths).toEqual([tf('each.value.partition_key')]);
    const account = resourceOf(config, 'azurerm_cosmosdb_account', 'main');
    expect(JSON.stringify(account.capabilities)).toContain('EnableServerless');
    expect(config.locals.cosmos_database).toBe('omnichannel');
  });

  it('given compose, when the Cosmos emulator starts, then the init step creates the same containers from the same file', () => {
    const compose = loadYaml('docker-compose.yml') as {
      services: Record<string, { volumes?: string[]; command?: string[] }>;
    };
    const init = compose.services['cosmos-init'];
    expect(init?.volumes).toContain('./infra/cosmos_containers.json:/init/cosmos_containers.json:ro');
    expect(init?.command).toEqual(['node', '/init/cosmos-init.mjs']);
  });
});

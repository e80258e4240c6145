/**
 * `pnpm --filter @omni/infra generate`: writes the Service Bus topology from packages/contracts as Terraform
 * locals (`servicebus_topology.tf.json`) and as the docker-compose emulator's Config.json. Both files are
 * committed; `tests/servicebus.unit.test.ts` regenerates them in memory and fails when they drift.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderServiceBusEmulatorConfig, serviceBusTopology } from '@omni/contracts';
import {
  COMPOSE_EMULATOR_CONFIG_FILE,
  renderTerraformTopologyFile,
  TERRAFORM_TOPOLOGY_FILE,
} from './servicebus-topology.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The emulator Config.json text (clamps to the emulator's limits are expected and documented in contracts). */
export function renderComposeEmulatorConfig(): string {
  return `${JSON.stringify(renderServiceBusEmulatorConfig(serviceBusTopology), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(here, TERRAFORM_TOPOLOGY_FILE), renderTerraformTopologyFile(serviceBusTopology));
  writeFileSync(join(here, COMPOSE_EMULATOR_CONFIG_FILE), renderComposeEmulatorConfig());
  process.stdout.write(`wrote ${TERRAFORM_TOPOLOGY_FILE} and ${COMPOSE_EMULATOR_CONFIG_FILE}\n`);
}

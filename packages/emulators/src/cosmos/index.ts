/**
 * `@omni/emulators/cosmos`: an in-process Cosmos DB emulator (`@vercel/cosmosdb-server` over http) for local mode
 * and integration tests, and the container definitions of the `omnichannel` database. See the package README for
 * what it does not emulate.
 *
 * @packageDocumentation
 */
export { COSMOS_DATABASE, type CosmosContainerDefinition, cosmosContainers } from './containers.js';
export {
  COSMOS_EMULATOR_DEFAULT_PORT,
  COSMOS_EMULATOR_KEY,
  type CosmosEmulator,
  type CosmosEmulatorOptions,
  cosmosClientOptionsFor,
  startCosmosEmulator,
} from './emulator.js';
export type { CosmosFaults } from './server.js';

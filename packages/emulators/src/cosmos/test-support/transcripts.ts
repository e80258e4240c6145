import { type Container, CosmosClient } from '@azure/cosmos';
import { COSMOS_DATABASE } from '../containers.js';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from '../emulator.js';

/** A started emulator, an SDK client and its `transcripts` container holding five turns of two customers. */
export interface TranscriptsFixture {
  readonly emulator: CosmosEmulator;
  readonly client: CosmosClient;
  readonly transcripts: Container;
  stop(): Promise<void>;
}

/** Starts the emulator and writes turns 1, 2, 3 of `cust_a` and 10, 20 of `cust_b` (`text: 'turn <n>'`). */
export async function startTranscriptsFixture(): Promise<TranscriptsFixture> {
  const emulator = await startCosmosEmulator();
  const client = new CosmosClient(cosmosClientOptionsFor(emulator));
  const transcripts = client.database(COSMOS_DATABASE).container('transcripts');
  for (const [customerId, turns] of [
    ['cust_a', [1, 2, 3]],
    ['cust_b', [10, 20]],
  ] as const) {
    for (const turn of turns) {
      await transcripts.items.create({ id: `${customerId}_${turn}`, customerId, turn, text: `turn ${turn}` });
    }
  }
  return {
    emulator,
    client,
    transcripts,
    async stop() {
      client.dispose();
      await emulator.stop();
    },
  };
}

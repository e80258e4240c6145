import { type Container, CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

/** The Cosmos database the customer context lives in. */
export const DEFAULT_COSMOS_DATABASE = 'omnichannel';

/**
 * How to reach Cosmos DB: an endpoint with a master key (the local emulator) or an endpoint with an Entra ID
 * credential (Azure; `DefaultAzureCredential` when none is given).
 */
export type CosmosSettings =
  | { endpoint: string; key: string; database?: string; clientOptions?: Partial<CosmosClientOptions> }
  | {
      endpoint: string;
      credential?: TokenCredential;
      database?: string;
      clientOptions?: Partial<CosmosClientOptions>;
    };

/** The five containers of the customer context (ARCHITECTURE.md section 5). */
export interface CustomerContextContainers {
  /** pk `/id`: one document per customer (and tombstones of merged customers). */
  readonly customers: Container;
  /** pk `/id`: one document per identity key; creating it is the uniqueness guard. */
  readonly identities: Container;
  /** pk `/customerId`: handoffs and their token hashes. */
  readonly handoffs: Container;
  /** pk `/customerId`: one document per turn, plus merge audit records. */
  readonly transcripts: Container;
  /** pk `/id`: idempotency records. */
  readonly idempotency: Container;
  /** The client, to dispose of on shutdown. */
  readonly client: CosmosClient;
}

/**
 * Creates the `CosmosClient` and the container handles. The database and containers must exist (the
 * emulator and Terraform create them); nothing is created here. With a key, endpoint discovery is turned off
 * (the local emulator has one region); with a credential the SDK defaults apply.
 */
export function createCosmosContainers(settings: CosmosSettings): CustomerContextContainers {
  const options: CosmosClientOptions =
    'key' in settings
      ? {
          endpoint: settings.endpoint,
          key: settings.key,
          connectionPolicy: { enableEndpointDiscovery: false },
          ...settings.clientOptions,
        }
      : {
          endpoint: settings.endpoint,
          aadCredentials: settings.credential ?? new DefaultAzureCredential(),
          ...settings.clientOptions,
        };
  const client = new CosmosClient(options);
  const database = client.database(settings.database ?? DEFAULT_COSMOS_DATABASE);
  return {
    customers: database.container('customers'),
    identities: database.container('identities'),
    handoffs: database.container('handoffs'),
    transcripts: database.container('transcripts'),
    idempotency: database.container('idempotency'),
    client,
  };
}

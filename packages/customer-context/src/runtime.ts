import type { TokenCredential } from '@azure/identity';
import type { Logger } from 'pino';
import { type ContextCache, createContextCache } from './cache.js';
import type { CustomerContextConfig } from './config.js';
import { type CustomerContextContainers, createCosmosContainers } from './cosmos.js';
import { CustomerContextStore, type CustomerContextStoreOptions } from './customer-context-store.js';

/** A wired store with the resources to release on shutdown. */
export interface CustomerContextRuntime {
  readonly store: CustomerContextStore;
  readonly containers: CustomerContextContainers;
  readonly cache: ContextCache;
  /** Closes the cache connection and the Cosmos client. */
  close(): Promise<void>;
}

/**
 * Wires a {@link CustomerContextStore} from parsed config: Cosmos with the key (local emulator) or an Entra ID
 * credential (Azure), and Redis when `REDIS_URL` is set, else an in-memory cache.
 */
export function createCustomerContextStore(
  config: Omit<CustomerContextConfig, 'HANDOFF_TOKEN_KEY'> & { HANDOFF_TOKEN_KEY?: string | undefined },
  options: {
    credential?: TokenCredential;
    logger?: Pick<Logger, 'warn' | 'error'>;
  } & Partial<Omit<CustomerContextStoreOptions, 'containers' | 'handoffTokenKey' | 'logger'>> = {},
): CustomerContextRuntime {
  const { credential, ...storeOptions } = options;
  const containers =
    config.COSMOS_KEY !== undefined
      ? createCosmosContainers({
          endpoint: config.COSMOS_ENDPOINT,
          key: config.COSMOS_KEY,
          database: config.COSMOS_DATABASE,
        })
      : createCosmosContainers({
          endpoint: config.COSMOS_ENDPOINT,
          credential,
          database: config.COSMOS_DATABASE,
        });
  const cache = storeOptions.cache ?? createContextCache(config.REDIS_URL);
  const store = new CustomerContextStore({
    defaultPhoneRegion: config.DEFAULT_PHONE_REGION,
    ...storeOptions,
    containers,
    cache,
    ...(config.HANDOFF_TOKEN_KEY === undefined ? {} : { handoffTokenKey: config.HANDOFF_TOKEN_KEY }),
  });
  return {
    store,
    containers,
    cache,
    close: async () => {
      await cache.close();
      containers.client.dispose();
    },
  };
}

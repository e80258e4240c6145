import type { Container, ItemDefinition } from '@azure/cosmos';
import { isNotFound, type OptimisticRetryOptions, withThrottleRetry } from './retry.js';

/** Every document of a customer's partition (a container partitioned by `/customerId`, or filtered on it). */
export async function queryByCustomer(
  container: Container,
  customerId: string,
  retry: OptimisticRetryOptions,
): Promise<(ItemDefinition & { id: string })[]> {
  const { resources } = await withThrottleRetry(
    'query by customer',
    () =>
      container.items
        .query<ItemDefinition & { id: string }>({
          query: 'SELECT * FROM c WHERE c.customerId = @id',
          parameters: [{ name: '@id', value: customerId }],
        })
        .fetchAll(),
    retry,
  );
  return resources;
}

/** Deletes a document; one already gone is fine. */
export async function deleteIgnoringMissing(
  container: Container,
  id: string,
  partitionKey: string,
  retry: OptimisticRetryOptions,
): Promise<void> {
  try {
    await withThrottleRetry('delete', () => container.item(id, partitionKey).delete(), retry);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

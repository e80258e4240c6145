import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { CosmosEmulator } from '@omni/emulators/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerContextContainers } from './cosmos.js';
import { IdempotencyLedger } from './idempotency-ledger.js';
import { startCosmos } from './test-support/harness.js';

let emulator: CosmosEmulator;
let containers: CustomerContextContainers;

beforeAll(async () => {
  ({ emulator, containers } = await startCosmos());
}, 30_000);
afterAll(async () => {
  await emulator?.stop();
});

/**
 * The idempotency container, except that the first `failures` conditional replaces answer 412, as a storm of
 * lost ETag races would (what the fault proxy of `pnpm test:faults` injects).
 */
function withPreconditionStorm(container: Container, failures: number): Container {
  let left = failures;
  return new Proxy(container, {
    get(target, property, receiver) {
      if (property !== 'item') return Reflect.get(target, property, receiver);
      return (id: string, partitionKey: string) => {
        const item = target.item(id, partitionKey);
        return new Proxy(item, {
          get(itemTarget, itemProperty, itemReceiver) {
            if (itemProperty !== 'replace') return Reflect.get(itemTarget, itemProperty, itemReceiver);
            return (body: unknown, options?: { accessCondition?: unknown }) => {
              if (options?.accessCondition !== undefined && left > 0) {
                left -= 1;
                return Promise.reject(Object.assign(new Error('Precondition Failed'), { code: 412 }));
              }
              return itemTarget.replace(body as never, options as never);
            };
          },
        });
      };
    },
  });
}

describe('IdempotencyLedger', () => {
  it('given every conditional write of the result failing with 412, when the side effect ran, then it is stored and never runs again', async () => {
    const ledger = new IdempotencyLedger({
      container: withPreconditionStorm(containers.idempotency, 50),
      retry: { maxAttempts: 4, baseDelayMs: 1 },
    });
    const key = `send:${randomUUID()}`;
    let sends = 0;
    const first = await ledger.runOnce(key, async () => {
      sends += 1;
      return 'wamid-1';
    });
    const again = await ledger.runOnce(key, async () => {
      sends += 1;
      return 'wamid-2';
    });
    expect([first, again, sends]).toEqual(['wamid-1', 'wamid-1', 1]);
  });

  it('given a holder that crashed mid side effect, when another takes the key over after its lease, then the side effect learns the first claim time (the same request, for ACS repeatability)', async () => {
    let now = Date.UTC(2026, 11, 3, 4, 0, 0);
    const ledger = new IdempotencyLedger({ container: containers.idempotency, clock: () => now });
    const key = `send:${randomUUID()}`;
    const seen: number[] = [];
    // The first holder claims and never finishes (its process dies): nothing stores a result or releases it.
    void ledger.runOnce(
      key,
      (claim) => {
        seen.push(claim.firstClaimedAt);
        return new Promise<never>(() => {});
      },
      { leaseMs: 1_000 },
    );
    await expect.poll(() => seen.length).toBe(1);
    const firstClaimedAt = now;
    now += 5_000;

    const result = await ledger.runOnce(key, async (claim) => {
      seen.push(claim.firstClaimedAt);
      return 'sent';
    });

    expect(result).toBe('sent');
    expect(seen).toEqual([firstClaimedAt, firstClaimedAt]);
    // A new key starts its own time.
    await ledger.runOnce(`send:${randomUUID()}`, async (claim) => {
      seen.push(claim.firstClaimedAt);
    });
    expect(seen[2]).toBe(now);
  });
});

import { createHash, randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import { type IdempotencyDocument, idempotencyDocumentSchema, parseDocument } from './documents.js';
import { ConcurrencyExhaustedError } from './errors.js';
import {
  isConflict,
  isNotFound,
  isPreconditionFailed,
  type OptimisticRetryOptions,
  realSleep,
  type Sleep,
  withOptimisticRetry,
  withThrottleRetry,
} from './retry.js';

/** Options of one {@link IdempotencyLedger.runOnce} call. */
export interface RunOnceOptions {
  /** How long the result is kept (and replayed), in seconds. Default 24 hours. */
  ttlSeconds?: number;
  /**
   * How long a holder may run `fn` before others may take the key over (clock time, ms). Must exceed
   * `fn`'s longest run: the lease is not renewed. Default 30 s.
   */
  leaseMs?: number;
  /** How long a caller waits for another holder's result (real time, ms). Default 20 s. */
  waitTimeoutMs?: number;
}

/** What the side effect learns about its claim. */
export interface RunOnceClaim {
  /**
   * When the key was first claimed (epoch ms): the same for a holder that takes over from a crashed one, so the
   * retried side effect can carry the first attempt's time (ACS `Repeatability-First-Sent`).
   */
  readonly firstClaimedAt: number;
}

/** Dependencies and defaults of an {@link IdempotencyLedger}. */
export interface IdempotencyLedgerOptions {
  /** The `idempotency` container (pk `/id`). */
  container: Container;
  /** Clock for leases and expiry. Default the system clock. */
  clock?: Clock;
  /** Sleep between polls. Default real time. */
  sleep?: Sleep;
  /** Poll interval while another holder runs, ms. Default 20. */
  pollIntervalMs?: number;
  /** Retry policy for 412/429. */
  retry?: OptimisticRetryOptions;
  /** Logger for swallowed cleanup failures. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * At-most-once execution of side effects behind a key (refunds, webhook dedupe), recorded in the
 * `idempotency` container. Creating the key's document is the claim: exactly one concurrent caller creates
 * it and runs `fn`; the others poll until the result is stored and return it. A failing `fn` deletes the
 * claim so a retry can run; a crashed holder's lease expires and the next caller takes over.
 */
export class IdempotencyLedger {
  readonly #container: Container;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #pollIntervalMs: number;
  readonly #retry: OptimisticRetryOptions;
  readonly #logger: Pick<Logger, 'warn'> | undefined;

  constructor(options: IdempotencyLedgerOptions) {
    this.#container = options.container;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.#pollIntervalMs = options.pollIntervalMs ?? 20;
    this.#retry = options.retry ?? {};
    this.#logger = options.logger;
  }

  /**
   * Runs `fn` once per `key` and returns its result; later (and concurrent) calls with the key return the
   * stored result. The result must be JSON: every caller, the first included, gets its JSON round trip.
   *
   * @throws whatever `fn` throws (the key is released); {@link ConcurrencyExhaustedError} when the wait for
   *   another holder runs out
   */
  async runOnce<T>(
    key: string,
    fn: (claim: RunOnceClaim) => Promise<T>,
    options: RunOnceOptions = {},
  ): Promise<T> {
    const id = idempotencyId(key);
    const ttlSeconds = options.ttlSeconds ?? 86_400;
    const leaseMs = options.leaseMs ?? 30_000;
    const deadline = performance.now() + (options.waitTimeoutMs ?? 20_000);
    const holder = randomUUID();
    for (;;) {
      const now = this.#clock();
      let claim: IdempotencyDocument = {
        id,
        type: 'idempotency',
        key,
        status: 'running',
        holder,
        leaseExpiresAt: now + leaseMs,
        createdAt: now,
        firstClaimedAt: now,
        completedAt: null,
        ttl: ttlSeconds,
      };
      let etag: string | undefined;
      try {
        const created = await withThrottleRetry(
          'runOnce',
          () => this.#container.items.create(claim),
          this.#retry,
        );
        etag = created.etag;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      if (etag === undefined) {
        const { resource } = await withThrottleRetry(
          'runOnce',
          () => this.#container.item(id, id).read(),
          this.#retry,
        );
        if (resource === undefined) continue; // released between our create and read
        const existing = parseDocument(idempotencyDocumentSchema, 'idempotency', resource);
        const expired = now >= existing.createdAt + existing.ttl * 1000;
        if (existing.status === 'done' && !expired) return existing.result as T;
        const leaseOver = existing.status === 'running' && (existing.leaseExpiresAt ?? 0) <= now;
        if (existing.status === 'running' && !leaseOver) {
          if (performance.now() > deadline) {
            throw new ConcurrencyExhaustedError(`runOnce: waiting for the holder of "${key}"`, 1);
          }
          await this.#sleep(this.#pollIntervalMs);
          continue;
        }
        // Expired result or crashed holder: take the key over, if no one else does first. A crashed holder's
        // side effect may have happened: the takeover is the same request, so it keeps the first claim's time.
        if (leaseOver) claim = { ...claim, firstClaimedAt: existing.firstClaimedAt ?? existing.createdAt };
        try {
          const replaced = await this.#container
            .item(id, id)
            .replace(claim, { accessCondition: { type: 'IfMatch', condition: existing._etag ?? '' } });
          etag = replaced.etag;
        } catch (error) {
          if (isPreconditionFailed(error) || isNotFound(error)) continue;
          throw error;
        }
      }
      return this.#runAsHolder(id, key, etag ?? '', claim, fn);
    }
  }

  /**
   * The stored result of `key` when its work is done and not expired; `undefined` while it runs, after it
   * failed, or when it never ran. Reads only: never claims the key.
   */
  async peek<T>(key: string): Promise<T | undefined> {
    const id = idempotencyId(key);
    const { resource } = await withThrottleRetry(
      'peek',
      () => this.#container.item(id, id).read(),
      this.#retry,
    );
    if (resource === undefined) return undefined;
    const existing = parseDocument(idempotencyDocumentSchema, 'idempotency', resource);
    if (existing.status !== 'done' || this.#clock() >= existing.createdAt + existing.ttl * 1000)
      return undefined;
    return existing.result as T;
  }

  async #runAsHolder<T>(
    id: string,
    key: string,
    etag: string,
    claim: IdempotencyDocument,
    fn: (claim: RunOnceClaim) => Promise<T>,
  ): Promise<T> {
    let result: unknown;
    try {
      const value = await fn({ firstClaimedAt: claim.firstClaimedAt ?? claim.createdAt });
      result = value === undefined ? null : JSON.parse(JSON.stringify(value));
    } catch (error) {
      await this.#container
        .item(id, id)
        .delete({ accessCondition: { type: 'IfMatch', condition: etag } })
        .catch((releaseError: unknown) => {
          // 412/404: our lease ran out and someone else holds the key now; nothing of ours to release.
          if (!isPreconditionFailed(releaseError) && !isNotFound(releaseError)) {
            this.#logger?.warn({ err: releaseError }, 'could not release an idempotency key');
          }
        });
      throw error;
    }
    const done: IdempotencyDocument = {
      ...claim,
      status: 'done',
      holder: null,
      leaseExpiresAt: null,
      result,
      completedAt: this.#clock(),
    };
    let currentEtag = etag;
    return withOptimisticRetry(
      `runOnce: store the result of "${key}"`,
      async (attempt) => {
        if (attempt > 1) {
          // Our lease ran out and someone took over: keep a result they stored, else store ours.
          const { resource } = await this.#container.item(id, id).read();
          const current =
            resource === undefined
              ? undefined
              : parseDocument(idempotencyDocumentSchema, 'idempotency', resource);
          if (current?.status === 'done') return current.result as T;
          if (current === undefined) {
            await this.#container.items.create(done);
            return result as T;
          }
          if (current.holder === claim.holder) {
            // Still our claim: nobody else can write it, so the result is stored as it is, whatever made the
            // conditional write fail. Failing here would release the key and run the side effect again.
            await this.#container.item(id, id).replace(done);
            return result as T;
          }
          currentEtag = current._etag ?? '';
        }
        await this.#container
          .item(id, id)
          .replace(done, { accessCondition: { type: 'IfMatch', condition: currentEtag } });
        return result as T;
      },
      this.#retry,
    );
  }
}

/** The document id of an idempotency key: its SHA-256, so any key (with `/`, `#`, any length) is a valid id. */
export function idempotencyId(key: string): string {
  return `idem_${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

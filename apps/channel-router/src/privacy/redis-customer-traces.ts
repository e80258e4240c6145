import { forgetClassifications } from '@omni/conversation';
import type { Redis } from 'ioredis';

/** Options of {@link RedisCustomerTraces}. */
export interface RedisCustomerTracesOptions {
  readonly redis: Redis;
  /** Key prefix of the voice adapter's call state. Default `voice:`. */
  readonly voicePrefix?: string;
  /** Key prefix of the shared classification cache. Default `omni:`. */
  readonly classificationPrefix?: string;
}

/**
 * What other services keep about a customer in the shared Redis, outside the router's queue state: the voice
 * adapter's call state (`<voice>call:<ref>` JSON naming the customer, `<voice>conn:<id>` its index) and the
 * classification cache (keys hold the normalised utterance). Erasure removes both.
 */
export class RedisCustomerTraces {
  readonly #redis: Redis;
  readonly #voicePrefix: string;
  readonly #classificationPrefix: string;

  constructor(options: RedisCustomerTracesOptions) {
    this.#redis = options.redis;
    this.#voicePrefix = options.voicePrefix ?? 'voice:';
    this.#classificationPrefix = options.classificationPrefix ?? 'omni:';
  }

  /** Removes the customer's call state and the cached classifications of `utterances`. Counts per kind. */
  async erase(customerId: string, utterances: readonly string[]): Promise<Record<string, number>> {
    let calls = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${this.#voicePrefix}call:*`,
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        const json = await this.#redis.get(key);
        if (json === null) continue;
        let session: { customerId?: unknown; callConnectionId?: unknown };
        try {
          session = JSON.parse(json) as typeof session;
        } catch {
          continue;
        }
        if (session.customerId !== customerId) continue;
        const doomed = [key];
        if (typeof session.callConnectionId === 'string') {
          doomed.push(`${this.#voicePrefix}conn:${session.callConnectionId}`);
        }
        calls += await this.#redis.del(...doomed);
      }
    } while (cursor !== '0');
    const classifications = await forgetClassifications(this.#redis, utterances, this.#classificationPrefix);
    return { 'call-state': calls, classifications };
  }
}

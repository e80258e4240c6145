import { Redis } from 'ioredis';
import {
  type AgentState,
  type AgentUpdate,
  type AgentUpdateResult,
  ARRIVAL_WINDOW_MS,
  ASSIGNMENTS_PER_AGENT,
  type Assignment,
  applyAgentUpdate,
  HANDLE_WINDOW,
  type QueueItem,
  type QueueSnapshot,
  type QueueState,
  type ServiceLevelCounts,
} from './queue-state.js';

/** Default key prefix. */
export const DEFAULT_QUEUE_KEY_PREFIX = 'omni:router:';

const SEEN_TTL_SECONDS = 86_400;
const CAS_ATTEMPTS = 20;

/** Admit a member to a capped set: KEYS set; ARGV member, limit, ttl ms. 1 admitted (or already in), 0 full. */
const ADMIT_CAPPED = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`;

/** Seen-guarded enqueue: KEYS seen, items zset, items hash, arrivals zset, queues set. */
const ENQUEUE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[7])) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[6])
redis.call('SADD', KEYS[5], ARGV[5])
return 1`;

/** Remove a waiting item and keep a late enqueue out: KEYS seen, items zset, items hash. */
const REMOVE = `
redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[2]))
local item = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return item`;

/** Compare-and-set of one hash field: KEYS hash; ARGV field, expected ('' = absent), next. */
const CAS = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then current = '' end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/**
 * Next item to the longest-free agent serving the queue, atomically: KEYS items zset, items hash, agents hash,
 * unannounced hash; ARGV queue, now, assignment list key prefix, assignments kept.
 */
const ASSIGN_NEXT = `
local top = redis.call('ZRANGE', KEYS[1], 0, 0)
if #top == 0 then return false end
local all = redis.call('HGETALL', KEYS[3])
local bestId, bestAgent, bestAt
for i = 1, #all, 2 do
  local agent = cjson.decode(all[i + 1])
  if agent.status == 'available' and agent.current == nil then
    local serves = false
    for _, q in ipairs(agent.queues) do if q == ARGV[1] then serves = true end end
    if serves and (bestAt == nil or agent.updatedAt < bestAt or (agent.updatedAt == bestAt and all[i] < bestId)) then
      bestId = all[i]
      bestAgent = agent
      bestAt = agent.updatedAt
    end
  end
end
if bestId == nil then return false end
local itemId = top[1]
local item = redis.call('HGET', KEYS[2], itemId)
redis.call('ZREM', KEYS[1], itemId)
redis.call('HDEL', KEYS[2], itemId)
if not item then return false end
local now = tonumber(ARGV[2])
bestAgent.status = 'busy'
bestAgent.updatedAt = now
bestAgent.busySince = now
bestAgent.current = { itemId = itemId, queue = ARGV[1], kind = cjson.decode(item).kind }
redis.call('HSET', KEYS[3], bestId, cjson.encode(bestAgent))
local assignment = '{"agentId":' .. cjson.encode(bestId) .. ',"assignedAt":' .. ARGV[2] .. ',"item":' .. item .. '}'
local key = ARGV[3] .. bestId
redis.call('LPUSH', key, assignment)
redis.call('LTRIM', key, 0, tonumber(ARGV[4]) - 1)
redis.call('HSET', KEYS[4], itemId, assignment)
return assignment`;

/** Status publication claim (`shouldPublishStatus`, atomically): KEYS status hash; ARGV status key, now, interval. */
const CLAIM_STATUS = `
local level = redis.call('HGET', KEYS[1], 'level')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
if level == ARGV[1] and (tonumber(ARGV[2]) - at) < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'level', ARGV[1], 'at', ARGV[2])
return 1`;

/** Score of a waiting item: highest priority first, then the oldest. */
function scoreOf(item: QueueItem): number {
  return (9 - item.priority) * 1e14 + item.enqueuedAt;
}

/**
 * The Redis {@link QueueState}: every operation is one Lua script (or a compare-and-set loop), so router
 * replicas sharing one Redis agree. Keys live under `prefix`; the scripts build the per-agent assignment key
 * from it, so this needs a single Redis node (not Redis Cluster).
 */
export class RedisQueueState implements QueueState {
  readonly #redis: Redis;
  readonly #p: string;
  readonly #owns: boolean;

  constructor(options: { url: string; prefix?: string } | { redis: Redis; prefix?: string }) {
    this.#p = options.prefix ?? DEFAULT_QUEUE_KEY_PREFIX;
    if ('redis' in options) {
      this.#redis = options.redis;
      this.#owns = false;
    } else {
      this.#redis = new Redis(options.url, { maxRetriesPerRequest: 3, lazyConnect: false });
      this.#owns = true;
    }
  }

  #k(...parts: string[]): string {
    return `${this.#p}${parts.join(':')}`;
  }

  async enqueue(item: QueueItem): Promise<boolean> {
    const result = await this.#redis.eval(
      ENQUEUE,
      5,
      this.#k('seen', item.id),
      this.#k('items', item.queue),
      this.#k('item', item.queue),
      this.#k('arrivals', item.queue),
      this.#k('queues'),
      item.id,
      String(scoreOf(item)),
      JSON.stringify(item),
      String(item.enqueuedAt),
      item.queue,
      String(item.enqueuedAt - ARRIVAL_WINDOW_MS),
      String(SEEN_TTL_SECONDS),
    );
    return result === 1;
  }

  async remove(queue: string, itemId: string): Promise<QueueItem | undefined> {
    const raw = await this.#redis.eval(
      REMOVE,
      3,
      this.#k('seen', itemId),
      this.#k('items', queue),
      this.#k('item', queue),
      itemId,
      String(SEEN_TTL_SECONDS),
    );
    return typeof raw === 'string' ? (JSON.parse(raw) as QueueItem) : undefined;
  }

  async updateAgent(update: AgentUpdate): Promise<AgentUpdateResult> {
    const key = this.#k('agents');
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const raw = await this.#redis.hget(key, update.agentId);
      const previous = raw === null ? undefined : (JSON.parse(raw) as AgentState);
      const { next, result } = applyAgentUpdate(previous, update);
      if (next === undefined) return result;
      const swapped = await this.#redis.eval(CAS, 1, key, update.agentId, raw ?? '', JSON.stringify(next));
      if (swapped === 1) {
        if (next.queues.length > 0) await this.#redis.sadd(this.#k('queues'), ...next.queues);
        return result;
      }
    }
    throw new Error(`agent ${update.agentId} changed too often to update`);
  }

  async recordHandleTime(queue: string, seconds: number): Promise<void> {
    const key = this.#k('handle', queue);
    await this.#redis
      .multi()
      .lpush(key, String(seconds))
      .ltrim(key, '0', String(HANDLE_WINDOW - 1))
      .exec();
  }

  async assignNext(queue: string, now: number): Promise<Assignment | undefined> {
    const raw = await this.#redis.eval(
      ASSIGN_NEXT,
      4,
      this.#k('items', queue),
      this.#k('item', queue),
      this.#k('agents'),
      this.#k('unannounced'),
      queue,
      String(now),
      this.#k('assignments', ''),
      String(ASSIGNMENTS_PER_AGENT),
    );
    return typeof raw === 'string' ? (JSON.parse(raw) as Assignment) : undefined;
  }

  async snapshot(queue: string): Promise<QueueSnapshot> {
    const [ids, items, agents, handle, arrivals] = await Promise.all([
      this.#redis.zrange(this.#k('items', queue), '0', '-1'),
      this.#redis.hgetall(this.#k('item', queue)),
      this.agents(),
      this.#redis.lrange(this.#k('handle', queue), '0', '-1'),
      this.#redis.zrange(this.#k('arrivals', queue), '0', '-1', 'WITHSCORES'),
    ]);
    const arrivalTimes: number[] = [];
    for (let i = 1; i < arrivals.length; i += 2) arrivalTimes.push(Number(arrivals[i]));
    return {
      items: ids.flatMap((id) => (items[id] === undefined ? [] : [JSON.parse(items[id]) as QueueItem])),
      agents: agents.filter((agent) => agent.queues.includes(queue)),
      handleSeconds: handle.map(Number),
      arrivals: arrivalTimes,
    };
  }

  async queues(): Promise<string[]> {
    return (await this.#redis.smembers(this.#k('queues'))).sort();
  }

  async agents(): Promise<AgentState[]> {
    const all = await this.#redis.hgetall(this.#k('agents'));
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as AgentState)
      .sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  async assignmentsOf(agentId: string): Promise<Assignment[]> {
    const raw = await this.#redis.lrange(this.#k('assignments', agentId), '0', '-1');
    return raw.map((entry) => JSON.parse(entry) as Assignment);
  }

  async countServiceLevel(queue: string, outcome: 'within-target' | 'late' | 'abandoned'): Promise<void> {
    const key = this.#k('service-level', queue);
    const multi = this.#redis.multi();
    if (outcome === 'abandoned') multi.hincrby(key, 'abandoned', 1);
    else multi.hincrby(key, 'answered', 1);
    if (outcome === 'within-target') multi.hincrby(key, 'answeredWithinTarget', 1);
    await multi.exec();
  }

  async serviceLevel(queue: string): Promise<ServiceLevelCounts> {
    const raw = await this.#redis.hgetall(this.#k('service-level', queue));
    return {
      answered: Number(raw.answered ?? 0),
      answeredWithinTarget: Number(raw.answeredWithinTarget ?? 0),
      abandoned: Number(raw.abandoned ?? 0),
    };
  }

  async unannounced(): Promise<Assignment[]> {
    const all = await this.#redis.hgetall(this.#k('unannounced'));
    return Object.values(all).map((raw) => JSON.parse(raw) as Assignment);
  }

  async markAnnounced(itemId: string): Promise<void> {
    await this.#redis.hdel(this.#k('unannounced'), itemId);
  }

  async admitCapped(
    key: string,
    member: string,
    limit: number,
    ttlMs: number,
    _now?: number,
  ): Promise<boolean> {
    const result = await this.#redis.eval(
      ADMIT_CAPPED,
      1,
      this.#k('cap', key),
      member,
      String(limit),
      String(ttlMs),
    );
    return result === 1;
  }

  async claimStatus(queue: string, key: string, now: number, intervalMs: number): Promise<boolean> {
    const result = await this.#redis.eval(
      CLAIM_STATUS,
      1,
      this.#k('status', queue),
      key,
      String(now),
      String(intervalMs),
    );
    return result === 1;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    const about = (json: string) => {
      try {
        const parsed = JSON.parse(json) as { customerId?: unknown; item?: { customerId?: unknown } };
        return (parsed.item?.customerId ?? parsed.customerId) === customerId;
      } catch {
        return false;
      }
    };
    let removed = 0;
    for (const queue of await this.queues()) {
      const items = await this.#redis.hgetall(this.#k('item', queue));
      for (const [itemId, json] of Object.entries(items)) {
        if (!about(json)) continue;
        await this.#redis
          .multi()
          .zrem(this.#k('items', queue), itemId)
          .hdel(this.#k('item', queue), itemId)
          .exec();
        removed++;
      }
    }
    for (const agentId of Object.keys(await this.#redis.hgetall(this.#k('agents')))) {
      const key = this.#k('assignments', agentId);
      for (const json of await this.#redis.lrange(key, '0', '-1')) {
        if (about(json)) removed += await this.#redis.lrem(key, 0, json);
      }
    }
    const unannounced = await this.#redis.hgetall(this.#k('unannounced'));
    for (const [itemId, json] of Object.entries(unannounced)) {
      if (about(json)) removed += await this.#redis.hdel(this.#k('unannounced'), itemId);
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#owns) await this.#redis.quit().catch(() => undefined);
  }
}

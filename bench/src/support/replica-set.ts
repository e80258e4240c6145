import { WhatsAppEmulatorsProcess } from '../emulators/whatsapp-emulators.js';
import { type OwnRedis, startOwnRedis } from './redis-server.js';
import { RoundRobinProxy } from './round-robin-proxy.js';
import {
  killProcess,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
  stopProcess,
  WHATSAPP_ECHO_REPLICA,
} from './service-process.js';
import { WEBHOOK_SECRET } from './whatsapp-config.js';

/** The ops API key of the router replicas of these runs (local only). */
export const REPLICAS_OPS_API_KEY = 'scale-out-ops-key-0123456789';

/**
 * What several replicas of the services share, each dependency in its own process: the emulators (Service Bus,
 * Cosmos, ACS Messages) and a redis-server of the run's own; plus the environment each service is started with.
 */
export interface ReplicaInfrastructure {
  readonly emulators: WhatsAppEmulatorsProcess;
  readonly redis: OwnRedis;
  readonly env: Record<ServiceName, Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts the emulators' process and a redis-server; `lockDuration` shortens locks for runs that kill replicas. */
export async function startReplicaInfrastructure(
  options: { lockDuration?: string; logLevel?: string } = {},
): Promise<ReplicaInfrastructure> {
  const redis = await startOwnRedis();
  const emulators = await WhatsAppEmulatorsProcess.start(
    options.lockDuration ? { lockDuration: options.lockDuration } : {},
  ).catch(async (error: unknown) => {
    await killProcess(redis.process);
    throw error;
  });
  const s = emulators.settings;
  const common = {
    SERVICEBUS_CONNECTION_STRING: s.serviceBusConnectionString,
    COSMOS_ENDPOINT: s.cosmosEndpoint,
    COSMOS_KEY: s.cosmosKey,
    REDIS_URL: redis.url,
    HANDOFF_TOKEN_KEY: 'scale-out-handoff-token-key-0123456789-abcdefghijkl',
    LOG_LEVEL: options.logLevel ?? 'warn',
  };
  const whatsapp = {
    ...common,
    ACS_MESSAGES_CONNECTION_STRING: s.acsConnectionString,
    WHATSAPP_CHANNEL_REGISTRATION_ID: s.channelRegistrationId,
    EVENTGRID_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Each customer writes a burst: the per-sender limit is not what these runs measure.
    WHATSAPP_RATE_BURST: '100000',
    WHATSAPP_RATE_PER_MINUTE: '1000000',
  };
  const router = {
    ...common,
    OPS_API_KEY: REPLICAS_OPS_API_KEY,
    WEBCHAT_PUBLIC_URL: 'https://chat.example.test',
  };
  return {
    emulators,
    redis,
    env: {
      'whatsapp-adapter': whatsapp,
      'channel-router': router,
      'voice-adapter': common,
      'webchat-adapter': common,
    },
    async stop() {
      await emulators.stop();
      await killProcess(redis.process);
    },
  };
}

/**
 * Replicas of one service behind a {@link RoundRobinProxy} (the Container Apps ingress): started, killed and
 * added while a run goes on. The whatsapp-adapter runs with the echo model ({@link WHATSAPP_ECHO_REPLICA}).
 */
export class ReplicaSet {
  readonly #name: ServiceName;
  readonly #env: Record<string, string>;
  readonly #replicas: ServiceProcess[] = [];
  readonly proxy: RoundRobinProxy;

  private constructor(name: ServiceName, env: Record<string, string>, proxy: RoundRobinProxy) {
    this.#name = name;
    this.#env = env;
    this.proxy = proxy;
  }

  /** Starts `count` replicas at once and the proxy in front of them. */
  static async start(name: ServiceName, env: Record<string, string>, count: number): Promise<ReplicaSet> {
    const set = new ReplicaSet(name, env, await RoundRobinProxy.start([]));
    const started = await Promise.allSettled(Array.from({ length: count }, () => set.add()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await set.stop();
      throw failed.reason;
    }
    return set;
  }

  /** The replicas running now. */
  get replicas(): readonly ServiceProcess[] {
    return this.#replicas;
  }

  /** Starts one more replica and routes to it once it listens. */
  async add(): Promise<ServiceProcess> {
    const script = this.#name === 'whatsapp-adapter' ? WHATSAPP_ECHO_REPLICA : undefined;
    const replica = await startServiceProcess(this.#name, this.#env, script);
    this.#replicas.push(replica);
    this.proxy.setTargets(this.#replicas.map((r) => r.url));
    return replica;
  }

  /** SIGKILLs the replica at `index` (no drain, as a crash or an eviction) and stops routing to it. */
  async kill(index = 0): Promise<void> {
    const replica = this.#replicas[index];
    if (replica === undefined) return;
    // Killed first, routed around after: requests in flight to it fail, as they do in Azure.
    await killProcess(replica.process);
    this.#replicas.splice(index, 1);
    this.proxy.setTargets(this.#replicas.map((r) => r.url));
  }

  /** Stops every replica gracefully, then the proxy. */
  async stop(): Promise<void> {
    await Promise.all(this.#replicas.splice(0).map((replica) => stopProcess(replica.process)));
    await this.proxy.stop();
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { selfSignedCertificate, trustCertificate } from '../local-tls.js';
import { AgentRegistry } from './agents.js';
import { ConversationStore } from './conversations.js';
import { ScriptedModel } from './model.js';
import { ResponsesService } from './responses.js';
import { createFoundryApp, type FoundryServerState } from './server.js';

/** The project name the emulator serves when none is given. */
export const FOUNDRY_EMULATOR_DEFAULT_PROJECT = 'omnichannel';

/** How to start a {@link FoundryEmulator}. Every field is optional. */
export interface FoundryEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; `0` (the default) picks a free one. */
  port?: number;
  /** The project in the endpoint path (`/api/projects/<project>`). Default {@link FOUNDRY_EMULATOR_DEFAULT_PROJECT}. */
  project?: string;
  /**
   * Extra host names or IP addresses the certificate is valid for (for example a container name). `127.0.0.1`,
   * `::1` and `localhost` are always included.
   */
  certificateHosts?: readonly string[];
  /** Receives request handler failures (silent when omitted). */
  logger?: Logger;
  /** The api-versions served. Default {@link FOUNDRY_API_VERSIONS}. */
  apiVersions?: readonly string[];
  /** The bearer tokens accepted. Default `['local-emulator']`, the token of `staticTokenCredential()`. */
  tokens?: readonly string[];
  /** Time source of the 10-minute tool-output window (tests move it instead of waiting). Default `Date`. */
  clock?: { now(): number };
}

/** The api-versions the emulator serves: `v1`, the default of `@azure/ai-projects` 2.x. */
export const FOUNDRY_API_VERSIONS: readonly string[] = ['v1'];

/** Read-only views of the emulator's state, for tests and the sandbox (the same as the `/_emulator` routes). */
export interface FoundryInspection {
  /** Every agent with all its versions, oldest first. */
  agents(): ReturnType<AgentRegistry['list']>;
  /** Every conversation, oldest first. */
  conversations(): ReturnType<ConversationStore['list']>;
  /** A conversation's items, oldest first (throws when unknown). */
  conversationItems(conversationId: string): ReturnType<ConversationStore['get']>['items'];
}

/** A running Foundry emulator. */
export interface FoundryEmulator {
  /** The project endpoint for `new AIProjectClient(endpoint, credential)`: `https://127.0.0.1:<port>/api/projects/<project>`. */
  readonly endpoint: string;
  /** The emulator's root: `https://127.0.0.1:<port>` (`/healthz`, `/_emulator/...`). */
  readonly origin: string;
  readonly project: string;
  readonly port: number;
  /** The self-signed certificate (PEM) generated at start; clients must trust it (see `trustFoundryEmulator`). */
  readonly caCertificatePem: string;
  /** {@link caCertificatePem} written to a file, for `NODE_EXTRA_CA_CERTS` in child processes. Removed by `stop`. */
  readonly caCertificatePath: string;
  /** The scripted model answering `responses.create`. */
  readonly model: ScriptedModel;
  /** Read-only views of agents and conversations. */
  readonly inspect: FoundryInspection;
  /** Forgets agents, conversations, responses and the model's script and recorded requests. */
  reset(): void;
  /** Stops listening, drops all state and removes the certificate file. Safe to call twice. */
  stop(): Promise<void>;
}

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve(address.port);
    });
  });
}

/**
 * Starts the Azure AI Foundry emulator over **https** with a certificate generated for this run. The real
 * `@azure/ai-projects` client (and the OpenAI client from its `getOpenAIClient()`) talks to it once the
 * certificate is trusted and a bearer token is supplied:
 *
 * @example
 * ```ts
 * const foundry = await startFoundryEmulator();
 * trustFoundryEmulator(foundry);
 * const project = new AIProjectClient(foundry.endpoint, staticTokenCredential());
 * foundry.model.script({ text: 'Hello!' });
 * ```
 */
export async function startFoundryEmulator(options: FoundryEmulatorOptions = {}): Promise<FoundryEmulator> {
  const host = options.host ?? '127.0.0.1';
  const project = options.project ?? FOUNDRY_EMULATOR_DEFAULT_PROJECT;
  const model = new ScriptedModel();
  const agents = new AgentRegistry();
  const conversations = new ConversationStore();
  const clock = options.clock ?? Date;
  const responses = new ResponsesService(agents, conversations, model, () => clock.now());
  const state: FoundryServerState = {
    project,
    agents,
    conversations,
    responses,
    model,
    apiVersions: options.apiVersions ?? FOUNDRY_API_VERSIONS,
    tokens: options.tokens ?? ['local-emulator'],
    reset() {
      agents.clear();
      conversations.clear();
      responses.clear();
      model.reset();
    },
  };
  const { key, cert } = await selfSignedCertificate(options.certificateHosts ?? []);
  const certificateDir = await mkdtemp(join(tmpdir(), 'foundry-emulator-'));
  const caCertificatePath = join(certificateDir, 'ca.pem');
  await writeFile(caCertificatePath, cert, { mode: 0o644 });

  const app = createFoundryApp(state, options.logger);
  await app.ready();
  const server = createServer({ key, cert }, (request, response) => app.routing(request, response));
  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await app.close();
    await rm(certificateDir, { recursive: true, force: true });
    throw error;
  }
  const origin = `https://${connectableHost(host)}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `${origin}/api/projects/${project}`,
    origin,
    project,
    port,
    caCertificatePem: cert,
    caCertificatePath,
    model,
    inspect: {
      agents: () => agents.list(),
      conversations: () => conversations.list(),
      conversationItems: (conversationId) => conversations.get(conversationId).items,
    },
    reset: () => state.reset(),
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await app.close();
        state.reset();
        await rm(certificateDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * Makes TLS clients of this process and thread (Node's `fetch`, `https`, hence both SDKs) trust the emulator's
 * certificate by adding it to the default CA list (`tls.setDefaultCACertificates`, Node 24.5+). No certificate
 * checks are switched off. Connections opened before the call are not affected. Child processes instead get
 * `NODE_EXTRA_CA_CERTS=<emulator.caCertificatePath>`.
 *
 * @returns A function that removes the certificate again.
 */
export function trustFoundryEmulator(emulator: Pick<FoundryEmulator, 'caCertificatePem'>): () => void {
  return trustCertificate(emulator.caCertificatePem);
}

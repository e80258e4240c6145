import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** Where the ops API is and the key that opens it. */
export interface OpsConnection {
  readonly url: string;
  readonly apiKey: string;
}

/** The file `pnpm start` writes (mode 0600) so `pnpm ops` finds the sandbox's ops API; removed on stop. */
export const SANDBOX_CONNECTION_FILE = '.omni/sandbox-ops.json';

/** An ops API answer other than 2xx, with the problem+json detail when there is one. */
export class OpsApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`ops API answered ${status}: ${detail}`);
    this.name = 'OpsApiError';
  }
}

/**
 * The ops API connection: `OPS_API_URL` + `OPS_API_KEY` from the environment (a deployment: `azd env get-values`),
 * else the running sandbox's file. Throws an error that says what to do when neither is there.
 */
export async function opsConnection(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<OpsConnection> {
  const url = env.OPS_API_URL;
  const apiKey = env.OPS_API_KEY;
  if (url !== undefined && url !== '' && apiKey !== undefined && apiKey !== '') return { url, apiKey };
  const file = resolve(cwd, SANDBOX_CONNECTION_FILE);
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<OpsConnection>;
    if (typeof saved.url === 'string' && typeof saved.apiKey === 'string') {
      return { url: saved.url, apiKey: saved.apiKey };
    }
  } catch {
    // Not there or unreadable: the message below says what to do.
  }
  throw new Error(
    'No ops API to talk to: set OPS_API_URL and OPS_API_KEY (for a deployment: the channel-router URL and its ops key ' +
      'from `azd env get-values`), or run `pnpm start` in another terminal for the local sandbox.',
  );
}

/** A thin client of the channel-router's ops API: JSON in, JSON out, problems as `OpsApiError`. */
export class OpsApiClient {
  readonly #connection: OpsConnection;
  readonly #fetch: typeof fetch;

  constructor(connection: OpsConnection, fetchImpl: typeof fetch = fetch) {
    this.#connection = connection;
    this.#fetch = fetchImpl;
  }

  async request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.#fetch(new URL(path, this.#connection.url), {
      method,
      headers: {
        'x-api-key': this.#connection.apiKey,
        accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (!response.ok) {
      const problem = parsed as { detail?: unknown; title?: unknown } | undefined;
      const detail =
        typeof problem?.detail === 'string'
          ? problem.detail
          : typeof problem?.title === 'string'
            ? problem.title
            : response.statusText;
      throw new OpsApiError(response.status, detail);
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

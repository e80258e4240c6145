import type { FastifyInstance } from 'fastify';

/** A running webhook under fuzz: where to send, and how to tell whether anything was recorded. */
export interface RunningTarget {
  /** The webhook URL without credentials. */
  readonly url: string;
  /** The query string of valid credentials (e.g. `code=<secret>`), empty when none. */
  readonly credentials: string;
  /** A valid body: the fuzz cases are mutations of it. */
  readonly validBody: unknown;
  readonly bodyLimitBytes: number;
  /** Headers every request carries (e.g. `aeg-event-type`). */
  readonly headers: Record<string, string>;
  /** Headers of valid credentials (e.g. `x-api-key`), sent with `credentials`; none by default. */
  readonly credentialHeaders?: Record<string, string>;
  /** The HTTP method; `POST` by default. */
  readonly method?: 'POST' | 'PUT';
  /** The target holds no valid credentials (e.g. Bot Framework JWTs): every answer must be 4xx, the valid body 401. */
  readonly unauthenticatedOnly?: boolean;
  /** Whether its 4xx answers are `application/problem+json` (a relay passes the upstream's error body on). */
  readonly problemJson: boolean;
  /** What the target recorded (published, sent, stored) so far, as a count that must stay 0. */
  recorded(): Promise<number>;
  /** Whether the app still answers its liveness probe. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * One webhook to fuzz. Add a row to `FUZZ_TARGETS` (in `webhooks.int.test.ts`) for each new webhook: the voice
 * adapter's callbacks and the web chat messaging endpoint join here when they are merged.
 */
export interface FuzzTarget {
  readonly name: string;
  start(): Promise<RunningTarget>;
}

/** Listens on a free port and returns the base URL. */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

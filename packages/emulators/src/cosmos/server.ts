import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { verifyMasterKeySignature } from './auth.js';
import { type AccountModel, DocumentsApi } from './documents-api.js';

/** A region entry of the database account resource (`GET /`). */
interface AccountLocation {
  name: string;
  databaseAccountEndpoint: string;
}

/** The parts of the database account resource this wrapper rewrites. */
interface AccountResource {
  writableLocations: AccountLocation[];
  readableLocations: AccountLocation[];
}

/** `@vercel/cosmosdb-server`'s in-memory account: databases and containers (documents live in DocumentsApi). */
interface AccountState extends AccountModel {
  read(): AccountResource;
}

type RouteHandler = (
  account: AccountState,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => unknown;

type Router = (req: IncomingMessage) => [Record<string, string>, RouteHandler] | undefined;

// The package exposes only createHttpServer/createHttpsServer, whose request handler signs nothing, advertises
// https regions and logs with console.error. Its account model and routes (the actual Cosmos behaviour) are plain
// CommonJS modules of the pinned 1.0.1 release; this wrapper reuses them behind its own request handler.
const requireCjs = createRequire(import.meta.url);
const { default: Account } = requireCjs('@vercel/cosmosdb-server/lib/account/index.js') as {
  default: new (host: string, port: number) => AccountState;
};
const { default: route } = requireCjs('@vercel/cosmosdb-server/lib/routes.js') as { default: Router };

/** What the request handler needs besides the in-memory state. */
export interface CosmosHttpServerOptions {
  /** The master key every request must be signed with; `undefined` accepts any signature (or none). */
  key: string | undefined;
  /** The host name clients use; it goes into the endpoint the account advertises for its region. */
  advertisedHost: string;
  /** Receives handler failures (500s). */
  logger: Pick<Logger, 'error'> | undefined;
  /** The time source of `_ts` and TTL expiry. */
  now: () => number;
  /** Fault switches (throttling), from {@link createCosmosFaults}. */
  faults: ReturnType<typeof createCosmosFaults>;
}

/** Fault switches of a running Cosmos emulator. */
export interface CosmosFaults {
  /**
   * Answers the next `requests` document requests with **429 Too Many Requests** (substatus 3200) and
   * `x-ms-retry-after-ms: retryAfterMs`, as Cosmos DB does when a partition runs out of request units.
   */
  throttle(options: { requests: number; retryAfterMs?: number }): void;
  /** Clears every fault. */
  clear(): void;
  /** How many document requests are still to be throttled. */
  pending(): number;
}

/** A fault switch board: how many document requests are still to be throttled, and the retry-after to give. */
export function createCosmosFaults(): CosmosFaults & { takeThrottle(): number | undefined } {
  let throttled = 0;
  let retryAfterMs = 100;
  return {
    throttle(options) {
      throttled = options.requests;
      retryAfterMs = options.retryAfterMs ?? 100;
    },
    clear() {
      throttled = 0;
    },
    pending() {
      return throttled;
    },
    takeThrottle() {
      if (throttled <= 0) return undefined;
      throttled -= 1;
      return retryAfterMs;
    },
  };
}

const QUERY_METRICS =
  'totalExecutionTimeInMs=0.00;queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;' +
  'queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=0.00;' +
  'indexLookupTimeInMs=0.00;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;' +
  'userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=0;retrievedDocumentSize=0;outputDocumentCount=1;' +
  'outputDocumentSize=0;writeOutputTimeInMs=0.00;indexUtilizationRatio=0.00';

/**
 * An http server speaking the Cosmos DB REST API from `@vercel/cosmosdb-server`'s in-memory account, with three
 * fixes over the package's own handler: master-key signatures are checked (401 otherwise), the account advertises
 * its region at the http endpoint it really listens on (so SDK endpoint discovery stays on this server), and
 * failures go to the given logger instead of the console. Each server has its own, empty state.
 */
export function createCosmosHttpServer(options: CosmosHttpServerOptions): Server {
  let account: AccountState | undefined;
  let documents: DocumentsApi | undefined;
  const server = createServer((req, res) => {
    if (account === undefined || documents === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    handle(account, documents, options, req, res).catch((error: unknown) => {
      options.logger?.error(
        { err: error, method: req.method, url: req.url },
        'cosmos emulator request failed',
      );
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.on('listening', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') return;
    account = new Account(options.advertisedHost, address.port);
    documents = new DocumentsApi(account, options.now);
    const region = 'South Central US';
    const endpoint = `http://${options.advertisedHost}:${address.port}/`;
    const resource = account.read();
    resource.writableLocations = [{ name: region, databaseAccountEndpoint: endpoint }];
    resource.readableLocations = [{ name: region, databaseAccountEndpoint: endpoint }];
  });
  return server;
}

interface ResponseBody {
  _etag?: unknown;
  message?: unknown;
  [field: string]: unknown;
}

async function handle(
  account: AccountState,
  documents: DocumentsApi,
  options: CosmosHttpServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: ResponseBody | undefined;
  const pathname = pathnameOf(req);
  const failure =
    options.key === undefined
      ? undefined
      : verifyMasterKeySignature(req.method ?? 'GET', pathname, req.headers, options.key);
  const isDocumentRequest = failure === undefined && DocumentsApi.handles(pathname);
  const matched = failure === undefined && !isDocumentRequest ? route(req) : undefined;
  const retryAfterMs = isDocumentRequest ? options.faults.takeThrottle() : undefined;
  if (failure !== undefined) {
    res.statusCode = 401;
    body = { code: 'Unauthorized', message: failure };
  } else if (retryAfterMs !== undefined) {
    req.resume();
    res.statusCode = 429;
    res.setHeader('x-ms-retry-after-ms', String(retryAfterMs));
    res.setHeader('x-ms-substatus', '3200');
    body = {
      code: '429',
      message:
        'Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later.',
    };
  } else if (isDocumentRequest) {
    try {
      const response = await documents.handle(req, res, pathname);
      res.statusCode = response.statusCode;
      for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
      body = response.body as ResponseBody | undefined;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      res.statusCode = 400;
      body = { code: 'BadRequest', message: error.message };
    }
  } else if (matched === undefined) {
    res.statusCode = 400;
    body = { code: 'BadRequest', message: 'no route' };
  } else {
    const [params, handler] = matched;
    try {
      body = (await handler(account, req, res, params)) as ResponseBody | undefined;
    } catch (error) {
      if (error instanceof SyntaxError) {
        res.statusCode = 400;
        body = { code: 'BadRequest', message: error.message };
      } else {
        options.logger?.error(
          { err: error, method: req.method, url: req.url },
          'cosmos emulator handler failed',
        );
        res.statusCode = 500;
        body = {
          code: 'InternalServerError',
          message: error instanceof Error ? error.message : String(error),
        };
      }
    }
    if (res.statusCode > 399 && body !== undefined && !body.message) body.message = '';
  }
  if (body !== undefined && typeof body._etag === 'string') res.setHeader('etag', body._etag);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-location', `http://${req.headers.host ?? ''}${req.url ?? ''}`);
  res.setHeader('x-ms-activity-id', randomUUID());
  res.setHeader('x-ms-request-charge', '1');
  if (
    req.headers['x-ms-documentdb-populatequerymetrics'] &&
    !res.hasHeader('x-ms-documentdb-query-metrics')
  ) {
    res.setHeader('x-ms-documentdb-query-metrics', QUERY_METRICS);
  }
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function pathnameOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BatchOperation,
  ContainerDocuments,
  type ContainerResource,
  type IndexingDirective,
  MAX_BATCH_OPERATIONS,
  MAX_DOCUMENT_BYTES,
  type Outcome,
  type StoredDocument,
} from './container-documents.js';
import { matchesCondition, partitionOfQuery, type QueryParameters, runQuery } from './queries.js';

/** The parts of `@vercel/cosmosdb-server`'s account model the document API reads: container resources. */
export interface AccountModel {
  database(id: string): {
    collection(id: string): {
      read(): ContainerResource | undefined;
      userDefinedFunctions?: { functions?: unknown };
    };
  };
}

/** What a document request answers: status, JSON body (or none) and extra headers. */
export interface DocumentResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DOCUMENTS_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs(?:\/([^/]+))?$/;

/**
 * The document half of the Cosmos DB REST API (`/dbs/{db}/colls/{coll}/docs[/{id}]`): point operations, queries,
 * read and change feeds, transactional batch and bulk. Databases and containers stay with `@vercel/cosmosdb-server`;
 * documents live here, indexed by partition key, with TTL, atomic batches and Cosmos DB's limits.
 */
export class DocumentsApi {
  private readonly containers = new Map<string, ContainerDocuments>();

  readonly #sessionBase = Date.now() * 1000;

  constructor(
    private readonly account: AccountModel,
    private readonly now: () => number,
  ) {}

  /** Whether a request path is a document path this API answers. */
  static handles(pathname: string): boolean {
    return DOCUMENTS_PATH.test(normalise(pathname));
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<DocumentResponse> {
    const [, dbId, collId, docId] = DOCUMENTS_PATH.exec(normalise(pathname)) ?? [];
    const collection = this.account.database(decode(dbId)).collection(decode(collId));
    const resource = collection.read();
    if (resource === undefined) return notFound('The container does not exist.');
    const documents = this.documentsOf(decode(dbId), decode(collId), resource);
    // Session consistency: every answer carries the container's session token (`<range>:-1#<lsn>`, one range);
    // a token from a write this replica has not seen is 404/1002 ReadSessionNotAvailable, as on a lagging replica.
    // The LSN is offset by the start time (µs), so tokens a client kept from an earlier run of the emulator are
    // behind this run's, not ahead of them.
    const sessionLsn = this.#sessionBase + documents.currentLsn();
    const requested = sessionLsnOf(single(req.headers['x-ms-session-token']));
    if (requested !== undefined && requested > sessionLsn) {
      await readBody(req);
      return {
        statusCode: 404,
        headers: { 'x-ms-substatus': '1002' },
        body: { code: 'NotFound', message: 'The read session is not available for the input session token.' },
      };
    }
    const response = await this.answer(req, res, documents, collection, docId);
    return {
      ...response,
      headers: {
        ...response.headers,
        'x-ms-session-token': `0:-1#${this.#sessionBase + documents.currentLsn()}`,
      },
    };
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    documents: ContainerDocuments,
    collection: ReturnType<ReturnType<AccountModel['database']>['collection']>,
    docId: string | undefined,
  ): Promise<DocumentResponse> {
    const raw = await readBody(req);
    const header = (name: string) => single(req.headers[name]);
    const partition = partitionOf(header('x-ms-documentdb-partitionkey'));
    const ifMatch = header('if-match');
    const directive = indexingDirectiveOf(header('x-ms-indexing-directive'));
    const method = req.method ?? 'GET';

    if (docId !== undefined) {
      const id = decode(docId);
      if (partition === undefined)
        return badRequest('The x-ms-documentdb-partitionkey header is missing or invalid.');
      switch (method) {
        case 'GET': {
          const outcome = documents.read(partition, id);
          const etag = (outcome.body as StoredDocument | undefined)?._etag;
          if (outcome.statusCode === 200 && etag !== undefined && header('if-none-match') === etag) {
            return { statusCode: 304, headers: { etag } };
          }
          return outcome;
        }
        case 'PUT':
          return this.sized(raw, () => documents.replace(partition, id, json(raw), ifMatch, directive));
        case 'DELETE':
          return documents.delete(partition, id, ifMatch);
        case 'PATCH':
          return documents.patch(partition, id, json(raw), ifMatch, matchesCondition);
        default:
          return badRequest(`${method} is not supported on a document.`);
      }
    }

    if (method === 'GET') {
      if (header('a-im')?.toLowerCase() === 'incremental feed')
        return this.changeFeed(req, documents, partition);
      // The read feed (`readAll`) comes from the store, not the index: every document, indexed or not.
      return this.query('SELECT * FROM c', undefined, req, res, documents, partition, collection, false);
    }
    if (method !== 'POST') return badRequest(`${method} is not supported on documents.`);
    if (header('x-ms-cosmos-is-query-plan-request')?.toLowerCase() === 'true')
      return { statusCode: 200, body: QUERY_PLAN };
    if (
      header('x-ms-documentdb-isquery')?.toLowerCase() === 'true' ||
      header('content-type') === 'application/query+json'
    ) {
      const { query, parameters } = (json(raw) ?? {}) as { query?: unknown; parameters?: QueryParameters };
      if (typeof query !== 'string') return badRequest('The query is missing.');
      return this.query(query, parameters, req, res, documents, partition, collection);
    }
    if (header('x-ms-cosmos-is-batch-request')?.toLowerCase() === 'true') {
      if (raw.length > MAX_DOCUMENT_BYTES) return tooLarge();
      const operations = json(raw);
      if (!Array.isArray(operations)) return badRequest('A batch body must be an array of operations.');
      if (operations.length > MAX_BATCH_OPERATIONS) {
        return badRequest(`A batch holds at most ${MAX_BATCH_OPERATIONS} operations.`);
      }
      if (header('x-ms-cosmos-batch-atomic')?.toLowerCase() === 'false')
        return this.bulk(documents, operations);
      if (partition === undefined) return badRequest('A transactional batch needs a partition key.');
      const { statusCode, results } = documents.batch(
        partition,
        operations as BatchOperation[],
        matchesCondition,
      );
      return { statusCode, body: results.map(batchResult) };
    }
    if (partition === undefined && header('x-ms-documentdb-partitionkey') !== undefined) {
      return badRequest('The x-ms-documentdb-partitionkey header is invalid.');
    }
    const body = json(raw);
    const target = partition ?? documents.keyOf((body ?? {}) as Record<string, unknown>);
    if (header('x-ms-documentdb-is-upsert')?.toLowerCase() === 'true') {
      return this.sized(raw, () => documents.upsert(target, body, ifMatch, directive));
    }
    return this.sized(raw, () => documents.create(target, body, directive));
  }

  private documentsOf(dbId: string, collId: string, resource: ContainerResource): ContainerDocuments {
    let documents = this.containers.get(resource._rid);
    if (documents === undefined) {
      // Read the resource on every use: a replaced container (new defaultTtl) keeps its _rid.
      documents = new ContainerDocuments(
        () => this.account.database(dbId).collection(collId).read() ?? resource,
        this.now,
      );
      this.containers.set(resource._rid, documents);
    }
    return documents;
  }

  /** A request body over the item size limit is refused before it is parsed, as Cosmos DB does. */
  private sized(raw: Buffer, run: () => Outcome): Outcome {
    return raw.length > MAX_DOCUMENT_BYTES ? tooLarge() : run();
  }

  private query(
    sql: string,
    parameters: QueryParameters,
    req: IncomingMessage,
    res: ServerResponse,
    documents: ContainerDocuments,
    partition: string | undefined,
    collection: ReturnType<ReturnType<AccountModel['database']>['collection']>,
    indexedOnly = true,
  ): DocumentResponse {
    // Without a partition key, a WHERE that pins the key still reads one partition (as Cosmos DB routes it).
    const scope = partition ?? partitionOfQuery(sql, parameters, documents.partitionKeyPaths());
    // A query reads the index: documents written with `x-ms-indexing-directive: exclude` (or under a policy with
    // `automatic: false` and no `include`) are not in it.
    const targeted = documents.documents(scope, { indexedOnly });
    const maxItemCount = Number(single(req.headers['x-ms-max-item-count']) ?? Number.NaN);
    let page: ReturnType<typeof runQuery>;
    try {
      page = runQuery(sql, targeted, {
        parameters,
        udf: collection.userDefinedFunctions?.functions,
        compositeIndexes: collection.read()?.indexingPolicy?.compositeIndexes ?? [],
        maxItemCount: Number.isInteger(maxItemCount) && maxItemCount > 0 ? maxItemCount : undefined,
        continuation: single(req.headers['x-ms-continuation']),
      });
    } catch (failure) {
      return badRequest(failure instanceof Error ? failure.message : String(failure));
    }
    const headers: Record<string, string> = { 'x-ms-item-count': String(page.results.length) };
    if (page.continuation !== undefined) headers['x-ms-continuation'] = page.continuation;
    if (req.headers['x-ms-documentdb-populatequerymetrics']) {
      headers['x-ms-documentdb-query-metrics'] = queryMetrics(targeted.length, page.results.length);
    }
    res.setHeader('x-ms-item-count', headers['x-ms-item-count'] as string);
    return {
      statusCode: 200,
      body: { _rid: collection.read()?._rid, Documents: page.results, _count: page.results.length },
      headers,
    };
  }

  /**
   * The change feed (latest version): every document written after the continuation (the ETag of the previous
   * page, an LSN), oldest change first; 304 when there is none. `If-None-Match: *` starts from now,
   * `If-Modified-Since` from a point in time, no continuation from the beginning.
   */
  private changeFeed(
    req: IncomingMessage,
    documents: ContainerDocuments,
    partition: string | undefined,
  ): DocumentResponse {
    const continuation = single(req.headers['if-none-match']);
    const since = single(req.headers['if-modified-since']);
    let after = 0;
    if (continuation === '*') after = documents.currentLsn();
    else if (continuation !== undefined) after = Number(continuation.replaceAll('"', '')) || 0;
    const sinceMs = continuation === undefined && since !== undefined ? Date.parse(since) : undefined;
    const maxItemCount = Number(single(req.headers['x-ms-max-item-count']) ?? Number.NaN);
    const limit = Number.isInteger(maxItemCount) && maxItemCount > 0 ? maxItemCount : 100;
    const changes = documents.changesAfter(after, partition, sinceMs).slice(0, limit);
    const last = changes.at(-1)?._lsn ?? after;
    const headers = { etag: `"${last}"`, 'x-ms-item-count': String(changes.length) };
    if (changes.length === 0) return { statusCode: 304, headers };
    return { statusCode: 200, body: { Documents: changes, _count: changes.length }, headers };
  }

  /** Bulk (non-atomic) batches: each operation on its own partition, independently; 207 when any failed. */
  private bulk(documents: ContainerDocuments, operations: BatchOperation[]): DocumentResponse {
    const results = operations.map((operation) => {
      const partition =
        operation.partitionKey === undefined
          ? documents.keyOf((operation.resourceBody ?? {}) as Record<string, unknown>)
          : ContainerDocuments.keyOfHeader(operation.partitionKey);
      if (partition === undefined) return badRequest('The operation has no valid partition key.');
      const {
        results: [outcome],
      } = documents.batch(partition, [operation], matchesCondition);
      return outcome as Outcome;
    });
    const failed = results.some((outcome) => outcome.statusCode >= 400);
    return { statusCode: failed ? 207 : 200, body: results.map(batchResult) };
  }
}

/** The query plan the SDK asks for before a cross-partition query; it only uses it after a 400 that asks for one. */
const QUERY_PLAN = {
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: 'None',
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: '',
    hasSelectValue: false,
    hasNonStreamingOrderBy: false,
  },
  queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
};

function batchResult(outcome: Outcome): Record<string, unknown> {
  const document = outcome.body as StoredDocument | undefined;
  if (outcome.statusCode >= 400 || document === undefined) {
    return { statusCode: outcome.statusCode, requestCharge: 0 };
  }
  return { statusCode: outcome.statusCode, requestCharge: 1, eTag: document._etag, resourceBody: document };
}

function queryMetrics(retrieved: number, output: number): string {
  return (
    'totalExecutionTimeInMs=0.00;queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;' +
    'queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=0.00;' +
    'indexLookupTimeInMs=0.00;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;' +
    `userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=${retrieved};retrievedDocumentSize=0;` +
    `outputDocumentCount=${output};outputDocumentSize=0;writeOutputTimeInMs=0.00;indexUtilizationRatio=1.00`
  );
}

function partitionOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return ContainerDocuments.keyOfHeader(header);
}

function normalise(pathname: string): string {
  let path = pathname.startsWith('//') ? pathname.slice(1) : pathname;
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

function decode(segment: string | undefined): string {
  return decodeURIComponent(segment ?? '');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a JSON body; malformed JSON throws a SyntaxError (a 400 for the server). */
function json(raw: Buffer): unknown {
  return raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
}

const badRequest = (message: string): Outcome => ({ statusCode: 400, body: { code: 'BadRequest', message } });
const notFound = (message: string): Outcome => ({ statusCode: 404, body: { code: 'NotFound', message } });
const tooLarge = (): Outcome => ({
  statusCode: 413,
  body: { code: 'RequestEntityTooLarge', message: 'Request size is too large.' },
});

/** The highest global LSN a request's session token names (`<range>:<version>#<lsn>[#...]`, comma-separated). */
function sessionLsnOf(token: string | undefined): number | undefined {
  if (token === undefined || token === '') return undefined;
  const lsns = token
    .split(',')
    .map((part) => /^[^:]+:-?\d+#(\d+)/.exec(part.trim())?.[1])
    .filter((lsn): lsn is string => lsn !== undefined)
    .map(Number);
  return lsns.length === 0 ? undefined : Math.max(...lsns);
}

/** The `x-ms-indexing-directive` of a write (`Include` / `Exclude`, any case), or undefined. */
function indexingDirectiveOf(value: string | undefined): IndexingDirective {
  const directive = value?.toLowerCase();
  return directive === 'include' || directive === 'exclude' ? directive : undefined;
}

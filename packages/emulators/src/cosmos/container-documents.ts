import { randomUUID } from 'node:crypto';
import { applyPatch, PatchError, type PatchOperation } from './patch.js';

/** A stored document with the system properties Cosmos DB adds. */
export interface StoredDocument {
  id: string;
  _rid: string;
  _self: string;
  _etag: string;
  _ts: number;
  _lsn: number;
  [property: string]: unknown;
}

/** The container resource fields the document store reads (as `@vercel/cosmosdb-server` keeps them). */
export interface ContainerResource {
  _rid: string;
  _self: string;
  partitionKey?: { paths?: string[] };
  defaultTtl?: number | null;
  indexingPolicy?: { compositeIndexes?: unknown; automatic?: boolean };
}

/** A write's `x-ms-indexing-directive`: index this document or not, whatever the container's policy says. */
export type IndexingDirective = 'include' | 'exclude' | undefined;

/** The answer of one document operation: an HTTP status and a body (a document or an error). */
export interface Outcome {
  statusCode: number;
  body?: unknown;
}

/** One operation of a transactional batch, as the SDK sends it. */
export interface BatchOperation {
  operationType?: string;
  id?: string;
  partitionKey?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  resourceBody?: unknown;
}

/** Cosmos DB's maximum item size: 2 MB. */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
/** Cosmos DB's maximum number of operations in a transactional batch. */
export const MAX_BATCH_OPERATIONS = 100;

interface Entry {
  document: StoredDocument;
  /** When the document was last written, in ms of the emulator's clock (the TTL counts from here). */
  writtenAt: number;
  /**
   * Whether the document is in the index, decided when it was written: its indexing directive, else the
   * container's `indexingPolicy.automatic` (default true). Queries see only indexed documents; reads, the read
   * feed and the change feed see every one.
   */
  indexed: boolean;
}

/** How to undo one write of a batch. */
interface Undo {
  partition: string;
  id: string;
  previous: Entry | undefined;
}

const error = (statusCode: number, code: string, message: string): Outcome => ({
  statusCode,
  body: { code, message },
});

const notFound = () => error(404, 'NotFound', 'Entity with the specified id does not exist in the system.');
const preconditionFailed = () =>
  error(
    412,
    'PreconditionFailed',
    'Operation cannot be performed because one of the specified precondition is not met.',
  );

/**
 * The documents of one container, indexed by partition key value then id, plus a container-wide insertion order
 * (the `_rid` order queries and read feeds page in). Every write gets a new `_etag`, `_ts` and a container-wide
 * `_lsn` (the change feed's position). Expired documents (TTL) are invisible and dropped when met.
 */
export class ContainerDocuments {
  private readonly partitions = new Map<string, Map<string, Entry>>();
  /** Every live entry by `_rid`, in `_rid` (creation) order. */
  private readonly byRid = new Map<string, Entry>();
  private sequence = 0;
  private lsn = 0;
  private undoLog: Undo[] | undefined;

  constructor(
    private readonly resource: () => ContainerResource,
    private readonly now: () => number,
  ) {}

  /** The partition key paths, as segment lists (`/customerId` -> `['customerId']`). */
  partitionKeyPaths(): string[][] {
    const paths = this.resource().partitionKey?.paths ?? ['/id'];
    return paths.map((path) => path.slice(1).split('/'));
  }

  /** The normalised key of a partition key value as the `x-ms-documentdb-partitionkey` header carries it. */
  static keyOfHeader(header: string): string | undefined {
    try {
      const parsed: unknown = JSON.parse(header);
      return JSON.stringify(Array.isArray(parsed) ? parsed : [parsed]);
    } catch {
      return undefined;
    }
  }

  /** The partition key of a document: its values at the key paths (`{}` where absent, as the SDK sends "none"). */
  keyOf(document: Record<string, unknown>): string {
    return JSON.stringify(
      this.partitionKeyPaths().map((path) => {
        const value = valueAt(document, path);
        return value === undefined ? {} : value;
      }),
    );
  }

  /** The newest change feed position. */
  currentLsn(): number {
    return this.lsn;
  }

  read(partition: string, id: string): Outcome {
    const entry = this.live(partition, id);
    return entry === undefined ? notFound() : { statusCode: 200, body: entry.document };
  }

  create(partition: string, body: unknown, directive?: IndexingDirective): Outcome {
    const problem = this.problemWith(partition, body);
    if (problem !== undefined) return problem;
    const checked = body as Record<string, unknown> & { id: string };
    if (this.live(partition, checked.id) !== undefined) {
      return error(409, 'Conflict', 'Entity with the specified id already exists in the system.');
    }
    return { statusCode: 201, body: this.write(partition, checked, undefined, directive) };
  }

  upsert(
    partition: string,
    body: unknown,
    ifMatch: string | undefined,
    directive?: IndexingDirective,
  ): Outcome {
    const problem = this.problemWith(partition, body);
    if (problem !== undefined) return problem;
    const checked = body as Record<string, unknown> & { id: string };
    const existing = this.live(partition, checked.id);
    if (existing !== undefined && ifMatch !== undefined && ifMatch !== existing.document._etag) {
      return preconditionFailed();
    }
    return { statusCode: existing ? 200 : 201, body: this.write(partition, checked, existing, directive) };
  }

  replace(
    partition: string,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    directive?: IndexingDirective,
  ): Outcome {
    const problem = this.problemWith(partition, body);
    if (problem !== undefined) return problem;
    const checked = body as Record<string, unknown> & { id: string };
    if (checked.id !== id)
      return error(400, 'BadRequest', 'The id in the body does not match the id in the URI.');
    const existing = this.live(partition, id);
    if (existing === undefined) return notFound();
    if (ifMatch !== undefined && ifMatch !== existing.document._etag) return preconditionFailed();
    return { statusCode: 200, body: this.write(partition, checked, existing, directive) };
  }

  delete(partition: string, id: string, ifMatch: string | undefined): Outcome {
    const existing = this.live(partition, id);
    if (existing === undefined) return notFound();
    if (ifMatch !== undefined && ifMatch !== existing.document._etag) return preconditionFailed();
    this.remove(partition, existing);
    return { statusCode: 204 };
  }

  /**
   * Applies patch operations. `conditionMatches` evaluates the optional filter predicate (`FROM c WHERE ...`)
   * against the current document: unmet gives 412, as Cosmos DB.
   */
  patch(
    partition: string,
    id: string,
    request: unknown,
    ifMatch: string | undefined,
    conditionMatches: (condition: string, document: StoredDocument) => boolean,
  ): Outcome {
    const { operations, condition } = patchRequestOf(request);
    if (operations === undefined) {
      return error(400, 'BadRequest', 'Invalid patch request: check syntax of patch specification.');
    }
    if (operations.length === 0 || operations.length > 10) {
      return error(400, 'BadRequest', 'Patch request has to contain between 1 and 10 operations.');
    }
    const existing = this.live(partition, id);
    if (existing === undefined) return notFound();
    if (ifMatch !== undefined && ifMatch !== existing.document._etag) return preconditionFailed();
    if (condition !== undefined && !conditionMatches(condition, existing.document))
      return preconditionFailed();
    const protectedPaths = ['/id', ...this.partitionKeyPaths().map((path) => `/${path.join('/')}`)];
    let patched: Record<string, unknown>;
    try {
      patched = applyPatch(existing.document, operations, protectedPaths);
    } catch (failure) {
      if (failure instanceof PatchError) return error(400, 'BadRequest', failure.message);
      throw failure;
    }
    const problem = this.problemWith(partition, patched);
    if (problem !== undefined) return problem;
    const checked = patched as Record<string, unknown> & { id: string };
    return { statusCode: 200, body: this.write(partition, checked, existing) };
  }

  /**
   * Runs a transactional batch on one partition, all or nothing: on the first failure every write made so far is
   * undone, the failing operation keeps its status and every other one gets 424 (Failed Dependency).
   */
  batch(
    partition: string,
    operations: BatchOperation[],
    conditionMatches: (condition: string, document: StoredDocument) => boolean,
  ): { statusCode: number; results: Outcome[] } {
    const results: Outcome[] = [];
    this.undoLog = [];
    let failedAt = -1;
    try {
      for (const [index, operation] of operations.entries()) {
        const outcome = this.runBatchOperation(partition, operation, conditionMatches);
        results.push(outcome);
        if (outcome.statusCode >= 400) {
          failedAt = index;
          break;
        }
      }
      if (failedAt !== -1) this.rollBack(this.undoLog);
    } catch (failure) {
      this.rollBack(this.undoLog);
      throw failure;
    } finally {
      this.undoLog = undefined;
    }
    if (failedAt === -1) return { statusCode: 200, results };
    return {
      statusCode: 207,
      results: operations.map((_, index) =>
        index === failedAt ? (results[index] as Outcome) : { statusCode: 424 },
      ),
    };
  }

  /**
   * The live documents a query or read feed sees, in `_rid` order: one partition when a key is given (an index
   * lookup, not a scan), else every partition. Expired documents are dropped on the way; with `indexedOnly` (a
   * query), so are documents kept out of the index.
   */
  documents(partition: string | undefined, options: { indexedOnly?: boolean } = {}): StoredDocument[] {
    const now = this.now();
    const source = partition === undefined ? this.byRid.values() : this.partitions.get(partition)?.values();
    const documents: StoredDocument[] = [];
    const expired: Entry[] = [];
    for (const entry of source ?? []) {
      if (this.isExpired(entry, now)) expired.push(entry);
      else if (!options.indexedOnly || entry.indexed) documents.push(entry.document);
    }
    for (const entry of expired) this.remove(this.keyOf(entry.document), entry);
    return documents;
  }

  /** Documents written after `lsn` (the change feed), oldest change first, optionally of one partition. */
  changesAfter(lsn: number, partition: string | undefined, since?: number): StoredDocument[] {
    return this.documents(partition)
      .filter((document) => document._lsn > lsn && (since === undefined || document._ts * 1000 >= since))
      .sort((a, b) => a._lsn - b._lsn);
  }

  private runBatchOperation(
    partition: string,
    operation: BatchOperation,
    conditionMatches: (condition: string, document: StoredDocument) => boolean,
  ): Outcome {
    if (operation.partitionKey !== undefined) {
      const own = ContainerDocuments.keyOfHeader(operation.partitionKey);
      if (own !== partition) {
        return error(
          400,
          'BadRequest',
          'The partition key of an operation differs from the batch partition key.',
        );
      }
    }
    const body = operation.resourceBody;
    switch (operation.operationType) {
      case 'Create':
        return this.create(partition, body);
      case 'Upsert':
        return this.upsert(partition, body, operation.ifMatch);
      case 'Read': {
        const outcome = this.read(partition, operation.id ?? '');
        const document = outcome.body as StoredDocument | undefined;
        if (
          outcome.statusCode === 200 &&
          operation.ifNoneMatch !== undefined &&
          operation.ifNoneMatch === document?._etag
        ) {
          return { statusCode: 304 };
        }
        return outcome;
      }
      case 'Replace':
        return this.replace(partition, operation.id ?? idOf(body) ?? '', body, operation.ifMatch);
      case 'Delete':
        return this.delete(partition, operation.id ?? '', operation.ifMatch);
      case 'Patch':
        return this.patch(partition, operation.id ?? '', body, operation.ifMatch, conditionMatches);
      default:
        return error(
          400,
          'BadRequest',
          `Operation type '${String(operation.operationType)}' is not supported in a batch.`,
        );
    }
  }

  /** Why Cosmos DB would refuse to store `body` in `partition` (400, 413), or undefined when it is fine. */
  private problemWith(partition: string, body: unknown): Outcome | undefined {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return error(400, 'BadRequest', 'The input content is invalid: a document must be a JSON object.');
    }
    const document = body as Record<string, unknown>;
    if (typeof document.id !== 'string' || document.id === '') {
      return error(
        400,
        'BadRequest',
        "The input content is invalid because the required properties - 'id; ' - are missing",
      );
    }
    if (document.id.length > 255) return error(400, 'BadRequest', 'The id is longer than 255 characters.');
    if (this.keyOf(document) !== partition) {
      return error(
        400,
        'BadRequest',
        "PartitionKey extracted from document doesn't match the one specified in the header.",
      );
    }
    if (Buffer.byteLength(JSON.stringify(document)) > MAX_DOCUMENT_BYTES) {
      return error(413, 'RequestEntityTooLarge', 'Request size is too large.');
    }
    return undefined;
  }

  private write(
    partition: string,
    body: Record<string, unknown> & { id: string },
    existing: Entry | undefined,
    directive?: IndexingDirective,
  ): StoredDocument {
    const now = this.now();
    const container = this.resource();
    let rid = existing?.document._rid;
    if (rid === undefined) {
      this.sequence += 1;
      rid = `${container._rid}${this.sequence.toString().padStart(12, '0')}`;
    }
    this.lsn += 1;
    const document: StoredDocument = {
      ...body,
      id: body.id,
      _rid: rid,
      _self: `${container._self}docs/${rid}/`,
      _etag: `"${randomUUID()}"`,
      _attachments: 'attachments/',
      _ts: Math.floor(now / 1000),
      _lsn: this.lsn,
    };
    const indexed =
      directive === undefined ? container.indexingPolicy?.automatic !== false : directive === 'include';
    this.set(partition, { document, writtenAt: now, indexed }, existing);
    return document;
  }

  private set(partition: string, entry: Entry, previous: Entry | undefined): void {
    this.undoLog?.push({ partition, id: entry.document.id, previous });
    let documents = this.partitions.get(partition);
    if (documents === undefined) {
      documents = new Map();
      this.partitions.set(partition, documents);
    }
    documents.set(entry.document.id, entry);
    this.byRid.set(entry.document._rid, entry);
  }

  private remove(partition: string, entry: Entry): void {
    this.undoLog?.push({ partition, id: entry.document.id, previous: entry });
    const documents = this.partitions.get(partition);
    documents?.delete(entry.document.id);
    if (documents?.size === 0) this.partitions.delete(partition);
    this.byRid.delete(entry.document._rid);
  }

  private rollBack(log: Undo[]): void {
    let reinserted = false;
    for (const { partition, id, previous } of log.reverse()) {
      const documents = this.partitions.get(partition) ?? new Map<string, Entry>();
      this.partitions.set(partition, documents);
      const current = documents.get(id);
      if (current !== undefined && current.document._rid !== previous?.document._rid) {
        this.byRid.delete(current.document._rid);
      }
      if (previous === undefined) {
        documents.delete(id);
      } else {
        reinserted ||= !this.byRid.has(previous.document._rid);
        documents.set(id, previous);
        this.byRid.set(previous.document._rid, previous);
      }
      if (documents.size === 0) this.partitions.delete(partition);
    }
    if (!reinserted) return;
    // A deleted entry put back lands at the end of byRid; restore the _rid order.
    const ordered = [...this.byRid.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.byRid.clear();
    for (const [rid, entry] of ordered) this.byRid.set(rid, entry);
  }

  /** The live entry of a document, dropping it when its TTL has passed. */
  private live(partition: string, id: string): Entry | undefined {
    const entry = this.partitions.get(partition)?.get(id);
    if (entry === undefined) return undefined;
    if (!this.isExpired(entry, this.now())) return entry;
    this.remove(partition, entry);
    return undefined;
  }

  /**
   * Cosmos DB TTL: off unless the container has `defaultTtl` (-1: on, no default). A document's own `ttl` then
   * overrides the default (-1: never); it expires `ttl` seconds after its last write.
   */
  private isExpired(entry: Entry, now: number): boolean {
    const defaultTtl = this.resource().defaultTtl;
    if (defaultTtl === undefined || defaultTtl === null) return false;
    const own = entry.document.ttl;
    const ttl = typeof own === 'number' && Number.isInteger(own) && own !== 0 ? own : defaultTtl;
    if (ttl === -1 || ttl <= 0) return false;
    return now >= entry.writtenAt + ttl * 1000;
  }
}

function idOf(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function patchRequestOf(request: unknown): { operations?: PatchOperation[]; condition?: string } {
  if (Array.isArray(request)) return { operations: request as PatchOperation[] };
  if (typeof request === 'object' && request !== null) {
    const { operations, condition } = request as { operations?: unknown; condition?: unknown };
    if (Array.isArray(operations)) {
      return {
        operations: operations as PatchOperation[],
        ...(typeof condition === 'string' ? { condition } : {}),
      };
    }
  }
  return {};
}

/** The value at a path of segments in a JSON value, or undefined. */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

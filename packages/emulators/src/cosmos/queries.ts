import { createRequire } from 'node:module';
import type { StoredDocument } from './container-documents.js';
import { groupedQuery, groupRows, withLike } from './query-extensions.js';

// The SQL engine of @vercel/cosmosdb-server (its dependency @zeit/cosmosdb-query 0.7.2). It parses and runs the
// Cosmos DB SQL dialect over an array of documents; the emulator hands it only the documents of the partitions a
// query targets, and handles what the engine lacks (DISTINCT, OFFSET/LIMIT here; LIKE, IIF and GROUP BY in
// query-extensions.ts) around it.
const requireFromServer = createRequire(createRequire(import.meta.url).resolve('@vercel/cosmosdb-server'));

interface CompiledQuery {
  readonly ast: { body?: { from?: QueryNode; where?: { condition?: QueryNode } } };
  exec(
    documents: readonly unknown[],
    options: {
      parameters?: unknown;
      udf?: unknown;
      maxItemCount?: number | null;
      continuation?: unknown;
      compositeIndexes?: unknown;
    },
  ): { result: unknown[]; continuation: unknown };
}

const { default: compile } = requireFromServer('@zeit/cosmosdb-query') as {
  default: (sql: string) => CompiledQuery;
};

type Sort = (
  collection: unknown[],
  getRid: unknown,
  compositeIndexes: unknown,
  ...orders: unknown[]
) => unknown[];
const helpers = requireFromServer('@zeit/cosmosdb-query/lib/helpers.js') as { sort: Sort };
const engineSort = helpers.sort;
// The engine drops documents that lack the property of a single-property ORDER BY; Cosmos DB keeps them, sorted
// as `undefined` (before every other type ascending). With two orders on the same property the engine keeps
// every document and sorts identically (no composite index is needed for one property).
if (!(engineSort as { keepsUndefined?: boolean }).keepsUndefined) {
  const sort: Sort = (collection, getRid, compositeIndexes, ...orders) =>
    orders.length === 1
      ? engineSort(collection, getRid, null, orders[0], orders[0])
      : engineSort(collection, getRid, compositeIndexes, ...orders);
  Object.assign(sort, { keepsUndefined: true });
  helpers.sort = sort;
}

const compiled = new Map<string, CompiledQuery>();

function compiledQuery(sql: string): CompiledQuery {
  let query = compiled.get(sql);
  if (query === undefined) {
    query = compile(withLike(sql));
    if (compiled.size > 200) compiled.clear();
    compiled.set(sql, query);
  }
  return query;
}

/** A query's parameters as the REST body carries them. */
export type QueryParameters = { name: string; value: unknown }[] | undefined;

/** One page of query results and the continuation for the next (a JSON string), if any. */
export interface QueryPage {
  results: unknown[];
  continuation: string | undefined;
}

const DISTINCT = /^\s*SELECT\s+DISTINCT\s+/i;
const OFFSET_LIMIT = /\s+OFFSET\s+(\d+|@\w+)\s+LIMIT\s+(\d+|@\w+)\s*$/i;

/**
 * Runs a Cosmos DB SQL query over `documents` (already narrowed to the targeted partitions), one page at a time.
 * Throws the engine's error (a 400 for the caller) on a query it cannot parse or run.
 */
export function runQuery(
  sql: string,
  documents: readonly StoredDocument[],
  options: {
    parameters: QueryParameters;
    udf: unknown;
    compositeIndexes: unknown;
    maxItemCount: number | undefined;
    continuation: string | undefined;
  },
): QueryPage {
  const distinct = DISTINCT.test(sql);
  const window = OFFSET_LIMIT.exec(sql);
  const grouped = groupedQuery(window === null ? sql : sql.slice(0, window.index));
  if (!distinct && window === null && grouped === undefined) {
    const { result, continuation } = compiledQuery(sql).exec(documents, {
      parameters: options.parameters,
      udf: options.udf,
      maxItemCount: options.maxItemCount ?? null,
      continuation: parseContinuation(options.continuation),
      compositeIndexes: options.compositeIndexes,
    });
    return { results: result, continuation: continuation ? JSON.stringify(continuation) : undefined };
  }
  // DISTINCT, OFFSET/LIMIT and GROUP BY: run without them over every targeted document, then apply them and page
  // by offset.
  let core = sql;
  if (window !== null) core = core.slice(0, window.index);
  if (distinct) core = core.replace(DISTINCT, 'SELECT ');
  const rows = (query: string, over: readonly unknown[]) =>
    compiledQuery(query).exec(over, {
      parameters: options.parameters,
      udf: options.udf,
      compositeIndexes: options.compositeIndexes,
    }).result;
  const regrouped = distinct ? groupedQuery(core) : grouped;
  let result = regrouped === undefined ? rows(core, documents) : groupRows(regrouped, documents, rows);
  if (distinct) {
    const seen = new Set<string>();
    result = result.filter((row) => {
      const key = JSON.stringify(row) ?? 'undefined';
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  if (window !== null) {
    const offset = numberOf(window[1] as string, options.parameters);
    const limit = numberOf(window[2] as string, options.parameters);
    result = result.slice(offset, offset + limit);
  }
  const start = offsetOf(options.continuation);
  const size =
    options.maxItemCount !== undefined && options.maxItemCount > 0 ? options.maxItemCount : result.length;
  const end = start + size;
  return {
    results: result.slice(start, end),
    continuation: end < result.length ? JSON.stringify({ offset: end }) : undefined,
  };
}

/** A node of the engine's syntax tree (only the members the partition inference reads). */
interface QueryNode {
  type?: string;
  operator?: string;
  left?: QueryNode;
  right?: QueryNode;
  object?: QueryNode;
  property?: QueryNode;
  computed?: boolean;
  name?: string;
  value?: unknown;
  alias?: QueryNode | null;
  expression?: QueryNode;
  source?: QueryNode;
}

const CONSTANTS = new Set(['string_constant', 'number_constant', 'boolean_constant', 'null_constant']);

/**
 * The one partition a query can only match, when its WHERE clause requires `<alias>.<key> = <value>` at the top
 * (alone or ANDed with other conditions) for a single-property partition key: Cosmos DB routes such a query to
 * that partition, and so does the emulator (an index lookup instead of a scan). Undefined when it cannot tell.
 */
export function partitionOfQuery(
  sql: string,
  parameters: QueryParameters,
  partitionKeyPaths: readonly (readonly string[])[],
): string | undefined {
  const [path] = partitionKeyPaths;
  if (partitionKeyPaths.length !== 1 || path === undefined || path.length !== 1) return undefined;
  let query: CompiledQuery;
  try {
    query = compiledQuery(sql);
  } catch {
    return undefined;
  }
  const body = query.ast.body;
  const source = body?.from?.source;
  const alias = source?.alias?.name ?? source?.expression?.expression?.name ?? source?.expression?.name;
  const value = equalityOn(body?.where?.condition, alias, path[0] as string, parameters);
  return value === undefined ? undefined : JSON.stringify([value.value]);
}

function equalityOn(
  node: QueryNode | undefined,
  alias: string | undefined,
  property: string,
  parameters: QueryParameters,
): { value: unknown } | undefined {
  if (node?.type !== 'scalar_binary_expression') return undefined;
  if (node.operator === 'AND') {
    return (
      equalityOn(node.left, alias, property, parameters) ??
      equalityOn(node.right, alias, property, parameters)
    );
  }
  if (node.operator !== '=') return undefined;
  for (const [member, other] of [
    [node.left, node.right],
    [node.right, node.left],
  ] as const) {
    const isKey =
      member?.type === 'scalar_member_expression' &&
      !member.computed &&
      member.object?.type === 'identifier' &&
      member.object.name === alias &&
      member.property?.name === property;
    if (!isKey) continue;
    if (other?.type === 'parameter_name') {
      const parameter = parameters?.find((candidate) => candidate.name === other.name);
      if (parameter !== undefined && parameter.value !== undefined) return { value: parameter.value };
    } else if (other?.type !== undefined && CONSTANTS.has(other.type)) {
      return { value: other.type === 'null_constant' ? null : other.value };
    }
  }
  return undefined;
}

/** Evaluates a patch filter predicate (`FROM c WHERE ...`) against one document. */
export function matchesCondition(condition: string, document: StoredDocument): boolean {
  return compiledQuery(`SELECT VALUE 1 ${condition}`).exec([document], {}).result.length > 0;
}

function parseContinuation(continuation: string | undefined): unknown {
  if (continuation === undefined) return null;
  try {
    return JSON.parse(continuation);
  } catch {
    return null;
  }
}

function offsetOf(continuation: string | undefined): number {
  const parsed = parseContinuation(continuation) as { offset?: unknown } | null;
  return typeof parsed?.offset === 'number' ? parsed.offset : 0;
}

function numberOf(token: string, parameters: QueryParameters): number {
  if (!token.startsWith('@')) return Number(token);
  const value = parameters?.find((parameter) => parameter.name === token)?.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new SyntaxError(`OFFSET/LIMIT parameter ${token} must be a non-negative integer.`);
  }
  return value;
}

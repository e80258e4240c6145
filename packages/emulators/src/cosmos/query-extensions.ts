import { createRequire } from 'node:module';

// What Cosmos DB's SQL has and the engine (@zeit/cosmosdb-query 0.7.2) lacks: IIF (the engine parses it but has no
// such function), LIKE (not in its grammar: rewritten to a function call before parsing) and GROUP BY (run around
// the engine: rows keyed by the GROUP BY expressions, then each select item computed per group).

const requireFromServer = createRequire(createRequire(import.meta.url).resolve('@vercel/cosmosdb-server'));
const builtins = requireFromServer('@zeit/cosmosdb-query/lib/builtin-functions.js') as Record<
  string,
  unknown
>;

/** `IIF(condition, whenTrue, whenFalse)`: whenTrue only when the condition is the boolean true. */
function iif(condition: unknown, whenTrue: unknown, whenFalse: unknown): unknown {
  return condition === true ? whenTrue : whenFalse;
}

/** The regular expression of a Cosmos DB LIKE pattern: `%`, `_`, `[abc]`, `[a-f]`, `[^a]`, an ESCAPE character. */
function likeRegExp(pattern: string, escapeChar: string | undefined): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern.charAt(index);
    if (escapeChar !== undefined && char === escapeChar && index + 1 < pattern.length) {
      index += 1;
      source += pattern.charAt(index).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (char === '%') {
      source += '[\\s\\S]*';
    } else if (char === '_') {
      source += '[\\s\\S]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(index + 1, end);
      const negated = body.startsWith('^');
      const members = (negated ? body.slice(1) : body).replace(/[\\\]]/g, '\\$&');
      source += `[${negated ? '^' : ''}${members}]`;
      index = end;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** `value LIKE pattern [ESCAPE escape]`; undefined (no match) when either is not a string, as in Cosmos DB. */
function like(value: unknown, pattern: unknown, escapeChar?: unknown): unknown {
  if (typeof value !== 'string' || typeof pattern !== 'string') return undefined;
  return likeRegExp(pattern, typeof escapeChar === 'string' ? escapeChar : undefined).test(value);
}

if (builtins.IIF === undefined) Object.assign(builtins, { IIF: iif, OMNI_LIKE: like });

const STRING = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g;

/** Replaces string literals by `\uE000<n>\uE000` (a private-use character) so that clauses can be found by pattern; `restore` undoes it. */
function masked(sql: string): { text: string; restore(text: string): string } {
  const literals: string[] = [];
  const text = sql.replace(STRING, (literal) => {
    literals.push(literal);
    return `\uE000${literals.length - 1}\uE000`;
  });
  return {
    text,
    restore: (value) => value.replace(/\uE000(\d+)\uE000/g, (_, n: string) => literals[Number(n)] ?? ''),
  };
}

const OPERAND = String.raw`(?:@\w+|\uE000\d+\uE000|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[(?:\uE000\d+\uE000|\d+)\])*)`;
const LIKE = new RegExp(
  String.raw`(${OPERAND})\s+(NOT\s+)?LIKE\s+(${OPERAND})(?:\s+ESCAPE\s+(\uE000\d+\uE000))?`,
  'gi',
);

/** The query with each `<operand> [NOT] LIKE <pattern> [ESCAPE '<c>']` written as a function call the engine runs. */
export function withLike(sql: string): string {
  if (!/\bLIKE\b/i.test(sql)) return sql;
  const { text, restore } = masked(sql);
  const rewritten = text.replace(
    LIKE,
    (_, operand: string, not: string | undefined, pattern: string, escapeChar: string | undefined) =>
      `${not ? 'NOT ' : ''}OMNI_LIKE(${operand}, ${pattern}${escapeChar ? `, ${escapeChar}` : ''})`,
  );
  return restore(rewritten);
}

/** Splits at commas outside parentheses, brackets and braces. */
function topLevelItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if ('([{'.includes(char)) depth += 1;
    if (')]}'.includes(char)) depth -= 1;
    if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

const GROUP_BY = /^\s*SELECT\s+(VALUE\s+)?([\s\S]+?)\s+FROM\s+([\s\S]+?)\s+GROUP\s+BY\s+([\s\S]+?)\s*$/i;
const AGGREGATE = /\b(COUNT|SUM|AVG|MIN|MAX)\s*\(/i;

/** A GROUP BY query taken apart: the FROM clause (with WHERE), the document alias, the keys and the select items. */
export interface GroupedQuery {
  readonly from: string;
  readonly alias: string;
  readonly keys: readonly string[];
  readonly value: boolean;
  readonly items: readonly {
    readonly expression: string;
    readonly name: string;
    readonly aggregate: boolean;
  }[];
}

/**
 * The parts of a GROUP BY query, or undefined when it has none.
 *
 * @throws SyntaxError for what Cosmos DB refuses with GROUP BY (`SELECT *`, ORDER BY) or this emulator does not
 *   group (JOIN)
 */
export function groupedQuery(sql: string): GroupedQuery | undefined {
  const { text, restore } = masked(sql);
  if (!/\bGROUP\s+BY\b/i.test(text)) return undefined;
  const match = GROUP_BY.exec(text);
  if (match === null)
    throw new SyntaxError('GROUP BY: expected SELECT ... FROM ... [WHERE ...] GROUP BY ...');
  const [, value, select = '', from = '', keys = ''] = match;
  if (/\bORDER\s+BY\b/i.test(keys))
    throw new SyntaxError('ORDER BY is not supported together with GROUP BY.');
  if (/\bJOIN\b/i.test(from)) throw new SyntaxError('GROUP BY over a JOIN is not emulated.');
  if (select.trim() === '*') throw new SyntaxError("'SELECT *' is not valid with GROUP BY.");
  const source = /^\s*(\w+)(?:\s+(?:AS\s+)?(?!WHERE\b)(\w+))?/i.exec(from);
  const alias = source?.[2] ?? source?.[1] ?? 'c';
  let unnamed = 0;
  const items = topLevelItems(select).map((item) => {
    const named = /^([\s\S]+?)\s+AS\s+(\w+)$/i.exec(item);
    const expression = restore(named?.[1] ?? item);
    const path = /^\w+(?:\.(\w+))+$/.exec(expression);
    const name = named?.[2] ?? path?.[1] ?? `$${++unnamed}`;
    return { expression, name, aggregate: AGGREGATE.test(named?.[1] ?? item) };
  });
  return {
    from: restore(from),
    alias,
    keys: topLevelItems(keys).map(restore),
    value: value !== undefined,
    items,
  };
}

/** Runs `sql` (no GROUP BY) over documents with the query's parameters: the engine's rows. */
export type RunRows = (sql: string, documents: readonly unknown[]) => unknown[];

/** The rows of a GROUP BY query: one per distinct key tuple, in order of first appearance. */
export function groupRows(query: GroupedQuery, documents: readonly unknown[], run: RunRows): unknown[] {
  const keyed = run(
    `SELECT VALUE {"k": [${query.keys.join(', ')}], "d": ${query.alias}} FROM ${query.from}`,
    documents,
  ) as { k: unknown[]; d: unknown }[];
  const groups = new Map<string, unknown[]>();
  for (const { k, d } of keyed) {
    const key = JSON.stringify(k.map((part) => (part === undefined ? { undefined: true } : part)));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [d]);
    else group.push(d);
  }
  const evaluate = (expression: string, rows: readonly unknown[]) =>
    run(`SELECT VALUE ${expression} FROM ${query.alias}`, rows)[0];
  return [...groups.values()].map((rows) => {
    const values = query.items.map((item) =>
      evaluate(item.expression, item.aggregate ? rows : rows.slice(0, 1)),
    );
    if (query.value) return values[0];
    const row: Record<string, unknown> = {};
    query.items.forEach((item, index) => {
      if (values[index] !== undefined) row[item.name] = values[index];
    });
    return row;
  });
}

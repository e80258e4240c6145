import {
  evaluateSqlNode,
  type FilterSubject,
  parseSqlFilter,
  SqlFilterError,
  type SqlNode,
  type SqlValue,
} from './sql-filter.js';

/**
 * Service Bus SQL rule actions: `SET <property> = <expression>` and `REMOVE <property>`, separated by `;`. A rule
 * with an action gives its subscription its own copy of each message it selects, annotated by the action (and by a
 * `RuleName` application property). Properties are application properties (`name`, `user.name`, `[name]`) or the
 * settable system properties below (`sys.Label`, ...). Expressions are the filter language's.
 */

/** The system properties an action may set or remove (lower case), as Service Bus allows. */
export const SETTABLE_SYSTEM_PROPERTIES = [
  'label',
  'subject',
  'to',
  'replyto',
  'replytosessionid',
  'contenttype',
  'correlationid',
  'messageid',
  'sessionid',
] as const;

/** One statement of an action. */
export type SqlActionStatement =
  | { readonly kind: 'set'; readonly scope: 'sys' | 'user'; readonly name: string; readonly value: SqlNode }
  | { readonly kind: 'remove'; readonly scope: 'sys' | 'user'; readonly name: string };

/** Where an action writes: the message copy it annotates. */
export interface SqlActionTarget extends FilterSubject {
  set(scope: 'sys' | 'user', name: string, value: SqlValue): void;
  remove(scope: 'sys' | 'user', name: string): void;
}

/** A compiled SQL rule action. */
export interface SqlAction {
  readonly expression: string;
  readonly statements: readonly SqlActionStatement[];
  /** Runs the statements in order; each one sees what the earlier ones wrote. */
  apply(target: SqlActionTarget): void;
}

function statementsOf(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quoted = false;
  let bracketed = false;
  for (const char of text) {
    if (char === "'" && !bracketed) quoted = !quoted;
    else if (char === '[' && !quoted) bracketed = true;
    else if (char === ']' && !quoted) bracketed = false;
    if (char === ';' && !quoted && !bracketed) {
      statements.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  statements.push(current);
  return statements.map((statement) => statement.trim()).filter((statement) => statement !== '');
}

const STATEMENT = /^(SET|REMOVE)\s+(?:(sys|user)\.)?(\[[^\]]+\]|[A-Za-z_$][\w$]*)\s*(?:=\s*([\s\S]*))?$/i;

function parseStatement(statement: string, expression: string): SqlActionStatement {
  const match = STATEMENT.exec(statement);
  if (match === null)
    throw new SqlFilterError(`expected SET <property> = <expression> or REMOVE <property>`, expression);
  const [, verb = '', scopeText, rawName = '', valueText] = match;
  const scope = scopeText?.toLowerCase() === 'sys' ? 'sys' : 'user';
  const name = rawName.startsWith('[') ? rawName.slice(1, -1) : rawName;
  if (scope === 'sys' && !(SETTABLE_SYSTEM_PROPERTIES as readonly string[]).includes(name.toLowerCase())) {
    throw new SqlFilterError(`sys.${name} cannot be set or removed by an action`, expression);
  }
  if (verb.toUpperCase() === 'REMOVE') {
    if (valueText !== undefined) throw new SqlFilterError('REMOVE takes no value', expression);
    return { kind: 'remove', scope, name };
  }
  if (valueText === undefined || valueText.trim() === '')
    throw new SqlFilterError(`SET ${name} needs "= <expression>"`, expression);
  return { kind: 'set', scope, name, value: parseSqlFilter(valueText) };
}

/**
 * Compiles a SQL rule action.
 *
 * @throws `SqlFilterError` when it does not parse, or writes a system property Service Bus does not let it write
 */
export function compileSqlAction(expression: string): SqlAction {
  const statements = statementsOf(expression).map((statement) => parseStatement(statement, expression));
  if (statements.length === 0) throw new SqlFilterError('an action needs at least one statement', expression);
  return {
    expression,
    statements,
    apply(target) {
      for (const statement of statements) {
        if (statement.kind === 'remove') target.remove(statement.scope, statement.name);
        else target.set(statement.scope, statement.name, evaluateSqlNode(statement.value, target));
      }
    },
  };
}

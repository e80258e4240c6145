/**
 * The Service Bus SQL filter language (the subset subscriptions use): a parser that compiles an expression
 * once, and an evaluator with SQL three-valued logic (a comparison with a missing property is unknown, and
 * only a true filter selects the message).
 *
 * Supported: `=`, `<>`, `!=`, `>`, `<`, `>=`, `<=`, `AND`, `OR`, `NOT`, parentheses, `[NOT] IN (...)`,
 * `IS [NOT] NULL`, `[NOT] LIKE` with `%` / `_` (and `ESCAPE`), `EXISTS(name)`, `+ - * / %`, unary minus,
 * string / number / `TRUE` / `FALSE` / `NULL` literals, application properties (bare names, `user.name` or
 * `[bracketed name]`) and system properties (`sys.MessageId`, `sys.Label`...). Not supported: functions
 * such as `newid()`. Rule actions (`SET`, `REMOVE`) are in `sql-action.ts`.
 */

/** A value a filter sees: a property value or a literal. `undefined` is a missing property (SQL NULL). */
export type SqlValue = string | number | boolean | Date | null | undefined;

/** What a filter reads from a message. */
export interface FilterSubject {
  /** A system property by its `sys.` name (case-insensitive), e.g. `MessageId`, `Label`, `To`. */
  system(name: string): SqlValue;
  /** An application property by name. */
  user(name: string): SqlValue;
}

/** A SQL filter that does not parse. */
export class SqlFilterError extends Error {
  /** What is wrong, without the expression (e.g. `unterminated string literal`). */
  readonly reason: string;

  /**
   * @param message - what is wrong
   * @param expression - the filter text
   */
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(`${message} in SQL filter: ${expression}`);
    this.name = 'SqlFilterError';
    this.reason = message;
  }
}

type Token =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'identifier'; readonly value: string; readonly quoted: boolean }
  | { readonly kind: 'symbol'; readonly value: string };

/** The syntax tree of a Service Bus SQL filter (see {@link parseSqlFilter}). */
export type SqlNode = Node;

type Node =
  | { readonly type: 'literal'; readonly value: SqlValue }
  | { readonly type: 'property'; readonly scope: 'sys' | 'user'; readonly name: string }
  | { readonly type: 'and' | 'or'; readonly left: Node; readonly right: Node }
  | { readonly type: 'not'; readonly operand: Node }
  | { readonly type: 'negate'; readonly operand: Node }
  | { readonly type: 'compare'; readonly operator: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'arithmetic'; readonly operator: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'in'; readonly operand: Node; readonly list: readonly Node[]; readonly negated: boolean }
  | { readonly type: 'isNull'; readonly operand: Node; readonly negated: boolean }
  | {
      readonly type: 'like';
      readonly operand: Node;
      readonly pattern: RegExp;
      readonly negated: boolean;
    }
  | { readonly type: 'exists'; readonly property: Node };

const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'null',
  'like',
  'escape',
  'exists',
  'true',
  'false',
]);

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const char = expression.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === "'") {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= expression.length) throw new SqlFilterError('unterminated string literal', expression);
        const next = expression.charAt(i);
        if (next === "'") {
          if (expression.charAt(i + 1) === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += next;
        i += 1;
      }
      tokens.push({ kind: 'string', value });
    } else if (char === '[') {
      const end = expression.indexOf(']', i);
      if (end < 0) throw new SqlFilterError('unterminated [identifier]', expression);
      tokens.push({ kind: 'identifier', value: expression.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][\w$]*(?:\.(?:[A-Za-z_$][\w$]*|\[[^\]]*\]))*/.exec(expression.slice(i));
      const value = match?.[0] ?? char;
      tokens.push({ kind: 'identifier', value, quoted: false });
      i += value.length;
    } else if (/\d/.test(char) || (char === '.' && /\d/.test(expression.charAt(i + 1)))) {
      const match = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(expression.slice(i));
      const text = match?.[0] ?? char;
      tokens.push({ kind: 'number', value: Number(text) });
      i += text.length;
    } else {
      const two = expression.slice(i, i + 2);
      if (two === '<>' || two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'symbol', value: two });
        i += 2;
      } else if ('=<>(),+-*/%'.includes(char)) {
        tokens.push({ kind: 'symbol', value: char });
        i += 1;
      } else {
        throw new SqlFilterError(`unexpected character "${char}"`, expression);
      }
    }
  }
  return tokens;
}

function likePattern(pattern: string, escapeChar: string | undefined, expression: string): RegExp {
  if (escapeChar !== undefined && escapeChar.length !== 1) {
    throw new SqlFilterError('ESCAPE takes a single character', expression);
  }
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern.charAt(i);
    if (escapeChar !== undefined && char === escapeChar) {
      i += 1;
      source += pattern.charAt(i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '%') source += '[\\s\\S]*';
    else if (char === '_') source += '[\\s\\S]';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

class Parser {
  private position = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly expression: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.position < this.tokens.length) this.fail('unexpected input after the expression');
    return node;
  }

  private fail(message: string): never {
    throw new SqlFilterError(message, this.expression);
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'identifier' && !token.quoted && token.value.toLowerCase() === word;
  }

  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token?.kind === 'symbol' && token.value === symbol;
  }

  private expectSymbol(symbol: string): void {
    if (!this.isSymbol(symbol)) this.fail(`expected "${symbol}"`);
    this.position += 1;
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) this.fail(`expected ${word.toUpperCase()}`);
    this.position += 1;
  }

  private or(): Node {
    let left = this.and();
    while (this.isKeyword('or')) {
      this.position += 1;
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isKeyword('and')) {
      this.position += 1;
      left = { type: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Node {
    if (this.isKeyword('not')) {
      this.position += 1;
      return { type: 'not', operand: this.not() };
    }
    return this.predicate();
  }

  private predicate(): Node {
    const left = this.additive();
    const token = this.peek();
    if (token?.kind === 'symbol' && ['=', '<>', '!=', '>', '<', '>=', '<='].includes(token.value)) {
      this.position += 1;
      return {
        type: 'compare',
        operator: token.value === '!=' ? '<>' : token.value,
        left,
        right: this.additive(),
      };
    }
    if (this.isKeyword('is')) {
      this.position += 1;
      const negated = this.isKeyword('not');
      if (negated) this.position += 1;
      this.expectKeyword('null');
      return { type: 'isNull', operand: left, negated };
    }
    const negated = this.isKeyword('not') && (this.isKeyword('in', 1) || this.isKeyword('like', 1));
    if (negated) this.position += 1;
    if (this.isKeyword('in')) {
      this.position += 1;
      this.expectSymbol('(');
      const list: Node[] = [this.additive()];
      while (this.isSymbol(',')) {
        this.position += 1;
        list.push(this.additive());
      }
      this.expectSymbol(')');
      return { type: 'in', operand: left, list, negated };
    }
    if (this.isKeyword('like')) {
      this.position += 1;
      const pattern = this.peek();
      if (pattern?.kind !== 'string') this.fail('LIKE needs a string pattern');
      this.position += 1;
      let escapeChar: string | undefined;
      if (this.isKeyword('escape')) {
        this.position += 1;
        const escapeToken = this.peek();
        if (escapeToken?.kind !== 'string') this.fail('ESCAPE needs a string');
        escapeChar = escapeToken.value;
        this.position += 1;
      }
      return {
        type: 'like',
        operand: left,
        pattern: likePattern(pattern.value, escapeChar, this.expression),
        negated,
      };
    }
    if (negated) this.fail('expected IN or LIKE after NOT');
    return left;
  }

  private additive(): Node {
    let left = this.multiplicative();
    while (this.isSymbol('+') || this.isSymbol('-')) {
      const operator = (this.peek() as { value: string }).value;
      this.position += 1;
      left = { type: 'arithmetic', operator, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Node {
    let left = this.unary();
    while (this.isSymbol('*') || this.isSymbol('/') || this.isSymbol('%')) {
      const operator = (this.peek() as { value: string }).value;
      this.position += 1;
      left = { type: 'arithmetic', operator, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.isSymbol('-')) {
      this.position += 1;
      return { type: 'negate', operand: this.unary() };
    }
    if (this.isSymbol('+')) {
      this.position += 1;
      return this.unary();
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.peek();
    if (token === undefined) this.fail('unexpected end of expression');
    if (token.kind === 'symbol') {
      if (token.value !== '(') this.fail(`unexpected "${token.value}"`);
      this.position += 1;
      const inner = this.or();
      this.expectSymbol(')');
      return inner;
    }
    this.position += 1;
    if (token.kind === 'string' || token.kind === 'number') return { type: 'literal', value: token.value };
    if (!token.quoted) {
      const word = token.value.toLowerCase();
      if (word === 'true') return { type: 'literal', value: true };
      if (word === 'false') return { type: 'literal', value: false };
      if (word === 'null') return { type: 'literal', value: null };
      if (word === 'exists') {
        this.expectSymbol('(');
        const property = this.primary();
        if (property.type !== 'property') this.fail('EXISTS takes a property name');
        this.expectSymbol(')');
        return { type: 'exists', property };
      }
      if (KEYWORDS.has(word)) this.fail(`unexpected ${word.toUpperCase()}`);
      if (this.isSymbol('(')) this.fail(`function ${token.value}() is not supported`);
      return propertyNode(token.value);
    }
    return { type: 'property', scope: 'user', name: token.value };
  }
}

function unbracket(name: string): string {
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}

function propertyNode(identifier: string): Node {
  const dot = identifier.indexOf('.');
  if (dot > 0) {
    const scope = identifier.slice(0, dot).toLowerCase();
    const rest = unbracket(identifier.slice(dot + 1));
    if (scope === 'sys') return { type: 'property', scope: 'sys', name: rest };
    if (scope === 'user') return { type: 'property', scope: 'user', name: rest };
  }
  return { type: 'property', scope: 'user', name: identifier };
}

/** `true`, `false`, or `null` for unknown. */
type Truth = boolean | null;

function comparable(value: SqlValue): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  return value;
}

function compare(operator: string, leftValue: SqlValue, rightValue: SqlValue): Truth {
  const left = comparable(leftValue);
  const right = comparable(rightValue);
  if (left === null || right === null) return null;
  if (typeof left !== typeof right) return null;
  switch (operator) {
    case '=':
      return left === right;
    case '<>':
      return left !== right;
    case '>':
      return left > right;
    case '<':
      return left < right;
    case '>=':
      return left >= right;
    case '<=':
      return left <= right;
    default:
      return null;
  }
}

function truthOf(value: SqlValue | Truth): Truth {
  if (typeof value === 'boolean') return value;
  return null;
}

function evaluate(node: Node, subject: FilterSubject): SqlValue {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'property':
      return node.scope === 'sys' ? subject.system(node.name) : subject.user(node.name);
    case 'and': {
      const left = truthOf(evaluate(node.left, subject));
      if (left === false) return false;
      const right = truthOf(evaluate(node.right, subject));
      if (right === false) return false;
      return left === true && right === true ? true : null;
    }
    case 'or': {
      const left = truthOf(evaluate(node.left, subject));
      if (left === true) return true;
      const right = truthOf(evaluate(node.right, subject));
      if (right === true) return true;
      return left === false && right === false ? false : null;
    }
    case 'not': {
      const operand = truthOf(evaluate(node.operand, subject));
      return operand === null ? null : !operand;
    }
    case 'negate': {
      const operand = evaluate(node.operand, subject);
      return typeof operand === 'number' ? -operand : null;
    }
    case 'compare':
      return compare(node.operator, evaluate(node.left, subject), evaluate(node.right, subject));
    case 'arithmetic': {
      const left = evaluate(node.left, subject);
      const right = evaluate(node.right, subject);
      if (node.operator === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
      if (typeof left !== 'number' || typeof right !== 'number') return null;
      if (node.operator === '+') return left + right;
      if (node.operator === '-') return left - right;
      if (node.operator === '*') return left * right;
      if (right === 0) return null;
      return node.operator === '/' ? left / right : left % right;
    }
    case 'in': {
      const operand = comparable(evaluate(node.operand, subject));
      if (operand === null) return null;
      const found = node.list.some((item) => compare('=', operand, evaluate(item, subject)) === true);
      return node.negated ? !found : found;
    }
    case 'isNull': {
      const operand = evaluate(node.operand, subject);
      const isNull = operand === undefined || operand === null;
      return node.negated ? !isNull : isNull;
    }
    case 'like': {
      const operand = evaluate(node.operand, subject);
      if (typeof operand !== 'string') return null;
      const matches = node.pattern.test(operand);
      return node.negated ? !matches : matches;
    }
    case 'exists': {
      const value = evaluate(node.property, subject);
      return value !== undefined;
    }
  }
}

/** A compiled SQL filter. */
export interface SqlFilter {
  /** The filter text. */
  readonly expression: string;
  /** Whether the filter selects the message (unknown counts as no). */
  matches(subject: FilterSubject): boolean;
}

/**
 * Compiles a Service Bus SQL filter expression.
 *
 * @throws {@link SqlFilterError} when the expression does not parse
 */
export function compileSqlFilter(expression: string): SqlFilter {
  const tree = parseSqlFilter(expression);
  return {
    expression,
    matches: (subject) => evaluate(tree, subject) === true,
  };
}

/** Evaluates a parsed expression against a message (SQL three-valued logic; `null` is unknown). */
export function evaluateSqlNode(node: SqlNode, subject: FilterSubject): SqlValue {
  return evaluate(node, subject);
}

/**
 * Parses a Service Bus SQL filter expression into its syntax tree: what the broker evaluates and what
 * topology validation inspects (which properties a filter reads, which literals it compares them with).
 *
 * @throws {@link SqlFilterError} when the expression does not parse
 */
export function parseSqlFilter(expression: string): SqlNode {
  return new Parser(tokenize(expression), expression).parse();
}

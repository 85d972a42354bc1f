import { ENTITY_TYPES, UNMODELLED_ENTITIES } from '../entity-types';
import { queryParse } from '../faults';

/**
 * QuickBooks' query language: `SELECT * | COUNT(*) | p, ... | *, p, ... FROM Entity [WHERE p op v [AND ...]]
 * [ORDERBY p [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]`, no OR, no joins (Intuit "Query operations and
 * syntax" page; docs/reference/quickbooks-api.md §2.7). What the emulator accepts beyond Intuit's page, and why:
 * - Keywords, entity names and property names in any case; answers use the canonical keys (`QueryResponse.Customer`):
 *   node-quickbooks sends `select * from customer` for every find call and Intuit answers it (reference §2.7).
 * - `*` followed by property names (`SELECT *, Sku FROM Item`, python-quickbooks' `Item.all()`) answers whole objects;
 *   a property list without `*` answers those properties plus Id, SyncToken and MetaData.
 * - Operators `= < > <= >= LIKE IN` (Intuit's list) and `!=`, which Intuit does not document but production clients
 *   send (`WHERE Balance != '0'`) and QuickBooks answers (UNCERTAIN: observed in third-party client code, not in
 *   Intuit's text; see docs/sandbox.md). `<>` stays a parse error (4000).
 * String comparisons (= and LIKE) ignore case, as QuickBooks does for names.
 */

export type Literal = string | number | boolean;

export interface Condition {
  path: string[];
  op: '=' | '!=' | '<' | '>' | '<=' | '>=' | 'LIKE' | 'IN';
  values: Literal[];
  like?: RegExp;
}

export interface Order {
  path: string[];
  desc: boolean;
}

/** A parsed statement. */
export interface ParsedQuery {
  count: boolean;
  /** Named properties of a projection without `*` (undefined: whole objects). */
  select?: string[][];
  entity: string;
  conditions: Condition[];
  orderBy: Order[];
  startPosition: number;
  maxResults: number;
}

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based column, for QueryParserError details. */
  column: number;
}

const DEFAULT_MAX_RESULTS = 100;

function tokenize(statement: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = statement.length;
  while (i < n) {
    const c = statement[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const column = i + 1;
    if (c === "'") {
      let text = '';
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const ch = statement[j];
        if (ch === '\\' && j + 1 < n) {
          text += statement[j + 1];
          j += 2;
          continue;
        }
        if (ch === "'") {
          closed = true;
          break;
        }
        text += ch;
        j++;
      }
      if (!closed) {
        throw queryParse(
          `Lexical error at line 1, column ${n + 1}.  Encountered: <EOF> after : "${statement.slice(i)}"`,
        );
      }
      tokens.push({ kind: 'string', text, column });
      i = j + 1;
      continue;
    }
    const numMatch = /^-?\d+(\.\d+)?/.exec(statement.slice(i));
    if (numMatch && (c !== '-' || /\d/.test(statement[i + 1] ?? ''))) {
      tokens.push({ kind: 'number', text: numMatch[0], column });
      i += numMatch[0].length;
      continue;
    }
    const identMatch = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(statement.slice(i));
    if (identMatch) {
      tokens.push({ kind: 'ident', text: identMatch[0], column });
      i += identMatch[0].length;
      continue;
    }
    const two = statement.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=' || two === '<>') {
      tokens.push({ kind: 'punct', text: two, column });
      i += 2;
      continue;
    }
    if ('=<>(),*'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, column });
      i++;
      continue;
    }
    throw queryParse(`Lexical error at line 1, column ${column}.  Encountered: "${c}"`);
  }
  tokens.push({ kind: 'eof', text: '', column: n + 1 });
  return tokens;
}

const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'and',
  'orderby',
  'order',
  'by',
  'asc',
  'desc',
  'startposition',
  'maxresults',
  'like',
  'in',
  'count',
]);

function encountered(t: Token): never {
  let what: string;
  if (t.kind === 'eof') what = '"<EOF>"';
  else if (t.kind === 'string') what = `" <STRING_LITERAL> "'${t.text}' ""`;
  else if (t.kind === 'number') what = `" <${t.text.includes('.') ? 'DECIMAL' : 'INTEGER'}> "${t.text} ""`;
  else if (t.kind === 'ident' && KEYWORDS.has(t.text.toLowerCase()))
    what = `" "${t.text.toLowerCase()}" "${t.text} ""`;
  else if (t.kind === 'ident') what = `" <IDENTIFIER> "${t.text} ""`;
  else what = `" "${t.text}" "${t.text} ""`;
  throw queryParse(`Encountered ${what} at line 1, column ${t.column}.`);
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) encountered(this.peek());
    this.next();
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== p) encountered(t);
    this.next();
  }

  private identifier(): string {
    const t = this.peek();
    if (t.kind !== 'ident' || KEYWORDS.has(t.text.toLowerCase())) encountered(t);
    this.next();
    return t.text;
  }

  private integer(): number {
    const t = this.peek();
    if (t.kind !== 'number' || t.text.includes('.') || t.text.startsWith('-')) encountered(t);
    this.next();
    return Number(t.text);
  }

  private literal(): Literal {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return t.text;
    }
    if (t.kind === 'number') {
      this.next();
      return Number(t.text);
    }
    if (t.kind === 'ident' && (t.text.toLowerCase() === 'true' || t.text.toLowerCase() === 'false')) {
      this.next();
      return t.text.toLowerCase() === 'true';
    }
    return encountered(t);
  }

  parse(): ParsedQuery {
    this.expectKeyword('select');
    let count = false;
    let select: string[][] | undefined;
    if (this.isKeyword('count')) {
      this.next();
      this.expectPunct('(');
      this.expectPunct('*');
      this.expectPunct(')');
      count = true;
    } else {
      let star = false;
      const named: string[][] = [];
      const item = (): void => {
        if (this.peek().kind === 'punct' && this.peek().text === '*') {
          this.next();
          star = true;
        } else named.push(this.identifier().split('.'));
      };
      item();
      while (this.peek().kind === 'punct' && this.peek().text === ',') {
        this.next();
        item();
      }
      if (!star) select = named;
    }
    this.expectKeyword('from');
    const entity = this.identifier();
    const q: ParsedQuery = {
      count,
      select,
      entity,
      conditions: [],
      orderBy: [],
      startPosition: 1,
      maxResults: DEFAULT_MAX_RESULTS,
    };
    let sawWhere = false;
    let sawOrder = false;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (!sawWhere && !sawOrder && this.isKeyword('where')) {
        this.next();
        sawWhere = true;
        q.conditions.push(this.condition());
        while (this.isKeyword('and')) {
          this.next();
          q.conditions.push(this.condition());
        }
      } else if (
        !sawOrder &&
        (this.isKeyword('orderby') || (this.isKeyword('order') && this.isKeyword('by', 1)))
      ) {
        if (this.isKeyword('order')) this.next();
        this.next();
        sawOrder = true;
        q.orderBy.push(this.order());
        while (this.peek().kind === 'punct' && this.peek().text === ',') {
          this.next();
          q.orderBy.push(this.order());
        }
      } else if (this.isKeyword('startposition')) {
        this.next();
        q.startPosition = Math.max(1, this.integer());
      } else if (this.isKeyword('maxresults')) {
        this.next();
        q.maxResults = this.integer();
      } else {
        encountered(t);
      }
    }
    return q;
  }

  private order(): Order {
    const path = this.identifier().split('.');
    let desc = false;
    if (this.isKeyword('asc')) this.next();
    else if (this.isKeyword('desc')) {
      this.next();
      desc = true;
    }
    return { path, desc };
  }

  private condition(): Condition {
    const path = this.identifier().split('.');
    if (path.some((p) => p === '')) encountered(this.peek(-1));
    const t = this.peek();
    if (this.isKeyword('in')) {
      this.next();
      this.expectPunct('(');
      const values = [this.literal()];
      while (this.peek().kind === 'punct' && this.peek().text === ',') {
        this.next();
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { path, op: 'IN', values };
    }
    if (this.isKeyword('like')) {
      this.next();
      const pt = this.peek();
      if (pt.kind !== 'string') encountered(pt);
      this.next();
      const pattern = pt.text
        .split('%')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return { path, op: 'LIKE', values: [pt.text], like: new RegExp(`^${pattern}$`, 'is') };
    }
    if (t.kind === 'punct' && ['=', '!=', '<', '>', '<=', '>='].includes(t.text)) {
      this.next();
      return { path, op: t.text as Condition['op'], values: [this.literal()] };
    }
    return encountered(t);
  }
}

/** Parses a statement (4000 with a QueryParserError detail when it does not parse). */
export function parseQuery(statement: string): ParsedQuery {
  return new Parser(tokenize(statement)).parse();
}

/** Queryable objects kept outside the entity tables' rules: singletons, rates set through /exchangerate, and
 * recurring-transaction templates (`QueryResponse.RecurringTransaction: [{Invoice: {...}}]`). */
const SPECIAL_SOURCES = ['CompanyInfo', 'Preferences', 'ExchangeRate', 'RecurringTransaction'];

/** Every entity name a query may name, by its lowercase spelling. */
const QUERYABLE = new Map(
  [...ENTITY_TYPES.keys(), ...UNMODELLED_ENTITIES, ...SPECIAL_SOURCES].map((n) => [n.toLowerCase(), n]),
);

/** QuickBooks' spelling of an entity name given in any case (`customer` → `Customer`), or undefined. */
export function canonicalEntity(name: string): string | undefined {
  return QUERYABLE.get(name.toLowerCase());
}

/** Cheap guess of the entity a statement reads, for request classification. */
export function queryEntity(statement: string): string | undefined {
  const raw = /\bfrom\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(statement)?.[1];
  return raw === undefined ? undefined : (canonicalEntity(raw) ?? raw);
}

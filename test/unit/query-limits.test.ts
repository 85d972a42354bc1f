import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery, parse, specifiedRules, validate, type GraphQLError } from 'graphql';
import { createSchema } from '../../src/schema/build-schema';
import { checkOperation, queryLimitRules, tokenLimitError } from '../../src/schema/query-limits';
import { loadConfig } from '../../src/config';

const ROOT = path.join(__dirname, '..', '..');
const schema = createSchema();
const limits = loadConfig({}, ROOT).graphql;
const check = (query: string): readonly GraphQLError[] =>
  validate(schema, parse(query), [...specifiedRules, ...queryLimitRules(limits)]);
const codes = (errors: readonly GraphQLError[]) => errors.map((e) => e.extensions);

/** Every document a sensible client of the contract sends: the console's, the README's, GraphiQL's. */
function contractDocuments(): Array<{ where: string; text: string }> {
  const docs: Array<{ where: string; text: string }> = [];
  const operations = path.join(ROOT, 'console', 'src', 'operations');
  for (const file of fs.readdirSync(operations).filter((f) => f.endsWith('.graphql'))) {
    docs.push({ where: `console ${file}`, text: fs.readFileSync(path.join(operations, file), 'utf8') });
  }
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const [index, match] of [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].entries()) {
    docs.push({ where: `README block ${index}`, text: match[1] });
  }
  docs.push({
    where: 'GraphiQL introspection',
    text: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
  });
  return docs;
}

/** `{__typename ...F0}` with `fragment Fi on Query {__typename ...F(i+1) ...F(i+1)}`: 2^levels spreads when expanded. */
function fragmentBomb(levels: number): string {
  let text = '{ __typename ...F0 }\n';
  for (let i = 0; i < levels; i++)
    text += `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }\n`;
  return `${text}fragment F${levels} on Query { __typename }\n`;
}

describe('query limits', () => {
  it('let every operation of the console, the README and GraphiQL through', () => {
    const docs = contractDocuments();
    expect(docs.length).toBeGreaterThan(10);
    for (const { where, text } of docs) {
      // Console files hold fragments for several operations: only the limits apply to the file as a whole.
      expect({ where, errors: validate(schema, parse(text), queryLimitRules(limits)) }).toEqual({
        where,
        errors: [],
      });
      expect({ where, tooLong: tokenLimitError(text, limits.maxTokens) }).toEqual({
        where,
        tooLong: undefined,
      });
    }
  });

  it('let a full page (first: 500) of orders with their lines through', () => {
    const page =
      '{ orders(first: 500) { totalCount edges { cursor node { id orderNumber status total customer { name email } lines { sku name quantity unitPrice } lastError { code message hint } } } pageInfo { hasNextPage endCursor } } }';
    expect(check(page)).toEqual([]);
  });

  it('refuse the exponential fragment query by its cost, in one pass', () => {
    const errors = check(fragmentBomb(30));
    expect(codes(errors)).toEqual([
      expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost', max: limits.maxCost }),
    ]);
    expect(errors[0].message).toMatch(
      /costs more than the limit of 100000 \(found \d.*\): maxCost, set by GRAPHQL_MAX_COST/,
    );
  });

  it('refuse 1,000 aliases of a full page of orders', () => {
    const aliases = Array.from(
      { length: 1000 },
      (_, i) => `a${i}: orders(first: 500) { edges { node { id lines { sku } } } }`,
    ).join(' ');
    const errors = check(`{ ${aliases} }`);
    expect(codes(errors)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ limit: 'maxAliases', found: 1000 }),
        expect.objectContaining({ limit: 'maxCost' }),
      ]),
    );
  });

  it('refuse depth through fragments, counting fields only', () => {
    // orders > edges > node > id = 4 levels; inline fragments and named fragments add none.
    expect(
      check('{ orders { edges { ... on OrderEdge { node { ...N } } } } } fragment N on Order { id }'),
    ).toEqual([]);
    const deep = `{ __type(name: "Order") { ${'fields { type { '.repeat(6)}name${' } }'.repeat(6)} } }`;
    expect(codes(check(deep))).toEqual(
      expect.arrayContaining([expect.objectContaining({ limit: 'maxDepth', max: 12, found: 14 })]),
    );
  });

  it('refuse too many directives', () => {
    const many = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
    expect(codes(check(`{ __typename ${many} }`))).toEqual(
      expect.arrayContaining([expect.objectContaining({ limit: 'maxDirectives' })]),
    );
  });

  it('count tokens while lexing and stop at the limit', () => {
    expect(
      tokenLimitError(`{ ${'__typename '.repeat(limits.maxTokens)} }`, limits.maxTokens)?.extensions,
    ).toEqual(expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxTokens' }));
    expect(tokenLimitError('{ viewer { tenantId } }', limits.maxTokens)).toBeUndefined();
    // A syntax error is not a limit: the parser reports it.
    expect(tokenLimitError('{ viewer {', limits.maxTokens)).toBeUndefined();
  });

  it('check WebSocket operations the same way, without suggestions when asked', () => {
    const refused = checkOperation(schema, fragmentBomb(30), limits, true);
    expect('errors' in refused && codes(refused.errors)).toEqual([
      expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'maxCost' }),
    ]);
    const typo = checkOperation(schema, '{ viewr { tenantId } }', limits, true);
    expect('errors' in typo && typo.errors.map((e) => e.message)).toEqual([
      'Cannot query field "viewr" on type "Query".',
    ]);
    const shown = checkOperation(schema, '{ viewr { tenantId } }', limits, false);
    expect('errors' in shown && shown.errors[0].message).toMatch(/Did you mean "viewer"\?/);
    const syntax = checkOperation(schema, '{ viewer {', limits, true);
    expect('errors' in syntax && codes(syntax.errors)).toEqual([{ code: 'GRAPHQL_PARSE_FAILED' }]);
    expect('document' in checkOperation(schema, '{ viewer { tenantId } }', limits, true)).toBe(true);
  });
});

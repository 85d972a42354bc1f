import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { depthLimit } from '../../src/schema/depth-limit';

const schema = buildSchema(`
  type Node { id: ID! child: Node }
  type Query { node: Node }
`);
const check = (query: string, rules = [depthLimit(12)]) =>
  validate(schema, parse(query), rules).map((e) => e.message);
const nested = (field: string, depth: number, leaf: string): string =>
  depth === 0 ? leaf : `${field} { ${nested(field, depth - 1, leaf)} }`;

describe('depthLimit', () => {
  it('refuses documents nested deeper than the limit, through fragments too', () => {
    // node + 10 × child + id = 12 levels
    expect(check(`{ node { ${nested('child', 10, 'id')} } }`)).toEqual([]);
    expect(check(`{ node { ${nested('child', 11, 'id')} } }`)).toEqual([
      'Query is nested 13 levels deep; the limit is 12',
    ]);
    expect(check(`{ node { ...F } } fragment F on Node { ${nested('child', 11, 'id')} }`)).toEqual([
      'Query is nested 13 levels deep; the limit is 12',
    ]);
  });

  it("accepts GraphiQL's introspection query: ofType chains inside introspection do not count", () => {
    const graphiql = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });
    expect(check(graphiql, [...specifiedRules, depthLimit(12)])).toEqual([]);
    expect(check(`{ __type(name: "Node") { ${nested('ofType', 40, 'name')} } }`)).toEqual([]);
  });

  it('still counts every other level of introspection', () => {
    // __schema + types + 6 × (fields + type) + name = 15 levels
    const deep = `{ __schema { types { ${nested('fields { type', 6, 'name')}${' }'.repeat(6)} } } }`;
    expect(check(deep)).toEqual(['Query is nested 15 levels deep; the limit is 12']);
  });

  it('counts a field named ofType outside introspection', () => {
    const odd = buildSchema('type T { ofType: T name: String } type Query { t: T }');
    const errors = validate(odd, parse(`{ t { ${nested('ofType', 11, 'name')} } }`), [depthLimit(12)]);
    expect(errors.map((e) => e.message)).toEqual(['Query is nested 13 levels deep; the limit is 12']);
  });
});

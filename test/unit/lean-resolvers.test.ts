import 'reflect-metadata';
import { execute, parse } from 'graphql';
import { createSchema } from '../../src/schema/build-schema';
import { RESOLVER_CLASSES } from '../../src/resolvers';
import { OrderResolver } from '../../src/resolvers/order.resolver';

describe('@Lean field resolvers', () => {
  it('are called directly with (root, context) and answer as through type-graphql', async () => {
    const instances = new Map<Function, object>(
      RESOLVER_CLASSES.map((cls) => [cls, Object.create(cls.prototype) as object]),
    );
    const calls: Array<[unknown, unknown]> = [];
    const orders = Object.create(OrderResolver.prototype) as OrderResolver;
    Object.assign(orders, {
      orderService: {
        list: async () => ({
          nodes: [{ id: 'ord_1', connectionId: 'con_1', customer: { name: 'A' }, lines: [], charges: [] }],
          cursors: ['c1'],
          hasNextPage: false,
          hasPreviousPage: false,
          totalCount: 1,
        }),
      },
      connection: async (root: unknown, context: unknown) => {
        calls.push([root, context]);
        return { id: 'con_1', name: 'Shop' };
      },
    });
    instances.set(OrderResolver, orders);
    const schema = createSchema({ resolvers: instances });
    const field = schema.getType('Order') as import('graphql').GraphQLObjectType;
    expect(field.getFields().connection.args).toEqual([]);

    const context = { principal: { tenantId: 'ten_1', scopes: ['READ'] } };
    const result = await execute({
      schema,
      document: parse('{ orders(first: 1) { edges { node { id connection { id name } } } } }'),
      contextValue: context,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      orders: { edges: [{ node: { id: 'ord_1', connection: { id: 'con_1', name: 'Shop' } } }] },
    });
    expect(calls).toEqual([[expect.objectContaining({ id: 'ord_1', connectionId: 'con_1' }), context]]);
  });
});

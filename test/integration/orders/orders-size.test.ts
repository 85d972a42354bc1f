import { OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { buildOrders } from '../../support/orders';

describe.each(DIALECTS)('order size on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { RUN_WORKER: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses lines too large to store with BAD_USER_INPUT naming them, and writes nothing', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(t, key);
    const [small, big] = buildOrders(2, { prefix: 'SZ' });
    const huge = {
      ...big!,
      lines: Array.from({ length: 20 }, (_, i) => ({
        name: `Line ${i}`,
        description: 'x'.repeat(4000),
        quantity: '1',
        unitPrice: '1.00',
      })),
    };
    const result = await t.graphql(
      key,
      'mutation($c: ID!, $o: [OrderInput!]!) { upsertOrders(connectionId: $c, channel: "shop", orders: $o) { created } }',
      { c: connectionId, o: [small, huge] },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orders.1.lines' });
    expect(await t.gateway.dataSource.getRepository(OrderEntity).countBy({ connectionId })).toBe(0);
  });
});

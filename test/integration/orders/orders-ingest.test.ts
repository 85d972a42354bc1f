import { OrderEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { countStatements } from '../../support/statements';

interface OrderShape {
  externalId: string;
  orderNumber: string;
  orderDate: string;
  currency?: string | null;
  customer?: { name: string; email?: string | null } | null;
  lines: Array<{ sku?: string; name: string; quantity: unknown; unitPrice: unknown; taxable?: boolean }>;
  charges?: Array<{ kind: string; amount: unknown; description?: string }>;
  discountTotal?: unknown;
  taxTotal?: unknown;
}

interface UpsertResult {
  upsertOrders: {
    created: number;
    updated: number;
    orders: Array<{
      id: string;
      externalId: string;
      status: string;
      total: string;
      currency: string;
      modifiedAfterPosting: boolean;
      discountTotal: string;
      taxTotal: string;
      customer: { name: string; email: string | null };
      lines: Array<{ quantity: string; unitPrice: string; amount: string; taxable: boolean }>;
      charges: Array<{ kind: string; amount: string }>;
    }>;
  };
}

const UPSERT = `mutation($c: ID!, $ch: String!, $o: [OrderInput!]!) {
  upsertOrders(connectionId: $c, channel: $ch, orders: $o) {
    created updated
    orders { id externalId status total currency modifiedAfterPosting discountTotal taxTotal
      customer { name email } lines { quantity unitPrice amount taxable } charges { kind amount } }
  }
}`;

const order = (n: number, overrides: Partial<OrderShape> = {}): OrderShape => ({
  externalId: `ext-${n}`,
  orderNumber: `#${1000 + n}`,
  orderDate: '2026-11-01T10:00:00.000Z',
  customer: { name: `Customer ${n}`, email: `c${n}@example.com` },
  lines: [
    { sku: `SKU-${n}`, name: `Product ${n}`, quantity: '2', unitPrice: '10.00', taxable: true },
    { name: 'Gift wrap', quantity: '1', unitPrice: '1.50' },
  ],
  charges: [{ kind: 'FREIGHT', amount: '4.95' }],
  ...overrides,
});

describe.each(DIALECTS)('order ingest on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  let tenantId: string;

  beforeAll(async () => {
    // No worker: nothing but the requests under test touches the database.
    t = await startTestGateway(dialect, { RUN_WORKER: 'false' });
    ({ key, tenantId } = await t.newTenantKey(['WRITE']));
  });
  afterAll(async () => {
    await t?.close();
  });

  const newConnection = async (): Promise<string> =>
    (await t.gateway.services.connections.connect(tenantId, { name: 'Shop' })).connection.id;
  const upsert = (connectionId: string, orders: unknown[], channel = 'shopify', apiKey = key) =>
    t.graphql<UpsertResult>(apiKey, UPSERT, { c: connectionId, ch: channel, o: orders });
  const rows = (connectionId: string) =>
    t.gateway.dataSource
      .getRepository(OrderEntity)
      .find({ where: { connectionId }, order: { externalId: 'ASC' } });

  it('computes line amounts half-up and totals exactly, and returns money as strings', async () => {
    const connectionId = await newConnection();
    const result = await upsert(connectionId, [
      order(1, {
        lines: [
          { name: 'Pens', quantity: '3', unitPrice: '0.34', taxable: true },
          { name: 'Half a cent', quantity: '0.5', unitPrice: '0.05' },
          { name: 'Thirds', quantity: '1.5', unitPrice: '0.03' },
        ],
        charges: [
          { kind: 'FREIGHT', amount: '5.99' },
          { kind: 'HANDLING', amount: '1' },
        ],
        discountTotal: '1.00',
        taxTotal: '0.5',
        currency: 'EUR',
      }),
      order(2, { customer: null, currency: null, charges: undefined }),
    ]);
    expect(result.errors).toBeUndefined();
    const [first, second] = result.data!.upsertOrders.orders;
    // 3 × 0.34 = 1.02; 0.5 × 0.05 = 0.025 → 0.03; 1.5 × 0.03 = 0.045 → 0.05 (floats give 0.04)
    expect(first.lines.map((l) => l.amount)).toEqual(['1.02', '0.03', '0.05']);
    expect(first.lines[0]).toEqual({ quantity: '3', unitPrice: '0.34', amount: '1.02', taxable: true });
    expect(first.lines[1].taxable).toBe(false);
    expect(first.charges).toEqual([
      { kind: 'FREIGHT', amount: '5.99' },
      { kind: 'HANDLING', amount: '1.00' },
    ]);
    // 1.02 + 0.03 + 0.05 + 5.99 + 1.00 − 1.00 + 0.50
    expect(first).toMatchObject({
      total: '7.59',
      discountTotal: '1.00',
      taxTotal: '0.50',
      currency: 'EUR',
      status: 'NEW',
    });
    // Defaults: USD, no charges, no discount or tax; no customer posts to the default customer (empty name).
    expect(second).toMatchObject({
      total: '21.50',
      currency: 'USD',
      discountTotal: '0.00',
      taxTotal: '0.00',
      charges: [],
    });
    expect(second.customer).toEqual({ name: '', email: null });

    const stored = await rows(connectionId);
    expect(stored.map((row) => row.total)).toEqual(['7.59', '21.50']);
    expect(stored[1]).toMatchObject({ customerName: '', customerEmail: null, currency: 'USD' });
    expect(stored[0]).toMatchObject({ customerName: 'Customer 1', customerEmail: 'c1@example.com' });
  });

  it('is idempotent: same payload changes nothing, changed content updates, posted orders are only flagged', async () => {
    const connectionId = await newConnection();
    const payload = [order(1), order(2), order(3), order(4)];
    const first = await upsert(connectionId, payload);
    expect(first.data!.upsertOrders).toMatchObject({ created: 4, updated: 0 });
    const before = await rows(connectionId);

    const again = await upsert(connectionId, payload);
    expect(again.data!.upsertOrders).toMatchObject({ created: 0, updated: 0 });
    expect(again.data!.upsertOrders.orders.map((o) => o.id)).toEqual(
      first.data!.upsertOrders.orders.map((o) => o.id),
    );
    const unchanged = await rows(connectionId);
    expect(unchanged.map((row) => row.updatedAt.getTime())).toEqual(
      before.map((row) => row.updatedAt.getTime()),
    );

    // The same amounts written differently are the same content.
    const reformatted = payload.map((o) => ({
      ...o,
      lines: o.lines.map((l) => ({
        ...l,
        quantity: `${l.quantity as string}.000`,
        unitPrice: (l.unitPrice as string).replace(/0$/, ''),
      })),
      charges: [{ kind: 'FREIGHT', amount: '4.95' }],
      discountTotal: '0.00',
    }));
    expect((await upsert(connectionId, reformatted)).data!.upsertOrders).toMatchObject({
      created: 0,
      updated: 0,
    });

    // Order 2 is POSTED, order 3 FAILED, order 4 ARCHIVED (set directly, as posting and archiving would).
    const repo = t.gateway.dataSource.getRepository(OrderEntity);
    const posted = {
      kind: 'SALES_RECEIPT' as const,
      id: '145',
      docNumber: '#1002',
      syncToken: '0',
      totalAmount: '26.45',
    };
    await repo.update(
      { id: before[1].id },
      { status: 'POSTED', postedTransaction: posted, postedAt: new Date() },
    );
    await repo.update({ id: before[2].id }, { status: 'FAILED' });
    await repo.update({ id: before[3].id }, { status: 'ARCHIVED' });

    const changed: OrderShape[] = payload.map((o) => ({
      ...o,
      lines: [{ name: 'Changed', quantity: '1', unitPrice: '99.99' }],
    }));
    changed.push(order(5));
    const result = await upsert(connectionId, changed);
    expect(result.errors).toBeUndefined();
    expect(result.data!.upsertOrders).toMatchObject({ created: 1, updated: 4 });
    const byExternal = new Map(result.data!.upsertOrders.orders.map((o) => [o.externalId, o]));
    expect(byExternal.get('ext-1')).toMatchObject({
      status: 'NEW',
      total: '104.94',
      modifiedAfterPosting: false,
    });
    // Already in QuickBooks: the new content is kept and flagged, for postOrders to update the transaction.
    expect(byExternal.get('ext-2')).toMatchObject({
      status: 'POSTED',
      total: '104.94',
      modifiedAfterPosting: true,
    });
    expect(byExternal.get('ext-3')).toMatchObject({ status: 'FAILED', total: '104.94' });
    expect(byExternal.get('ext-4')).toMatchObject({ status: 'ARCHIVED', total: '104.94' });

    const after = new Map((await rows(connectionId)).map((row) => [row.externalId, row]));
    const postedRow = after.get('ext-2')!;
    expect(postedRow).toMatchObject({
      status: 'POSTED',
      modifiedAfterPosting: true,
      total: '104.94',
      postedTransaction: posted,
    });
    expect(postedRow.lines.map((l) => l.name)).toEqual(['Changed']);
    expect(postedRow.contentHash).not.toBe(before[1].contentHash);
    expect(after.get('ext-1')!.lines).toEqual([
      {
        sku: null,
        name: 'Changed',
        description: null,
        quantity: '1',
        unitPrice: '99.99',
        amount: '99.99',
        taxable: false,
        quickbooksItemId: null,
      },
    ]);
    expect(after.get('ext-1')!.contentHash).not.toBe(before[0].contentHash);
    expect(after.size).toBe(5);

    // Archived after posting: still in QuickBooks, so replaced and flagged too.
    await repo.update({ id: before[1].id }, { status: 'ARCHIVED', modifiedAfterPosting: false });
    const archivedPosted = await upsert(connectionId, [{ ...payload[1], taxTotal: '3.00' }]);
    expect(archivedPosted.data!.upsertOrders).toMatchObject({ created: 0, updated: 1 });
    expect(archivedPosted.data!.upsertOrders.orders[0]).toMatchObject({
      status: 'ARCHIVED',
      total: '29.45',
      modifiedAfterPosting: true,
    });
    expect(await repo.findOneByOrFail({ id: before[1].id })).toMatchObject({
      total: '29.45',
      modifiedAfterPosting: true,
      postedTransaction: posted,
    });

    // Queued for posting: only flagged, the worker keeps the content it was given.
    await repo.update({ id: before[2].id }, { status: 'QUEUED' });
    const queued = await upsert(connectionId, [{ ...payload[2], taxTotal: '5.00' }]);
    expect(queued.data!.upsertOrders).toMatchObject({ created: 0, updated: 0 });
    expect(await repo.findOneByOrFail({ id: before[2].id })).toMatchObject({
      total: '104.94',
      modifiedAfterPosting: true,
    });
  });

  it('ingests 1,000 orders, and updates them, in a few dozen statements', async () => {
    const connectionId = await newConnection();
    const many = Array.from({ length: 1000 }, (_, i) => order(i));
    const created = await countStatements(t, () => upsert(connectionId, many));
    expect(created.result.errors).toBeUndefined();
    expect(created.result.data!.upsertOrders).toMatchObject({ created: 1000, updated: 0 });
    const changed = many.map((o) => ({ ...o, taxTotal: '1.00' }));
    const updated = await countStatements(t, () => upsert(connectionId, changed));
    expect(updated.result.data!.upsertOrders).toMatchObject({ created: 0, updated: 1000 });
    expect(new Set((await rows(connectionId)).map((row) => row.total))).toEqual(new Set(['27.45']));
    // Auth, connection, one SELECT, ten INSERTs of 100, transaction statements: nowhere near one per order.
    expect(created.statements).toBeLessThan(30);
    expect(updated.statements).toBeLessThan(30);
  });

  const long = (n: number) => 'x'.repeat(n);
  const cases: Array<[string, (o: OrderShape) => OrderShape, string, RegExp]> = [
    ['no lines', (o) => ({ ...o, lines: [] }), 'orders.2.lines', /at least one line/],
    [
      'zero quantity',
      (o) => ({ ...o, lines: [{ name: 'A', quantity: '0', unitPrice: '1.00' }] }),
      'orders.2.lines.0.quantity',
      /greater than 0/,
    ],
    [
      'negative quantity',
      (o) => ({ ...o, lines: [{ name: 'A', quantity: '-1', unitPrice: '1.00' }] }),
      'orders.2.lines.0.quantity',
      /greater than 0/,
    ],
    [
      'negative unit price',
      (o) => ({ ...o, lines: [o.lines[0], { name: 'A', quantity: '1', unitPrice: '-0.01' }] }),
      'orders.2.lines.1.unitPrice',
      /must not be negative/,
    ],
    [
      'unit price below a cent',
      (o) => ({ ...o, lines: [{ name: 'A', quantity: '1', unitPrice: '1.005' }] }),
      'orders.2.lines.0.unitPrice',
      /at most 2 decimal places/,
    ],
    [
      'amount too large',
      (o) => ({ ...o, lines: [{ name: 'A', quantity: '1000', unitPrice: '9999999999999999.00' }] }),
      'orders.2.lines.0.unitPrice',
      /less than 10\^16/,
    ],
    ['lower-case currency', (o) => ({ ...o, currency: 'usd' }), 'orders.2.currency', /ISO 4217/],
    ['unknown currency', (o) => ({ ...o, currency: 'ABC' }), 'orders.2.currency', /ISO 4217/],
    [
      'order number too long for a DocNumber',
      (o) => ({ ...o, orderNumber: long(22) }),
      'orders.2.orderNumber',
      /1 to 21 characters/,
    ],
    ['empty order number', (o) => ({ ...o, orderNumber: '' }), 'orders.2.orderNumber', /1 to 21 characters/],
    [
      'control character in order number',
      (o) => ({ ...o, orderNumber: 'A\u0007B' }),
      'orders.2.orderNumber',
      /control characters/,
    ],
    [
      'negative charge',
      (o) => ({ ...o, charges: [{ kind: 'FREIGHT', amount: '-5.00' }] }),
      'orders.2.charges.0.amount',
      /must not be negative/,
    ],
    [
      'negative discount',
      (o) => ({ ...o, discountTotal: '-1.00' }),
      'orders.2.discountTotal',
      /must not be negative/,
    ],
    ['negative tax', (o) => ({ ...o, taxTotal: '-0.01' }), 'orders.2.taxTotal', /must not be negative/],
    [
      'discount above the subtotal',
      (o) => ({ ...o, discountTotal: '100.00' }),
      'orders.2.discountTotal',
      /must not exceed/,
    ],
    ['empty external id', (o) => ({ ...o, externalId: '' }), 'orders.2.externalId', /191|longer|blank/],
    ['external id too long', (o) => ({ ...o, externalId: long(192) }), 'orders.2.externalId', /191|shorter/],
    [
      'external id twice in one call',
      (o) => ({ ...o, externalId: 'ext-new' }),
      'orders.2.externalId',
      /repeats orders\.1\.externalId/,
    ],
    [
      'bad e-mail',
      (o) => ({ ...o, customer: { name: 'A', email: 'not-an-address' } }),
      'orders.2.customer.email',
      /e-mail/,
    ],
  ];

  it.each(cases)(
    'rejects %s with BAD_USER_INPUT naming the field, and writes nothing',
    async (_name, spoil, field, rule) => {
      const connectionId = await newConnection();
      await upsert(connectionId, [order(0)]);
      const before = await rows(connectionId);
      // Order 0 changed, order 1 new, order 2 invalid: none of it may be written.
      const payload = [order(0, { taxTotal: '5.00' }), order(1, { externalId: 'ext-new' }), spoil(order(2))];
      const result = await upsert(connectionId, payload);
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(result.errors![0].message).toContain(field);
      expect(result.errors![0].message).toMatch(rule);
      const after = await rows(connectionId);
      expect(after).toHaveLength(1);
      expect(after[0].contentHash).toBe(before[0].contentHash);
      expect(after[0].taxTotal).toBe('0.00');
    },
  );

  it('rejects a bad channel, more than 1,000 orders, and amounts the Decimal scalar cannot hold', async () => {
    const connectionId = await newConnection();
    const blank = await upsert(connectionId, [order(1)], '  ');
    expect(blank.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channel' });
    const tooLong = await upsert(connectionId, [order(1)], long(101));
    expect(tooLong.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channel' });
    const many = await upsert(
      connectionId,
      Array.from({ length: 1001 }, (_, i) => order(i)),
    );
    expect(many.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orders' });
    expect(many.errors![0].message).toMatch(/at most 1000 orders/);
    const sevenDecimals = await upsert(connectionId, [
      order(1, { lines: [{ name: 'A', quantity: '1.0000001', unitPrice: '1' }] }),
    ]);
    expect(sevenDecimals.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(sevenDecimals.errors![0].message).toMatch(/lines\[0\]\.quantity/);
    expect(await rows(connectionId)).toHaveLength(0);
  });

  it('reports every invalid field of a call, the first one as the field', async () => {
    const connectionId = await newConnection();
    const result = await upsert(connectionId, [
      order(0),
      order(1, { currency: 'usd' }),
      order(2, { lines: [{ name: 'A', quantity: '0', unitPrice: '1.00' }] }),
    ]);
    expect(result.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'orders.1.currency',
      fields: [
        { field: 'orders.1.currency', rule: expect.stringMatching(/ISO 4217/) },
        { field: 'orders.2.lines.0.quantity', rule: 'must be greater than 0' },
      ],
    });
    expect(await rows(connectionId)).toHaveLength(0);
  });

  it("refuses to upsert into another tenant's connection (NOT_FOUND) and needs WRITE", async () => {
    const connectionId = await newConnection();
    const other = await t.newTenantKey(['WRITE']);
    const result = await upsert(connectionId, [order(1)], 'shopify', other.key);
    expect(result.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const unknown = await upsert('con_doesnotexist', [order(1)]);
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const reader = await t.newTenantKey(['READ']);
    const forbidden = await upsert(connectionId, [order(1)], 'shopify', reader.key);
    expect(forbidden.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(await rows(connectionId)).toHaveLength(0);
  });

  it('stores each order once when calls with overlapping orders run at the same time', async () => {
    const connectionId = await newConnection();
    // Four calls of 60 orders; neighbours share 30, so 150 distinct orders.
    const calls = [0, 1, 2, 3].map((k) => Array.from({ length: 60 }, (_, i) => order(k * 30 + i)));
    const results = await Promise.all(calls.map((orders) => upsert(connectionId, orders)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const created = results.reduce((sum, r) => sum + r.data!.upsertOrders.created, 0);
    expect(created).toBe(150);
    const stored = await rows(connectionId);
    expect(stored).toHaveLength(150);
    expect(new Set(stored.map((row) => row.externalId)).size).toBe(150);
  });

  it('keeps channels apart: the same external id in two channels is two orders', async () => {
    const connectionId = await newConnection();
    const a = await upsert(connectionId, [order(1)], 'shopify');
    const b = await upsert(connectionId, [order(1)], 'amazon');
    expect(a.data!.upsertOrders.created).toBe(1);
    expect(b.data!.upsertOrders.created).toBe(1);
    expect(a.data!.upsertOrders.orders[0].id).not.toBe(b.data!.upsertOrders.orders[0].id);
  });
});

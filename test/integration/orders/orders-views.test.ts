import { InvoiceEntity, OrderEntity, type OrderStatus } from '../../../src/entities';
import { newId } from '../../../src/ids';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { countStatements } from '../../support/statements';

interface OrderPage {
  orders: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; orderNumber: string; status: string } }>;
  };
}

const LIST = `query($f: OrderFilter, $first: Int, $after: String) {
  orders(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id orderNumber status } }
  }
}`;

const UPSERT = `mutation($c: ID!, $o: [OrderInput!]!) {
  upsertOrders(connectionId: $c, channel: "web", orders: $o) { orders { id orderNumber } }
}`;

interface Seed {
  number: string;
  name?: string;
  email?: string;
  date?: string;
  status?: OrderStatus;
}

describe.each(DIALECTS)('order views on %s', (dialect) => {
  let t: TestGateway;
  let key: string;
  let tenantId: string;

  beforeAll(async () => {
    // No worker: nothing but the requests under test touches the database (the statement count relies on it).
    t = await startTestGateway(dialect, { RUN_WORKER: 'false' });
    ({ key, tenantId } = await t.newTenantKey(['WRITE']));
  });
  afterAll(async () => {
    await t?.close();
  });

  const repo = () => t.gateway.dataSource.getRepository(OrderEntity);
  const newConnection = async (owner = tenantId): Promise<string> =>
    (await t.gateway.services.connections.connect(owner, { name: 'Shop' })).connection.id;

  /** Ingests orders through the API, then sets statuses directly (as posting would). Returns ids by number. */
  async function seed(connectionId: string, seeds: Seed[], apiKey = key): Promise<Map<string, string>> {
    const result = await t.graphql<{ upsertOrders: { orders: Array<{ id: string; orderNumber: string }> } }>(
      apiKey,
      UPSERT,
      {
        c: connectionId,
        o: seeds.map((s) => ({
          externalId: `x-${s.number}`,
          orderNumber: s.number,
          orderDate: s.date ?? '2026-11-10T12:00:00.000Z',
          customer: s.name === undefined ? null : { name: s.name, email: s.email },
          lines: [{ name: 'Widget', quantity: '1', unitPrice: '5.00' }],
        })),
      },
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    const ids = new Map(result.data!.upsertOrders.orders.map((o) => [o.orderNumber, o.id]));
    for (const s of seeds) {
      if (s.status && s.status !== 'NEW')
        await repo().update({ id: ids.get(s.number)! }, { status: s.status });
    }
    return ids;
  }

  const list = (variables: Record<string, unknown>, apiKey = key) =>
    t.graphql<OrderPage>(apiKey, LIST, variables);
  const numbers = (page: { data?: OrderPage }) => page.data!.orders.edges.map((e) => e.node.orderNumber);

  it('shows the Orders, Errors and Archived views, narrowed by statuses', async () => {
    const connectionId = await newConnection();
    await seed(connectionId, [
      { number: 'V1' },
      { number: 'V2', status: 'QUEUED' },
      { number: 'V3', status: 'POSTING' },
      { number: 'V4', status: 'POSTED' },
      { number: 'V5', status: 'FAILED' },
      { number: 'V6', status: 'ARCHIVED' },
    ]);
    const view = async (filter: Record<string, unknown>) =>
      numbers(await list({ f: { connectionId, ...filter } })).sort();
    expect(await view({ view: 'ORDERS' })).toEqual(['V1', 'V2', 'V3', 'V4']);
    expect(await view({ view: 'ERRORS' })).toEqual(['V5']);
    expect(await view({ view: 'ARCHIVED' })).toEqual(['V6']);
    expect(await view({})).toEqual(['V1', 'V2', 'V3', 'V4', 'V5', 'V6']);
    expect(await view({ view: 'ORDERS', statuses: ['POSTED', 'FAILED'] })).toEqual(['V4']);
    expect(await view({ statuses: ['NEW', 'FAILED'] })).toEqual(['V1', 'V5']);
    expect(await view({ view: 'ERRORS', statuses: ['NEW'] })).toEqual([]);
    const counted = await list({ f: { connectionId, view: 'ORDERS' }, first: 2 });
    expect(counted.data!.orders.totalCount).toBe(4);
    expect(counted.data!.orders.edges).toHaveLength(2);
  });

  it('searches order number, customer name and e-mail, with LIKE wildcards taken literally', async () => {
    const connectionId = await newConnection();
    await seed(connectionId, [
      { number: 'S-100', name: 'Ada Lovelace', email: 'ada@analytical.example' },
      { number: 'S-200', name: 'Grace Hopper', email: 'grace@navy.example' },
      { number: 'S_300', name: '100% Cotton Ltd', email: 'sales@cotton.example' },
      { number: 'S!400', name: 'Bang & Co' },
      { number: 'S-500' },
    ]);
    const search = async (text: string) => numbers(await list({ f: { connectionId, search: text } })).sort();
    expect(await search('S-1')).toEqual(['S-100']);
    expect(await search('lovelace')).toEqual(['S-100']); // case-insensitive
    expect(await search('NAVY.example')).toEqual(['S-200']);
    expect(await search('_')).toEqual(['S_300']); // not "any character"
    expect(await search('S_3')).toEqual(['S_300']);
    expect(await search('%')).toEqual(['S_300']); // not "anything"
    expect(await search('!')).toEqual(['S!400']);
    expect(await search('  grace  ')).toEqual(['S-200']);
    expect(await search('nobody')).toEqual([]);
    expect(await search('S')).toHaveLength(5);
  });

  it('filters by order date, both ends inclusive', async () => {
    const connectionId = await newConnection();
    await seed(connectionId, [
      { number: 'D1', date: '2026-10-31T23:59:59.999Z' },
      { number: 'D2', date: '2026-11-01T00:00:00.000Z' },
      { number: 'D3', date: '2026-11-15T08:30:00.000Z' },
      { number: 'D4', date: '2026-11-30T23:59:59.999Z' },
      { number: 'D5', date: '2026-12-01T00:00:00.000Z' },
    ]);
    const range = async (from?: string, to?: string) =>
      numbers(await list({ f: { connectionId, orderDateFrom: from, orderDateTo: to } })).sort();
    expect(await range('2026-11-01T00:00:00.000Z', '2026-11-30T23:59:59.999Z')).toEqual(['D2', 'D3', 'D4']);
    expect(await range('2026-11-15T08:30:00.000Z')).toEqual(['D3', 'D4', 'D5']);
    expect(await range(undefined, '2026-11-01T00:00:00.000Z')).toEqual(['D1', 'D2']);
  });

  it('pages newest first with stable cursors and a constant totalCount, even while orders arrive', async () => {
    const connectionId = await newConnection();
    const seeds = Array.from({ length: 23 }, (_, i) => ({ number: `P${String(i).padStart(2, '0')}` }));
    const ids = await seed(connectionId, seeds);
    const expected = [...ids.values()].sort().reverse(); // ids are time-ordered: newest first

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: { data?: OrderPage } = await list({ f: { connectionId }, first: 5, after });
      const { edges, pageInfo, totalCount } = page.data!.orders;
      expect(totalCount).toBe(pages < 2 ? 23 : 25); // the whole filtered list, whatever the page
      seen.push(...edges.map((e) => e.node.id));
      pages += 1;
      if (pages === 2) await seed(connectionId, [{ number: 'LATE1' }, { number: 'LATE2' }]); // newer: before the cursor
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    // Arrivals after page 2 are newer than every cursor, so they never show up on later pages.
    expect(seen).toEqual(expected);
    expect(pages).toBe(5);
    const fresh = await list({ f: { connectionId }, first: 2 });
    expect(fresh.data!.orders.totalCount).toBe(25);
    expect(numbers(fresh)).toEqual(['LATE2', 'LATE1']);

    const bad = await list({ f: { connectionId }, after: 'not-a-cursor' });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const tooMany = await list({ f: { connectionId }, first: 501 });
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('archives NEW, FAILED and POSTED orders; refuses QUEUED and POSTING ones and changes nothing', async () => {
    const connectionId = await newConnection();
    const ids = await seed(connectionId, [
      { number: 'A1' },
      { number: 'A2', status: 'FAILED' },
      { number: 'A3', status: 'POSTED' },
      { number: 'A4', status: 'QUEUED' },
      { number: 'A5', status: 'POSTING' },
    ]);
    const posted = {
      kind: 'INVOICE' as const,
      id: '77',
      docNumber: 'A3',
      syncToken: '1',
      totalAmount: '5.00',
    };
    await repo().update({ id: ids.get('A3')! }, { postedTransaction: posted, postedAt: new Date() });
    const ARCHIVE =
      'mutation($ids: [ID!]!) { archiveOrders(orderIds: $ids) { id orderNumber status postedTransaction { kind id docNumber } } }';

    const refused = await t.graphql(key, ARCHIVE, { ids: [ids.get('A1'), ids.get('A4'), ids.get('A5')] });
    expect(refused.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'orderIds.1' });
    expect(refused.errors![0].message).toContain('A4');
    expect(refused.errors![0].message).toContain('QUEUED');
    expect(refused.errors![0].message).toContain('A5');
    expect((await repo().findOneByOrFail({ id: ids.get('A1')! })).status).toBe('NEW');

    const archived = await t.graphql<{
      archiveOrders: Array<{ orderNumber: string; status: string; postedTransaction: unknown }>;
    }>(key, ARCHIVE, { ids: [ids.get('A3'), ids.get('A1'), ids.get('A2'), ids.get('A1')] });
    expect(archived.errors).toBeUndefined();
    expect(archived.data!.archiveOrders.map((o) => [o.orderNumber, o.status])).toEqual([
      ['A3', 'ARCHIVED'],
      ['A1', 'ARCHIVED'],
      ['A2', 'ARCHIVED'],
      ['A1', 'ARCHIVED'],
    ]);
    expect(archived.data!.archiveOrders[0].postedTransaction).toEqual({
      kind: 'INVOICE',
      id: '77',
      docNumber: 'A3',
    });
    // Archiving again is harmless.
    const again = await t.graphql(key, ARCHIVE, { ids: [ids.get('A1')] });
    expect(again.errors).toBeUndefined();
    const view = await list({ f: { connectionId, view: 'ARCHIVED' } });
    expect(numbers(view).sort()).toEqual(['A1', 'A2', 'A3']);
  });

  it('keeps tenants apart on every order operation', async () => {
    const connectionId = await newConnection();
    const ids = await seed(connectionId, [{ number: 'T1' }]);
    const orderId = ids.get('T1')!;
    const other = await t.newTenantKey(['WRITE']);

    const single = await t.graphql(other.key, 'query($id: ID!) { order(id: $id) { id } }', { id: orderId });
    expect(single.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const node = await t.graphql<{ node: unknown }>(other.key, 'query($id: ID!) { node(id: $id) { id } }', {
      id: orderId,
    });
    expect(node.data!.node).toBeNull();
    const filtered = await list({ f: { connectionId } }, other.key);
    expect(filtered.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const all = await list({}, other.key);
    expect(all.data!.orders.totalCount).toBe(0);
    const archive = await t.graphql(
      other.key,
      'mutation($ids: [ID!]!) { archiveOrders(orderIds: $ids) { id } }',
      { ids: [orderId] },
    );
    expect(archive.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const upsert = await t.graphql(other.key, UPSERT, {
      c: connectionId,
      o: [
        {
          externalId: 'x-T1',
          orderNumber: 'HACK',
          orderDate: '2026-11-10T12:00:00.000Z',
          lines: [{ name: 'A', quantity: '1', unitPrice: '0' }],
        },
      ],
    });
    expect(upsert.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(await repo().findOneByOrFail({ id: orderId })).toMatchObject({ status: 'NEW', orderNumber: 'T1' });

    // The owner still sees it, through both queries and node.
    const mine = await t.graphql<{ order: { id: string }; node: { id: string } }>(
      key,
      'query($id: ID!) { order(id: $id) { id } node(id: $id) { ... on Order { id } } }',
      { id: orderId },
    );
    expect(mine.data).toEqual({ order: { id: orderId }, node: { id: orderId } });
    const reader = await t.newTenantKey(['READ'], undefined);
    const readerArchive = await t.graphql(
      reader.key,
      'mutation($ids: [ID!]!) { archiveOrders(orderIds: $ids) { id } }',
      { ids: [orderId] },
    );
    expect(readerArchive.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  describe('nested fields', () => {
    let connectionId: string;
    let ids: string[];
    const PAGE = `query($f: OrderFilter, $first: Int, $logs: Int, $logsAfter: String) {
      orders(filter: $f, first: $first) {
        totalCount
        edges { node {
          id orderNumber
          connection { id name }
          invoice { id invoiceNumber total pushStatus order { id } connection { id } }
          lastError { code message hint direction at }
          syncLogs(first: $logs, after: $logsAfter) {
            totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id action status entityId } }
          }
        } }
      }
    }`;
    interface NestedPage {
      orders: {
        edges: Array<{
          node: {
            id: string;
            orderNumber: string;
            connection: { id: string; name: string };
            invoice: {
              invoiceNumber: string;
              total: string;
              pushStatus: string;
              order: { id: string };
              connection: { id: string };
            } | null;
            lastError: { code: string; message: string; hint: string; direction: string; at: string } | null;
            syncLogs: {
              totalCount: number;
              pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
              edges: Array<{ node: { id: string; action: string; status: string; entityId: string } }>;
            };
          };
        }>;
      };
    }

    beforeAll(async () => {
      connectionId = await newConnection();
      const seeded = await seed(
        connectionId,
        Array.from({ length: 100 }, (_, i) => ({ number: `N${String(i).padStart(3, '0')}` })),
      );
      ids = [...seeded.values()];
      // Every other order has an invoice; every third failed; each has i % 4 sync logs (as posting writes them).
      const invoices = ids
        .filter((_, i) => i % 2 === 0)
        .map((orderId, i) => ({
          id: newId('invoice'),
          tenantId,
          connectionId,
          orderId,
          invoiceNumber: `INV-${i}`,
          issuedAt: new Date('2026-11-11T00:00:00Z'),
          dueDate: '2026-12-11',
          lines: [],
          charges: [],
          discountTotal: '0.00',
          taxTotal: '0.00',
          total: '5.00',
          pushStatus: 'NOT_SENT' as const,
          quickbooksId: null,
          sentAt: null,
          lastError: null,
        }));
      await t.gateway.dataSource.getRepository(InvoiceEntity).insert(invoices);
      for (const [i, orderId] of ids.entries()) {
        if (i % 3 === 0) {
          await repo().update(
            { id: orderId },
            {
              status: 'FAILED',
              lastError: {
                code: '6000',
                message: 'Business Validation Error',
                detail: null,
                hint: 'fix the item',
                direction: 'TO_QUICKBOOKS',
                at: '2026-11-12T00:00:00.000Z',
              },
            },
          );
        }
      }
      const logs = ids.flatMap((orderId, i) =>
        Array.from({ length: i % 4 }, (_, n) => ({
          tenantId,
          connectionId,
          direction: 'TO_QUICKBOOKS' as const,
          action: n === 0 ? ('MATCH' as const) : ('CREATE' as const),
          entityType: 'Order',
          entityId: orderId,
          status: 'SUCCEEDED' as const,
          label: `log ${n}`,
        })),
      );
      // A log of another entity type with an order's id must not show up.
      logs.push({
        tenantId,
        connectionId,
        direction: 'TO_QUICKBOOKS',
        action: 'CREATE',
        entityType: 'Invoice',
        entityId: ids[3],
        status: 'SUCCEEDED',
        label: 'invoice',
      });
      await t.gateway.services.syncLogs.record(...logs);
    });

    it('resolves connection, invoice, lastError and paged syncLogs per order', async () => {
      const result = await t.graphql<NestedPage>(key, PAGE, { f: { connectionId }, first: 100, logs: 2 });
      expect(result.errors).toBeUndefined();
      const byId = new Map(result.data!.orders.edges.map((e) => [e.node.id, e.node]));
      expect(byId.size).toBe(100);
      for (const [i, orderId] of ids.entries()) {
        const node = byId.get(orderId)!;
        expect(node.connection).toEqual({ id: connectionId, name: 'Shop' });
        if (i % 2 === 0) {
          expect(node.invoice).toMatchObject({
            invoiceNumber: `INV-${i / 2}`,
            total: '5.00',
            pushStatus: 'NOT_SENT',
            order: { id: orderId },
          });
        } else {
          expect(node.invoice).toBeNull();
        }
        if (i % 3 === 0) {
          expect(node.lastError).toEqual({
            code: '6000',
            message: 'Business Validation Error',
            hint: 'fix the item',
            direction: 'TO_QUICKBOOKS',
            at: '2026-11-12T00:00:00.000Z',
          });
        } else {
          expect(node.lastError).toBeNull();
        }
        const logCount = i % 4;
        expect(node.syncLogs.totalCount).toBe(logCount);
        expect(node.syncLogs.edges).toHaveLength(Math.min(2, logCount));
        expect(node.syncLogs.pageInfo.hasNextPage).toBe(logCount > 2);
        expect(node.syncLogs.edges.every((e) => e.node.entityId === orderId)).toBe(true);
        const logIds = node.syncLogs.edges.map((e) => e.node.id);
        expect(logIds).toEqual([...logIds].sort().reverse()); // newest first
      }

      // The next page of one order's logs, through its cursor.
      const busy = ids.findIndex((_, i) => i % 4 === 3);
      const first = byId.get(ids[busy])!.syncLogs;
      const next = await t.graphql<NestedPage>(key, PAGE, {
        f: { connectionId, search: `N${String(busy).padStart(3, '0')}` },
        first: 1,
        logs: 2,
        logsAfter: first.pageInfo.endCursor,
      });
      const rest = next.data!.orders.edges[0].node.syncLogs;
      expect(rest.totalCount).toBe(3);
      expect(rest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      expect(rest.edges.map((e) => e.node.action)).toEqual(['MATCH']);
      expect([...first.edges, ...rest.edges].map((e) => e.node.id)).toHaveLength(3);
    });

    it('costs the same number of SQL statements for a page of 100 orders as for a page of 10', async () => {
      const run = (first: number) =>
        t.graphql<NestedPage>(key, PAGE, { f: { connectionId }, first, logs: 2 });
      await run(1); // warm-up: the API key's last-used time is written at most once a while
      const ten = await countStatements(t, () => run(10));
      const hundred = await countStatements(t, () => run(100));
      expect(ten.result.data!.orders.edges).toHaveLength(10);
      expect(hundred.result.data!.orders.edges).toHaveLength(100);
      expect(hundred.statements).toBe(ten.statements);
      // key lookup, count + page, then one statement each for connections, invoices (+ their orders), log counts, logs
      expect(hundred.statements).toBeLessThanOrEqual(10);
    });
  });
});

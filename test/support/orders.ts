import Decimal from 'decimal.js';
import type { TestGateway } from './gateway';
import { collect, wsClient } from './connect';

export interface OrderInputShape {
  externalId: string;
  orderNumber: string;
  orderDate: string;
  currency?: string;
  customer?: { name: string; email?: string };
  lines: Array<{ sku?: string; name: string; quantity: string; unitPrice: string; taxable?: boolean }>;
  charges?: Array<{ kind: 'FREIGHT' | 'HANDLING' | 'PACKAGING' | 'OTHER'; amount: string }>;
  discountTotal?: string;
  taxTotal?: string;
  paymentMethod?: string;
  exchangeRate?: string;
}

/** Deterministic test orders: `customers` distinct customers, `skus` distinct products, 3 lines and a freight charge. */
export function buildOrders(
  count: number,
  options: { prefix?: string; customers?: number; skus?: number; discount?: boolean; tax?: boolean } = {},
): OrderInputShape[] {
  const prefix = options.prefix ?? 'T';
  const customers = options.customers ?? 20;
  const skus = options.skus ?? 15;
  return Array.from({ length: count }, (_, i) => ({
    externalId: `${prefix}-ext-${i}`,
    orderNumber: `${prefix}${1000 + i}`,
    orderDate: new Date(Date.UTC(2026, 10, 1 + (i % 20))).toISOString(),
    customer: {
      name: `${prefix} Customer ${i % customers}`,
      email: `${prefix.toLowerCase()}c${i % customers}@example.com`,
    },
    lines: [0, 1, 2].map((j) => ({
      sku: `${prefix}-SKU-${(i + j * 7) % skus}`,
      name: `${prefix} Product ${(i + j * 7) % skus}`,
      quantity: String(1 + ((i + j) % 3)),
      unitPrice: `${10 + ((i * 3 + j) % 17)}.${String((i * 7 + j * 13) % 100).padStart(2, '0')}`,
      taxable: j === 0,
    })),
    charges: [{ kind: 'FREIGHT', amount: `${4 + (i % 5)}.95` }],
    discountTotal: options.discount && i % 4 === 0 ? '2.50' : '0',
    taxTotal: options.tax && i % 3 === 0 ? '1.23' : '0',
  }));
}

/** The order total the gateway must compute (and QuickBooks must agree with). */
export function expectedTotal(order: OrderInputShape): string {
  const lines = order.lines.reduce(
    (sum, l) =>
      sum.plus(new Decimal(l.quantity).times(l.unitPrice).toDecimalPlaces(2, Decimal.ROUND_HALF_UP)),
    new Decimal(0),
  );
  const charges = (order.charges ?? []).reduce((sum, c) => sum.plus(c.amount), new Decimal(0));
  return lines
    .plus(charges)
    .minus(order.discountTotal ?? '0')
    .plus(order.taxTotal ?? '0')
    .toFixed(2);
}

export async function upsertOrders(
  t: TestGateway,
  key: string,
  connectionId: string,
  orders: OrderInputShape[],
  channel = 'shop',
): Promise<Array<{ id: string; orderNumber: string; total: string }>> {
  const all: Array<{ id: string; orderNumber: string; total: string }> = [];
  for (let i = 0; i < orders.length; i += 1000) {
    const result = await t.graphql<{
      upsertOrders: { orders: Array<{ id: string; orderNumber: string; total: string }> };
    }>(
      key,
      'mutation($c: ID!, $ch: String!, $o: [OrderInput!]!) { upsertOrders(connectionId: $c, channel: $ch, orders: $o) { orders { id orderNumber total } created updated } }',
      { c: connectionId, ch: channel, o: orders.slice(i, i + 1000) },
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    all.push(...result.data!.upsertOrders.orders);
  }
  return all;
}

export interface ProgressEvent {
  status: string;
  processed: number;
  succeeded: number;
  failed: number;
  total: number;
  item: {
    entityId: string;
    status: string;
    quickbooksId: string | null;
    error: { code: string; hint: string } | null;
  } | null;
}

/** Posts orders and follows the batch over graphql-ws to its end; returns the batch id and every event. */
export async function postAndFollow(
  t: TestGateway,
  key: string,
  orderIds: string[],
): Promise<{ batchId: string; events: ProgressEvent[] }> {
  const posted = await t.graphql<{ postOrders: { id: string; status: string } }>(
    key,
    'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id status } }',
    { ids: orderIds },
  );
  if (posted.errors) throw new Error(JSON.stringify(posted.errors));
  const batchId = posted.data!.postOrders.id;
  const client = wsClient(t, key);
  try {
    const events = await collect<{ batchProgress: ProgressEvent }>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded failed total item { entityId status quickbooksId error { code hint } } } }',
      { id: batchId },
    );
    return { batchId, events: events.map((e) => e.batchProgress) };
  } finally {
    await client.dispose();
  }
}

/** Sets the settings posting needs, picked from the mirrored chart of accounts by type. */
export async function configurePosting(
  t: TestGateway,
  key: string,
  connectionId: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const accounts = await t.graphql<{
    connection: {
      referenceData: {
        edges: Array<{
          node: {
            quickbooksId: string;
            name: string;
            data: { AccountType: string; AccountSubType?: string };
          };
        }>;
      };
    };
  }>(
    key,
    'query($id: ID!) { connection(id: $id) { referenceData(type: ACCOUNT, first: 500) { edges { node { quickbooksId name data } } } } }',
    { id: connectionId },
  );
  const edges = accounts.data!.connection.referenceData.edges.map((e) => e.node);
  const pick = (type: string, subtype?: string) =>
    (edges.find((a) => a.data.AccountType === type && (!subtype || a.data.AccountSubType === subtype)) ??
      edges.find((a) => a.data.AccountType === type))!.quickbooksId;
  const settings = {
    incomeAccountId: pick('Income', 'SalesOfProductIncome'),
    discountAccountId: pick('Income', 'DiscountsRefundsGiven'),
    inventoryAssetAccountId: pick('Other Current Asset', 'Inventory'),
    costOfGoodsSoldAccountId: pick('Cost of Goods Sold'),
    ...extra,
  };
  const result = await t.graphql(
    key,
    'mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(connectionId: $id, input: $input) { id } }',
    { id: connectionId, input: settings },
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return settings;
}

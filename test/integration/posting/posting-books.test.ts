import { ConnectionEntity, OrderEntity, SyncLogEntity } from '../../../src/entities';
import { QuickBooksClient, type BatchItemRequest } from '../../../src/quickbooks';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import {
  buildOrders,
  configurePosting,
  postAndFollow,
  upsertOrders,
  type OrderInputShape,
} from '../../support/orders';
import { quiesce } from '../../support/sync';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- QuickBooks JSON read for assertions
type Json = any;

/** Books an accountant can trust: currency, payment methods and changed orders reach QuickBooks as they are. */
describe.each(DIALECTS)('posting books on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    // Some tests post to customers QuickBooks has and the mirror does not know: the emulator's webhooks would teach it.
    t.gateway.sandbox!.updateApp(t.gateway.config.quickbooks.clientId, { webhookUrl: null as never });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function company(
    name: string,
    options: { multicurrency?: boolean; settings?: Record<string, unknown> } = {},
  ) {
    const { key } = await t.newTenantKey(['ADMIN']);
    const sandbox = t.gateway.sandbox!;
    const realmId = sandbox.createRealm({ companyName: name });
    if (options.multicurrency) {
      const prefs = live(realmId, 'Preferences')[0];
      const answer = sandbox.accounting.handle({
        method: 'POST',
        realmId,
        path: 'preferences',
        query: {},
        body: { SyncToken: prefs.SyncToken, sparse: true, CurrencyPrefs: { MultiCurrencyEnabled: true } },
      });
      expect(answer.status).toBe(200);
    }
    const connected = await connectCompany(t, key, { realmId, name });
    await t.gateway.services.references.runImport(connected.body.importBatchId as string);
    await configurePosting(t, key, connected.connectionId, options.settings);
    return { key, realmId, connectionId: connected.connectionId };
  }
  const live = (realmId: string, entity: string): Json[] =>
    (t.gateway.sandbox!.accounting.adminEntities(realmId, entity) as Json[]).filter(
      (x) => x.status !== 'Deleted',
    );
  const orderRow = (id: string) => t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id });
  const one = (prefix: string, overrides: Partial<OrderInputShape> & Record<string, unknown> = {}) => ({
    ...buildOrders(1, { prefix })[0]!,
    ...overrides,
  });

  it('posts an EUR order in EUR, with the rate, to a customer in EUR (multicurrency on)', async () => {
    const c = await company('Euro Books Co', { multicurrency: true });
    // A USD customer of the same name exists already: QuickBooks fixes a customer's currency.
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: 'Marie Curie' },
    });
    const [withRate, quickbooksRate, home] = await upsertOrders(t, c.key, c.connectionId, [
      one('EU', {
        externalId: 'eu-1',
        orderNumber: 'EU-1',
        currency: 'EUR',
        exchangeRate: '1.1',
        customer: { name: 'Marie Curie' },
      }),
      one('EU', {
        externalId: 'eu-2',
        orderNumber: 'EU-2',
        currency: 'EUR',
        customer: { name: 'Marie Curie' },
      }),
      one('EU', { externalId: 'eu-3', orderNumber: 'EU-3', customer: { name: 'Marie Curie' } }),
    ]);
    const { events } = await postAndFollow(t, c.key, [withRate!.id, quickbooksRate!.id, home!.id]);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 3 });

    const receipts = new Map(live(c.realmId, 'SalesReceipt').map((r) => [r.DocNumber, r]));
    const customers = new Map(live(c.realmId, 'Customer').map((r) => [r.Id, r]));
    const eur = receipts.get('EU-1');
    expect(eur).toMatchObject({ CurrencyRef: { value: 'EUR' }, ExchangeRate: 1.1 });
    expect(eur.TotalAmt.toFixed(2)).toBe(withRate!.total);
    expect(eur.HomeTotalAmt).toBeCloseTo(eur.TotalAmt * 1.1, 2);
    expect(customers.get(eur.CustomerRef.value)).toMatchObject({
      DisplayName: 'Marie Curie (EUR)',
      CurrencyRef: { value: 'EUR' },
    });
    // No rate on the order: QuickBooks' rate for the date, same EUR customer.
    expect(receipts.get('EU-2')).toMatchObject({ CurrencyRef: { value: 'EUR' }, ExchangeRate: 1.085 });
    expect(receipts.get('EU-2').CustomerRef.value).toBe(eur.CustomerRef.value);
    // The home-currency order goes to the USD customer of that name.
    expect(receipts.get('EU-3').CurrencyRef.value).toBe('USD');
    expect(customers.get(receipts.get('EU-3').CustomerRef.value)).toMatchObject({
      DisplayName: 'Marie Curie',
      CurrencyRef: { value: 'USD' },
    });
    expect(live(c.realmId, 'CompanyCurrency').map((x) => x.Code)).toEqual(['EUR']);
    expect((await orderRow(withRate!.id)).exchangeRate).toBe('1.1');
  });

  it('fails an EUR order with a hint when multicurrency is off, and posts nothing for it', async () => {
    const c = await company('Dollar Only Co');
    const [order] = await upsertOrders(t, c.key, c.connectionId, [one('NM', { currency: 'EUR' })]);
    const { events } = await postAndFollow(t, c.key, [order!.id]);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', failed: 1 });
    const row = await orderRow(order!.id);
    expect(row.status).toBe('FAILED');
    expect(row.lastError).toMatchObject({
      message: expect.stringContaining('multicurrency is off'),
      hint: expect.stringContaining('turn on multicurrency'),
    });
    expect(live(c.realmId, 'SalesReceipt')).toHaveLength(0);
  });

  it('resolves references window by window: customers, items and payment methods new in later windows are created once', async () => {
    const c = await company('Windows Co', { settings: { createMissingPaymentMethods: true } });
    // 700 orders read 300 at a time: the second window brings new customers and a new payment method, the third new
    // customers and new items; each window also shares customers and items with the one before.
    const inputs = buildOrders(700, { prefix: 'W', customers: 700, skus: 700 }).map((order, i) => {
      const window = Math.floor(i / 300);
      return {
        ...order,
        customer: { name: `W Customer ${(i % 50) + window * 30}` },
        lines: order.lines.map((line, j) => {
          const sku = window === 2 ? 40 + ((i + j) % 20) : (i + j) % 40;
          return { ...line, sku: `W-SKU-${sku}`, name: `W Product ${sku}` };
        }),
        paymentMethod: window === 1 && i % 2 === 0 ? 'Store Credit' : window === 0 ? 'Cash' : undefined,
      };
    });
    const orders = await upsertOrders(t, c.key, c.connectionId, inputs);
    const { events } = await postAndFollow(
      t,
      c.key,
      orders.map((o) => o.id),
    );
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 700, failed: 0 });

    const receipts = live(c.realmId, 'SalesReceipt');
    expect(receipts).toHaveLength(700);
    const customers = live(c.realmId, 'Customer').filter((x) =>
      String(x.DisplayName).startsWith('W Customer'),
    );
    expect(customers).toHaveLength(110); // 0–49, 30–79, 60–109: each once
    expect(new Set(customers.map((x) => x.DisplayName)).size).toBe(110);
    const items = live(c.realmId, 'Item').filter((x) => String(x.Sku ?? '').startsWith('W-SKU-'));
    expect(items).toHaveLength(60);
    const customerIds = new Map(customers.map((x) => [x.DisplayName, x.Id]));
    const methods = new Map(live(c.realmId, 'PaymentMethod').map((m) => [m.Name, m.Id]));
    expect(methods.has('Store Credit')).toBe(true);
    const byNumber = new Map(receipts.map((r) => [r.DocNumber, r]));
    for (const input of inputs) {
      const receipt = byNumber.get(input.orderNumber);
      expect(receipt.CustomerRef.value).toBe(customerIds.get(input.customer.name));
      if (input.paymentMethod) expect(receipt.PaymentMethodRef?.value).toBe(methods.get(input.paymentMethod));
    }
  });

  /** What the runs ask QuickBooks, in the order they ask (the calls still go to the emulator). */
  function watchCalls(): { asked: string[]; stop: () => void } {
    const asked: string[] = [];
    const { batch, query } = QuickBooksClient.prototype;
    const describe = (item: BatchItemRequest) =>
      item.operation === 'query' ? item.query : `${item.operation} ${item.entity}`;
    const batchSpy = jest.spyOn(QuickBooksClient.prototype, 'batch').mockImplementation(function (
      this: QuickBooksClient,
      items,
      options,
    ) {
      asked.push(...items.map(describe));
      return batch.call(this, items, options);
    });
    const querySpy = jest.spyOn(QuickBooksClient.prototype, 'query').mockImplementation(function (
      this: QuickBooksClient,
      statement: string,
    ) {
      asked.push(statement);
      return query.call(this, statement) as never;
    });
    return {
      asked,
      stop: () => {
        batchSpy.mockRestore();
        querySpy.mockRestore();
      },
    };
  }

  it('creates home-currency customers without a look-up, and adopts one QuickBooks already has by its name', async () => {
    const c = await company('Home First Co');
    const connection = () =>
      t.gateway.dataSource.getRepository(ConnectionEntity).findOneByOrFail({ id: c.connectionId });
    // Connecting read the company's preferences: the connection knows its home currency.
    expect((await connection()).homeCurrency).toBe('USD');
    // The catch-up a new connection queues must be over first, or it could read the customer created next.
    await quiesce(t);
    // Created in QuickBooks after the import: the mirror does not know it.
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: 'Ada Lovelace' },
    });
    const orders = await upsertOrders(t, c.key, c.connectionId, [
      one('HF', { externalId: 'hf-1', orderNumber: 'HF-1', customer: { name: 'Ada Lovelace' } }),
      one('HF', { externalId: 'hf-2', orderNumber: 'HF-2', customer: { name: 'Grace Hopper' } }),
      one('HF', { externalId: 'hf-3', orderNumber: 'HF-3', customer: { name: 'Grace Hopper' } }),
    ]);
    const calls = watchCalls();
    let events;
    try {
      ({ events } = await postAndFollow(
        t,
        c.key,
        orders.map((o) => o.id),
      ));
    } finally {
      calls.stop();
    }
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 3 });
    // The customers were created straight away (no look-up first), while the items were looked up; QuickBooks'
    // refusal of the taken name was the one customer look-up, for that name alone.
    const customerQueries = calls.asked.filter((asked) => /FROM Customer/i.test(asked));
    expect(customerQueries).toEqual([expect.stringContaining("'Ada Lovelace'")]);
    expect(customerQueries[0]).not.toContain('Grace Hopper');
    const firstCreate = calls.asked.indexOf('create Customer');
    expect(firstCreate).toBeGreaterThan(-1);
    expect(calls.asked.indexOf(customerQueries[0])).toBeGreaterThan(firstCreate);
    expect(calls.asked.findIndex((asked) => /FROM Item/i.test(asked))).toBeLessThan(firstCreate);

    const customers = live(c.realmId, 'Customer');
    const ada = customers.filter((x) => x.DisplayName === 'Ada Lovelace');
    const grace = customers.filter((x) => x.DisplayName === 'Grace Hopper');
    expect(ada).toHaveLength(1);
    expect(grace).toHaveLength(1);
    const byNumber = new Map(live(c.realmId, 'SalesReceipt').map((r) => [r.DocNumber, r]));
    expect(byNumber.get('HF-1').CustomerRef.value).toBe(ada[0].Id);
    expect(byNumber.get('HF-2').CustomerRef.value).toBe(grace[0].Id);
    expect(byNumber.get('HF-3').CustomerRef.value).toBe(grace[0].Id);

    // A connection that never read its preferences looks its customers up first, and knows its currency after.
    await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .update({ id: c.connectionId }, { homeCurrency: null });
    const [later] = await upsertOrders(t, c.key, c.connectionId, [
      one('HF', { externalId: 'hf-4', orderNumber: 'HF-4', customer: { name: 'Alan Turing' } }),
    ]);
    const again = watchCalls();
    try {
      const { events: laterEvents } = await postAndFollow(t, c.key, [later!.id]);
      expect(laterEvents[laterEvents.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    } finally {
      again.stop();
    }
    const lookUp = again.asked.findIndex((asked) => /FROM Customer.*'Alan Turing'/i.test(asked));
    expect(lookUp).toBeGreaterThan(-1);
    expect(lookUp).toBeLessThan(again.asked.indexOf('create Customer'));
    expect((await connection()).homeCurrency).toBe('USD');
  });

  it("maps an order's payment method by name, creates a missing one when asked, else uses the default", async () => {
    const c = await company('Payment Method Co');
    const methods = () => new Map(live(c.realmId, 'PaymentMethod').map((m) => [m.Name, m.Id]));
    const cash = methods().get('Cash');
    await configurePosting(t, c.key, c.connectionId, { defaultPaymentMethodId: cash });
    const [visa, paypal, none] = await upsertOrders(t, c.key, c.connectionId, [
      one('PM', { externalId: 'pm-1', orderNumber: 'PM-1', paymentMethod: 'visa' }),
      one('PM', { externalId: 'pm-2', orderNumber: 'PM-2', paymentMethod: 'PayPal' }),
      one('PM', { externalId: 'pm-3', orderNumber: 'PM-3' }),
    ]);
    await postAndFollow(t, c.key, [visa!.id, paypal!.id, none!.id]);
    let receipts = new Map(live(c.realmId, 'SalesReceipt').map((r) => [r.DocNumber, r]));
    expect(receipts.get('PM-1').PaymentMethodRef.value).toBe(methods().get('Visa'));
    expect(receipts.get('PM-2').PaymentMethodRef.value).toBe(cash);
    expect(receipts.get('PM-3').PaymentMethodRef.value).toBe(cash);
    expect(methods().has('PayPal')).toBe(false);

    await configurePosting(t, c.key, c.connectionId, { createMissingPaymentMethods: true });
    const [again] = await upsertOrders(t, c.key, c.connectionId, [
      one('PM', { externalId: 'pm-4', orderNumber: 'PM-4', paymentMethod: 'PayPal' }),
    ]);
    await postAndFollow(t, c.key, [again!.id]);
    receipts = new Map(live(c.realmId, 'SalesReceipt').map((r) => [r.DocNumber, r]));
    expect(methods().get('PayPal')).toBeDefined();
    expect(receipts.get('PM-4').PaymentMethodRef.value).toBe(methods().get('PayPal'));
  });

  it('updates the QuickBooks transaction of a posted order changed since: one transaction, SyncToken advanced', async () => {
    const c = await company('Changed Order Co');
    const input = one('CO');
    const [order] = await upsertOrders(t, c.key, c.connectionId, [input]);
    await postAndFollow(t, c.key, [order!.id]);
    const [before] = live(c.realmId, 'SalesReceipt');
    // Unchanged: nothing to update.
    const refused = await t.graphql(c.key, 'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }', {
      ids: [order!.id],
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

    const [changed] = await upsertOrders(t, c.key, c.connectionId, [
      { ...input, lines: [{ sku: 'CO-NEW', name: 'New product', quantity: '3', unitPrice: '7.00' }] },
    ]);
    expect(changed!.total).not.toBe(order!.total);
    const { events } = await postAndFollow(t, c.key, [order!.id]);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    const after = live(c.realmId, 'SalesReceipt');
    expect(after).toHaveLength(1);
    expect(after[0].Id).toBe(before.Id);
    expect(Number(after[0].SyncToken)).toBe(Number(before.SyncToken) + 1);
    expect(after[0].TotalAmt.toFixed(2)).toBe(changed!.total);
    const row = await orderRow(order!.id);
    expect(row).toMatchObject({ status: 'POSTED', modifiedAfterPosting: false });
    expect(row.postedTransaction).toMatchObject({
      id: before.Id,
      syncToken: after[0].SyncToken,
      totalAmount: changed!.total,
    });
    const logs = await t.gateway.dataSource
      .getRepository(SyncLogEntity)
      .findBy({ entityId: order!.id, action: 'UPDATE', status: 'SUCCEEDED' });
    expect(logs).toHaveLength(1);

    // Edited in QuickBooks meanwhile (stale SyncToken): re-read and updated anyway.
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'SalesReceipt',
      operation: 'update',
      data: { Id: before.Id, PrivateNote: 'edited by the bookkeeper' },
    });
    await upsertOrders(t, c.key, c.connectionId, [{ ...input, taxTotal: '2.00' }]);
    await postAndFollow(t, c.key, [order!.id]);
    const [third] = live(c.realmId, 'SalesReceipt');
    expect(Number(third.SyncToken)).toBe(Number(before.SyncToken) + 3);
    expect(third.TotalAmt.toFixed(2)).toBe((await orderRow(order!.id)).total);
  });

  it('refuses to update an invoice QuickBooks has a payment on, or one in a closed period, with a hint', async () => {
    const c = await company('Paid Invoice Co', { settings: { postOrdersAs: 'INVOICE' } });
    const inputs = [
      one('PI', { externalId: 'pi-1', orderNumber: 'PI-1', orderDate: '2026-11-20T10:00:00.000Z' }),
      one('PI', { externalId: 'pi-2', orderNumber: 'PI-2', orderDate: '2026-11-02T10:00:00.000Z' }),
    ];
    const [paid, closed] = await upsertOrders(t, c.key, c.connectionId, inputs);
    await postAndFollow(t, c.key, [paid!.id, closed!.id]);
    const invoices = new Map(live(c.realmId, 'Invoice').map((i) => [i.DocNumber, i]));
    const invoice = invoices.get('PI-1');
    t.gateway.sandbox!.accounting.adminChange(c.realmId, {
      entity: 'Payment',
      operation: 'create',
      data: {
        CustomerRef: invoice.CustomerRef,
        TotalAmt: invoice.TotalAmt,
        Line: [{ Amount: invoice.TotalAmt, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      },
    });
    const prefs = live(c.realmId, 'Preferences')[0];
    t.gateway.sandbox!.accounting.handle({
      method: 'POST',
      realmId: c.realmId,
      path: 'preferences',
      query: {},
      body: {
        SyncToken: prefs.SyncToken,
        sparse: true,
        AccountingInfoPrefs: { BookCloseDate: inputs[1]!.orderDate.slice(0, 10) },
      },
    });
    // The paid one is changed to less than was paid; the other is dated in the closed period.
    await upsertOrders(t, c.key, c.connectionId, [
      { ...inputs[0]!, lines: [{ name: 'Smaller', quantity: '1', unitPrice: '1.00' }], charges: [] },
      { ...inputs[1]!, taxTotal: '1.00' },
    ]);
    const { events } = await postAndFollow(t, c.key, [paid!.id, closed!.id]);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', failed: 2 });
    const paidRow = await orderRow(paid!.id);
    expect(paidRow).toMatchObject({ status: 'FAILED', modifiedAfterPosting: true });
    expect(paidRow.postedTransaction?.id).toBe(invoice.Id);
    expect(paidRow.lastError?.hint).toContain('a payment or deposit is applied');
    const closedRow = await orderRow(closed!.id);
    expect(closedRow.lastError).toMatchObject({
      code: '6210',
      hint: expect.stringContaining('books are closed'),
    });
    expect(live(c.realmId, 'Invoice')).toHaveLength(2);
  });
});

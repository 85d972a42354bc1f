import { OrderEntity, SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { buildOrders, postAndFollow, upsertOrders } from '../../support/orders';
import { followBatch, INVOICE_FIELDS, invoicingCompany, must } from '../../support/invoices';
import { until } from '../../support/wait';

const REFUSED = { status: 400, code: '4000', message: 'Request has invalid or unsupported property' };
const UNAVAILABLE = { status: 503, code: '10000', message: 'Service Unavailable' };
const WAITING = /^Waiting for QuickBooks \(attempt \d+ of \d+\)/;

type BatchView = { status: string; error: { code: string; message: string } | null };

/**
 * Every batch job classifies its failures as posting does (src/job-handlers.ts): a fault QuickBooks would answer the
 * same way again ends the batch FAILED at once, with the error, its items usable again; a transient one shows
 * "Waiting for QuickBooks (attempt n of m)" on the batch while the job runs again. Over the emulator, through the
 * worker, for undo and invoices.
 */
describe.each(DIALECTS)('batch job failures on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(
      dialect,
      {},
      {
        gatewayOptions: {
          quickbooksRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
          worker: { pollMs: 50, backoff: { baseMs: 300, maxMs: 1_000 } },
        },
      },
    );
  });
  afterEach(() => t.gateway.sandbox!.clearFaults());
  afterAll(async () => {
    await t?.close();
  });

  const batchRow = (id: string) =>
    t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id });
  const readBatch = async (key: string, id: string): Promise<BatchView> =>
    (
      await must<{ batch: BatchView }>(
        t,
        key,
        'query($id: ID!) { batch(id: $id) { status error { code message } } }',
        { id },
      )
    ).batch;
  async function jobAttempts(kind: string, batchId: string): Promise<number> {
    const [job] = await t.gateway.dataSource.query<Array<{ attempts: number }>>(
      'SELECT `attempts` FROM `jobs` WHERE `kind` = ? AND `payload` LIKE ?',
      [kind, `%${batchId}%`],
    );
    return Number(job!.attempts);
  }
  /** Every POST to the company answers this fault (reads still work, so outcomes can be looked up). */
  const faultPosts = (realmId: string, respond: typeof REFUSED) =>
    t.gateway.sandbox!.setFaults({ rules: [{ match: { realmId, method: 'POST' }, respond }] });

  async function postedOrders(name: string, count: number) {
    const c = await invoicingCompany(t, name);
    const orders = await upsertOrders(
      t,
      c.key,
      c.connectionId,
      buildOrders(count, { prefix: name.slice(0, 2) }),
    );
    const { batchId, events } = await postAndFollow(
      t,
      c.key,
      orders.map((o) => o.id),
    );
    expect(events.at(-1)).toMatchObject({ status: 'COMPLETED', succeeded: count });
    return { ...c, orders, postingBatchId: batchId };
  }
  const undo = async (key: string, batchId: string) =>
    (
      await must<{ undoBatch: { id: string } }>(
        t,
        key,
        'mutation($id: ID!) { undoBatch(batchId: $id) { id } }',
        {
          id: batchId,
        },
      )
    ).undoBatch.id;

  it('undo: a refusal ends the batch FAILED at once with the error; the orders can be undone again', async () => {
    const c = await postedOrders('Undo Refusal Co', 3);
    faultPosts(c.realmId, REFUSED);
    const undoId = await undo(c.key, c.postingBatchId);
    const events = await followBatch(t, c.key, undoId);
    expect(events.at(-1)).toMatchObject({ status: 'FAILED', failed: 3 });
    expect((await batchRow(undoId)).error).toMatchObject({ code: '4000' });
    expect(await jobAttempts('orders.undo', undoId)).toBe(1);
    // Nothing was deleted; the orders are settled from QuickBooks (still posted) and can be undone again.
    const orders = t.gateway.dataSource.getRepository(OrderEntity);
    await until(async () =>
      (await orders.findBy({ postingBatchId: c.postingBatchId })).every((o) => o.status === 'POSTED'),
    );
    t.gateway.sandbox!.clearFaults();
    const again = await followBatch(t, c.key, await undo(c.key, c.postingBatchId));
    expect(again.at(-1)).toMatchObject({ status: 'COMPLETED', succeeded: 3 });
  });

  it('undo: an outage shows "Waiting for QuickBooks (attempt n of m)" on the batch, then the batch completes', async () => {
    const c = await postedOrders('Undo Outage Co', 2);
    faultPosts(c.realmId, UNAVAILABLE);
    const undoId = await undo(c.key, c.postingBatchId);
    let waiting: BatchView | undefined;
    await until(async () => {
      waiting = await readBatch(c.key, undoId);
      return waiting.error !== null;
    });
    expect(waiting).toMatchObject({
      status: 'RUNNING',
      error: { code: '10000', message: expect.stringMatching(WAITING) },
    });
    t.gateway.sandbox!.clearFaults();
    await until(async () => (await readBatch(c.key, undoId)).status === 'COMPLETED');
    expect((await readBatch(c.key, undoId)).error).toBeNull();
  });

  async function unsentInvoice(name: string) {
    const c = await invoicingCompany(t, name);
    await must(
      t,
      c.key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { autoInvoice: false }) { id } }',
      { id: c.connectionId },
    );
    const [order] = await upsertOrders(
      t,
      c.key,
      c.connectionId,
      buildOrders(1, { prefix: name.slice(0, 2) }),
    );
    const created = await must<{ createInvoice: { id: string; pushStatus: string } }>(
      t,
      c.key,
      `mutation($o: ID!) { createInvoice(orderId: $o) { ${INVOICE_FIELDS} } }`,
      { o: order!.id },
    );
    expect(created.createInvoice.pushStatus).toBe('NOT_SENT');
    return { ...c, invoiceId: created.createInvoice.id };
  }
  const send = async (key: string, invoiceId: string) =>
    (
      await must<{ sendInvoice: { id: string } }>(
        t,
        key,
        'mutation($ids: [ID!]!) { sendInvoice(invoiceIds: $ids) { id } }',
        { ids: [invoiceId] },
      )
    ).sendInvoice.id;

  it('invoices: a refusal ends the batch FAILED at once with the error; the invoice can be sent again', async () => {
    const c = await unsentInvoice('Invoice Refusal Co');
    faultPosts(c.realmId, REFUSED);
    const batchId = await send(c.key, c.invoiceId);
    const events = await followBatch(t, c.key, batchId);
    expect(events.at(-1)).toMatchObject({ status: 'FAILED', failed: 1 });
    expect((await batchRow(batchId)).error).toMatchObject({ code: '4000' });
    expect(await jobAttempts('invoices.send', batchId)).toBe(1);
    t.gateway.sandbox!.clearFaults();
    const again = await followBatch(t, c.key, await send(c.key, c.invoiceId));
    expect(again.at(-1)).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
  });

  it('invoices: an outage shows "Waiting for QuickBooks (attempt n of m)" on the batch, then the batch completes', async () => {
    const c = await unsentInvoice('Invoice Outage Co');
    faultPosts(c.realmId, UNAVAILABLE);
    const batchId = await send(c.key, c.invoiceId);
    let waiting: BatchView | undefined;
    await until(async () => {
      waiting = await readBatch(c.key, batchId);
      return waiting.error !== null;
    });
    expect(waiting).toMatchObject({
      status: 'RUNNING',
      error: { code: '10000', message: expect.stringMatching(WAITING) },
    });
    t.gateway.sandbox!.clearFaults();
    await until(async () => (await readBatch(c.key, batchId)).status === 'COMPLETED');
    expect((await readBatch(c.key, batchId)).error).toBeNull();
  });
});

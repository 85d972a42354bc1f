/**
 * Change data capture, the webhooks' backstop: with the emulator's webhooks switched off, changes made in QuickBooks
 * reach the mirror through one catch-up; a gap longer than CDC's 30 days falls back to a full re-import.
 */
import { OrderEntity, QuickBooksSyncCursorEntity, SyncBatchEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import type { TestGateway } from '../../support/gateway';
import { configurePosting, postAndFollow, upsertOrders } from '../../support/orders';
import {
  connectedCompany,
  emulatorObjects,
  mirrorDifferences,
  personChange,
  startInboundGateway,
} from '../../support/quickbooks-webhooks';
import { until } from '../../support/wait';

const LISTS = [
  { entity: 'Customer', type: 'CUSTOMER' as const },
  { entity: 'Item', type: 'ITEM' as const },
  { entity: 'Class', type: 'CLASS' as const },
  { entity: 'Account', type: 'ACCOUNT' as const },
  { entity: 'Term', type: 'TERM' as const },
  { entity: 'PaymentMethod', type: 'PAYMENT_METHOD' as const },
  { entity: 'Department', type: 'LOCATION' as const },
  { entity: 'TaxCode', type: 'TAX_CODE' as const },
  { entity: 'TaxRate', type: 'TAX_RATE' as const },
];

describe.each(DIALECTS)('change data capture on %s', (dialect) => {
  let t: TestGateway;
  let webhookUrl: string | undefined;
  beforeAll(async () => {
    t = await startInboundGateway(dialect);
    webhookUrl = t.gateway.sandbox!.updateApp(t.gateway.config.quickbooks.clientId, {}).webhookUrl;
  });
  afterAll(async () => {
    await t?.close();
  });
  const webhooks = (on: boolean) =>
    t.gateway.sandbox!.updateApp(t.gateway.config.quickbooks.clientId, {
      webhookUrl: on ? webhookUrl : (null as never),
    });
  const differences = async (realmId: string, connectionId: string) => {
    const out: string[] = [];
    for (const { entity, type } of LISTS)
      out.push(...(await mirrorDifferences(t, realmId, connectionId, type, entity)));
    return out;
  };

  it('brings the mirror to QuickBooks’ state with one catch-up after changes made while webhooks were off', async () => {
    const company = await connectedCompany(t, 'CDC Co');
    await configurePosting(t, company.key, company.connectionId);
    const [order] = await upsertOrders(t, company.key, company.connectionId, [
      {
        externalId: 'cdc-1',
        orderNumber: 'C1001',
        orderDate: '2026-11-04T00:00:00.000Z',
        customer: { name: 'CDC Customer' },
        lines: [{ name: 'Thing', sku: 'CT-1', quantity: '1', unitPrice: '3.00' }],
      },
    ]);
    await postAndFollow(t, company.key, [order.id]);
    const posted = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
    const before = await t.gateway.services.inbound.status(company.tenantId, company.connectionId);
    webhooks(false);
    try {
      const accounts = await emulatorObjects(t, company.realmId, 'Account');
      const income = accounts.find((a) => a.AccountType === 'Income')!;
      for (let i = 0; i < 10; i++) {
        const customer = await personChange(t, company.realmId, 'Customer', 'create', {
          DisplayName: `Quiet ${i}`,
        });
        await personChange(t, company.realmId, 'Customer', 'update', {
          Id: customer.Id,
          DisplayName: `Quiet renamed ${i}`,
        });
        await personChange(t, company.realmId, 'Item', 'create', {
          Name: `Quiet item ${i}`,
          Type: 'Service',
          IncomeAccountRef: { value: income.Id },
        });
      }
      await personChange(t, company.realmId, 'Class', 'create', { Name: 'Quiet class' });
      await personChange(t, company.realmId, 'Account', 'update', { Id: income.Id, Name: 'Quiet income' });
      await personChange(t, company.realmId, 'SalesReceipt', 'delete', { Id: posted.postedTransaction!.id });
      expect((await differences(company.realmId, company.connectionId)).length).toBeGreaterThan(0);

      const result = await t.gateway.services.changeDataCapture.catchUp(company.connectionId);
      expect(result.mode).toBe('CDC');
      expect(await differences(company.realmId, company.connectionId)).toEqual([]);
      const marked = await t.gateway.dataSource.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
      expect(marked.lastError).toMatchObject({ code: 'DELETED_IN_QUICKBOOKS', direction: 'FROM_QUICKBOOKS' });
      const after = await t.gateway.services.inbound.status(company.tenantId, company.connectionId);
      expect(after.lastChangeDataCaptureAt!.getTime()).toBeGreaterThan(
        before.lastChangeDataCaptureAt?.getTime() ?? 0,
      );
      // The bulk rule: 31 changed objects came in a handful of calls (CDC, then TaxCode and TaxRate by query).
      expect(result.calls).toBeLessThanOrEqual(4);
    } finally {
      webhooks(true);
    }
  });

  it('marks posted transactions edited, voided or deleted in QuickBooks with webhooks off, once', async () => {
    const company = await connectedCompany(t, 'CDC Edits Co');
    await configurePosting(t, company.key, company.connectionId);
    const orders = await upsertOrders(
      t,
      company.key,
      company.connectionId,
      ['E', 'V', 'D', 'K'].map((tag) => ({
        externalId: `cdc-${tag}`,
        orderNumber: `C2${tag}`,
        orderDate: '2026-11-04T00:00:00.000Z',
        customer: { name: 'CDC Edit Customer' },
        lines: [{ name: 'Thing', sku: 'CE-1', quantity: '1', unitPrice: '4.00' }],
      })),
    );
    await postAndFollow(
      t,
      company.key,
      orders.map((o) => o.id),
    );
    const repo = t.gateway.dataSource.getRepository(OrderEntity);
    const [edited, voided, deleted, kept] = await Promise.all(
      orders.map((o) => repo.findOneByOrFail({ id: o.id })),
    );
    // A catch-up first, so the cursor starts after the posting.
    await t.gateway.services.changeDataCapture.catchUp(company.connectionId);
    webhooks(false);
    try {
      await personChange(t, company.realmId, 'SalesReceipt', 'update', {
        Id: edited.postedTransaction!.id,
        CustomerMemo: { value: 'changed by a person' },
      });
      await personChange(t, company.realmId, 'SalesReceipt', 'void', { Id: voided.postedTransaction!.id });
      await personChange(t, company.realmId, 'SalesReceipt', 'delete', { Id: deleted.postedTransaction!.id });
      const result = await t.gateway.services.changeDataCapture.catchUp(company.connectionId);
      expect(result.mode).toBe('CDC');
      expect(result.changed).toBeGreaterThanOrEqual(3);
      const codes = async () =>
        Object.fromEntries(
          await Promise.all(
            [edited, voided, deleted, kept].map(async (o) => [
              o.orderNumber,
              (await repo.findOneByOrFail({ id: o.id })).lastError,
            ]),
          ),
        );
      const after = await codes();
      expect(after.C2E).toMatchObject({ code: 'EDITED_IN_QUICKBOOKS', direction: 'FROM_QUICKBOOKS' });
      expect(after.C2V).toMatchObject({ code: 'VOIDED_IN_QUICKBOOKS', direction: 'FROM_QUICKBOOKS' });
      expect(after.C2V.hint).toMatch(/voided/);
      expect(after.C2D).toMatchObject({ code: 'DELETED_IN_QUICKBOOKS', direction: 'FROM_QUICKBOOKS' });
      expect(after.C2K).toBeNull();
      // The next catch-up sees the same state and flags nothing again.
      const again = await t.gateway.services.changeDataCapture.catchUp(company.connectionId);
      expect(again.changed).toBe(0);
    } finally {
      webhooks(true);
    }
  });

  it('falls back to a full re-import when the last catch-up is older than CDC’s 30 days', async () => {
    const company = await connectedCompany(t, 'Old Gap Co');
    await until(
      async () =>
        (await t.gateway.services.inbound.status(company.tenantId, company.connectionId))
          .lastChangeDataCaptureAt !== null,
    );
    webhooks(false);
    try {
      await personChange(t, company.realmId, 'Customer', 'create', { DisplayName: 'Made during the gap' });
      await t.gateway.dataSource
        .getRepository(QuickBooksSyncCursorEntity)
        .update(
          { connectionId: company.connectionId },
          { changedSince: new Date(Date.now() - 31 * 86_400_000) },
        );
      const batchesBefore = await t.gateway.dataSource
        .getRepository(SyncBatchEntity)
        .countBy({ connectionId: company.connectionId, kind: 'REFERENCE_IMPORT' });
      const result = await t.gateway.services.changeDataCapture.catchUp(company.connectionId);
      expect(result.mode).toBe('FULL_IMPORT');
      await until(async () => {
        const batches = await t.gateway.dataSource
          .getRepository(SyncBatchEntity)
          .findBy({ connectionId: company.connectionId, kind: 'REFERENCE_IMPORT' });
        return batches.length === batchesBefore + 1 && batches.every((b) => b.finishedAt !== null);
      });
      expect(await differences(company.realmId, company.connectionId)).toEqual([]);
      const cursor = await t.gateway.dataSource
        .getRepository(QuickBooksSyncCursorEntity)
        .findOneByOrFail({ connectionId: company.connectionId });
      expect(cursor.lastWasFullImport).toBe(true);
      expect(cursor.changedSince!.getTime()).toBeGreaterThan(Date.now() - 86_400_000);
    } finally {
      webhooks(true);
    }
  });
});

/**
 * Orders are found by their posted transaction through the indexed `orders.postedTransactionId`; the migration that
 * added it fills it in for orders posted before it existed.
 */
import { initializeDataSource } from '../../../ormconfig';
import { loadConfig } from '../../../src/config';
import { OrderEntity } from '../../../src/entities';
import { ordersPostedAs } from '../../../src/services/sync/inbound-apply';
import { DIALECTS, createTestDatabase } from '../../support/database';

const MIGRATION = /^PostedTransactionId\d+$/;

describe.each(DIALECTS)('orders.postedTransactionId on %s', (dialect) => {
  it('is backfilled by its migration and used to find orders by their posted transaction', async () => {
    const database = await createTestDatabase(dialect);
    const config = loadConfig({ DATABASE_URL: database.url }, database.dataDir);
    const dataSource = await initializeDataSource(config.database);
    try {
      await dataSource.runMigrations();
      const order = (id: string, posted: { kind: 'SALES_RECEIPT' | 'INVOICE'; id: string } | null) => ({
        id,
        tenantId: 'ten_1',
        connectionId: 'con_1',
        channel: 'shop',
        externalId: id,
        orderNumber: id,
        orderDate: new Date('2026-11-01T00:00:00Z'),
        currency: 'USD',
        exchangeRate: null,
        customerName: 'Backfill Buyer',
        customerEmail: null,
        customer: { name: 'Backfill Buyer' },
        lines: [],
        charges: [],
        discountTotal: '0.00',
        taxTotal: '0.00',
        total: '1.00',
        paymentMethod: null,
        notes: null,
        contentHash: 'x',
        status: posted ? ('POSTED' as const) : ('NEW' as const),
        postedTransaction: posted && { ...posted, docNumber: id, syncToken: '0', totalAmount: '1.00' },
        postedTransactionId: null,
        postedAt: null,
        modifiedAfterPosting: false,
        lastError: null,
        postingGeneration: 1,
        postingBatchId: null,
        sentAt: null,
        statusBeforeUndo: null,
      });
      // Rows as an older version wrote them: the JSON only.
      await dataSource
        .getRepository(OrderEntity)
        .insert([
          order('ord_a', { kind: 'SALES_RECEIPT', id: '41' }),
          order('ord_b', { kind: 'INVOICE', id: '41' }),
          order('ord_c', null),
        ] as never);
      // Back to before the migration (and any later ones), then forward again.
      for (;;) {
        const ran = await dataSource.query<Array<{ name: string }>>(
          'SELECT name FROM migrations ORDER BY id DESC LIMIT 1',
        );
        await dataSource.undoLastMigration();
        if (MIGRATION.test(ran[0].name)) break;
      }
      await dataSource.runMigrations();
      const rows = await dataSource.getRepository(OrderEntity).find({ order: { id: 'ASC' } });
      expect(rows.map((r) => r.postedTransactionId)).toEqual(['41', '41', null]);
      const receipts = await ordersPostedAs(dataSource.manager, 'con_1', 'SalesReceipt', ['41', '99']);
      expect(receipts.map((o) => o.id)).toEqual(['ord_a']);
      const invoices = await ordersPostedAs(dataSource.manager, 'con_1', 'Invoice', ['41']);
      expect(invoices.map((o) => o.id)).toEqual(['ord_b']);
      expect(await ordersPostedAs(dataSource.manager, 'con_2', 'Invoice', ['41'])).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

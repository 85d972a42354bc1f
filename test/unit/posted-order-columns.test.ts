import type { OrderEntity } from '../../src/entities';
import { postedOrderColumns, toPosted } from '../../src/services/posting/posting-mapper';

const order = {
  customer: { name: 'Ada', email: 'ada@example.com' },
  lines: [
    { sku: 'A-1', name: 'Widget', quantity: '1', unitPrice: '2.00' },
    { name: 'Gadget', quantity: '1', unitPrice: '3.00' },
  ],
} as unknown as Pick<OrderEntity, 'customer' | 'lines'>;
const posted = toPosted('SalesReceipt', { Id: '42', DocNumber: 'B1', SyncToken: '0', TotalAmt: 5 });

describe('postedOrderColumns', () => {
  it('writes the transaction, the customer id and each line item id', () => {
    const columns = postedOrderColumns((r: { id: string }) => ({
      order,
      posted,
      customerId: `c-${r.id}`,
      itemIds: new Map([['sku:a-1', '7']]),
    }));
    const row = { id: '1' };
    expect(JSON.parse(columns.postedTransaction(row) as string)).toEqual({
      kind: 'SALES_RECEIPT',
      id: '42',
      docNumber: 'B1',
      syncToken: '0',
      totalAmount: '5.00',
    });
    expect(JSON.parse(columns.customer(row) as string)).toMatchObject({ name: 'Ada', quickbooksId: 'c-1' });
    expect(
      (JSON.parse(columns.lines(row) as string) as Array<{ quickbooksItemId: string | null }>).map(
        (l) => l.quickbooksItemId,
      ),
    ).toEqual(['7', null]);
  });

  it('keeps the customer and lines as they are when the ids are not known (a match)', () => {
    const columns = postedOrderColumns(() => ({ order, posted }));
    expect(JSON.parse(columns.customer({}) as string)).toEqual(order.customer);
    expect(JSON.parse(columns.lines({}) as string)).toEqual(order.lines);
  });
});

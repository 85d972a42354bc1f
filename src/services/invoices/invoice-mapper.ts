import Decimal from 'decimal.js';
import type { InvoiceEmailStatus, InvoiceEntity, OrderEntity } from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import { orderMarkerPrefix, text, transactionBody, type TransactionContext } from '../posting/posting-mapper';

/** Identifies the gateway's Invoice for one sending of one invoice: written into PrivateNote, searched on recovery. */
export const invoiceMarker = (invoice: Pick<InvoiceEntity, 'id' | 'sendGeneration'>): string =>
  `[qbg:${invoice.id}:${invoice.sendGeneration}]`;

/**
 * Whether a QuickBooks Invoice is this invoice's transaction: its number, and the marker of any sending of this
 * invoice, or of a posting of its order (an order posted as an Invoice is the same transaction).
 */
export function isOwnTransaction(
  transaction: QuickBooksEntity,
  invoice: Pick<InvoiceEntity, 'id' | 'invoiceNumber' | 'orderId'>,
): boolean {
  const note = text(transaction.PrivateNote);
  return (
    transaction.DocNumber === invoice.invoiceNumber &&
    (note.includes(`[qbg:${invoice.id}:`) || note.includes(orderMarkerPrefix(invoice.orderId)))
  );
}

export const invoiceLabel = (invoice: Pick<InvoiceEntity, 'invoiceNumber' | 'customerName'>): string =>
  `Invoice ${invoice.invoiceNumber}${invoice.customerName ? ` ${invoice.customerName}` : ''}`;

/**
 * The QuickBooks Invoice for an invoice: the order's transaction as posting builds it (lines, charges on their items,
 * discount, tax, addresses, BillEmail, class, location, SalesTermRef), with the invoice's number, dates and content.
 */
export function invoiceBody(
  invoice: InvoiceEntity,
  order: OrderEntity,
  context: TransactionContext,
): QuickBooksEntity {
  const asOrder: OrderEntity = {
    ...order,
    orderNumber: invoice.invoiceNumber,
    orderDate: invoice.issuedAt,
    lines: invoice.lines,
    charges: invoice.charges,
    discountTotal: invoice.discountTotal,
    taxTotal: invoice.taxTotal,
    total: invoice.total,
  };
  const body = transactionBody(asOrder, {
    ...context,
    settings: { ...context.settings, postOrdersAs: 'INVOICE' },
  });
  return {
    ...body,
    ...(invoice.dueDate ? { DueDate: invoice.dueDate } : {}),
    PrivateNote:
      `Invoice ${invoice.invoiceNumber} by QuickBooks Gateway: ${order.channel} order ${order.externalId} ${invoiceMarker(invoice)}`.slice(
        0,
        4000,
      ),
  };
}

const EMAIL_STATUS: Record<string, InvoiceEmailStatus> = {
  NotSet: 'NOT_SET',
  NeedToSend: 'NEED_TO_SEND',
  EmailSent: 'EMAIL_SENT',
};

/** What the gateway keeps of a QuickBooks Invoice. */
export interface SentFacts {
  quickbooksId: string;
  docNumber: string | null;
  customerQuickbooksId: string | null;
  balance: string | null;
  dueDate: string | null;
  emailStatus: InvoiceEmailStatus;
  deliveredTo: string | null;
}

export function sentFacts(transaction: QuickBooksEntity): SentFacts {
  const amount = (value: unknown): string | null =>
    typeof value === 'number' || (typeof value === 'string' && value !== '')
      ? new Decimal(value).toFixed(2)
      : null;
  const ref = transaction.CustomerRef as { value?: unknown } | undefined;
  const email = (transaction.BillEmail as { Address?: unknown } | undefined)?.Address;
  const emailStatus = EMAIL_STATUS[text(transaction.EmailStatus)] ?? 'NOT_SET';
  return {
    quickbooksId: String(transaction.Id),
    docNumber: text(transaction.DocNumber) || null,
    customerQuickbooksId: text(ref?.value) || null,
    balance: amount(transaction.Balance),
    dueDate: text(transaction.DueDate) || null,
    emailStatus,
    deliveredTo: emailStatus === 'EMAIL_SENT' && typeof email === 'string' ? email : null,
  };
}

import {
  DEFAULT_CONNECTION_SETTINGS,
  type AddressData,
  type BatchItemEntity,
  type ConnectionEntity,
  type InvoiceEntity,
  type OrderChargeData,
  type OrderLineData,
  type ReferenceEntityRow,
  type SyncBatchEntity,
  type SyncLogEntity,
} from '../entities';
import type { OrderPageRow } from '../services/order-page';
import type { BatchItemEvent, BatchProgressEvent, ConnectionEventPayload } from '../pubsub';
import type { BatchItem, BatchProgress, SyncBatch, SyncLog } from './types/batch.types';
import { toSyncError } from './types/common.types';
import type { Connection, ConnectionEvent, ReferenceEntity } from './types/connection.types';
import type { Invoice } from './types/invoice.types';
import type { Address, Order, OrderCharge, OrderLine } from './types/order.types';

/** Persistence rows → API shapes. Secrets (tokens, key hashes) have no field here to be copied into. */
export function toConnectionType(row: ConnectionEntity): Connection {
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    status: row.status,
    realmId: row.realmId,
    companyName: row.companyName,
    homeCurrency: row.homeCurrency,
    connectedAt: row.connectedAt,
    disconnectedAt: row.disconnectedAt,
    accessTokenExpiresAt: row.accessTokenExpiresAt,
    refreshTokenExpiresAt: row.refreshTokenExpiresAt,
    refreshTokenHardExpiresAt: row.refreshTokenHardExpiresAt,
    lastReferenceSyncAt: row.lastReferenceSyncAt,
    lastError: toSyncError(row.lastError),
    settings: { ...DEFAULT_CONNECTION_SETTINGS, ...row.settings },
  };
}

export function toReferenceEntityType(row: ReferenceEntityRow): ReferenceEntity {
  return {
    id: row.id,
    type: row.type,
    quickbooksId: row.quickbooksId,
    name: row.name,
    active: row.active,
    syncToken: row.syncToken,
    quickbooksUpdatedAt: row.quickbooksUpdatedAt,
    data: row.data,
  };
}

export function toSyncBatchType(row: SyncBatchEntity): SyncBatch {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    total: row.total,
    processed: row.processed,
    succeeded: row.succeeded,
    failed: row.failed,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: toSyncError(row.error),
    connectionId: row.connectionId,
  };
}

export function toBatchItemType(item: BatchItemEntity | BatchItemEvent): BatchItem {
  return {
    entityType: item.entityType,
    entityId: item.entityId,
    label: item.label,
    status: item.status,
    quickbooksId: item.quickbooksId,
    error: toSyncError(item.error),
  };
}

export function toBatchProgressType(event: BatchProgressEvent): BatchProgress {
  return {
    ...event,
    item: event.item ? toBatchItemType(event.item) : null,
    error: toSyncError(event.error ?? null),
    at: new Date(event.at),
  };
}

export function toSyncLogType(row: SyncLogEntity): SyncLog {
  return {
    id: row.id,
    batchId: row.batchId,
    direction: row.direction,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    label: row.label,
    quickbooksId: row.quickbooksId,
    status: row.status,
    code: row.code,
    message: row.message,
    attempt: row.attempt,
    requestId: row.requestId,
    durationMs: row.durationMs,
    createdAt: row.createdAt,
    connectionId: row.connectionId,
  };
}

export function toConnectionEventType(event: ConnectionEventPayload): ConnectionEvent {
  return { ...event, at: new Date(event.at) };
}

/** A whole order row, or the columns of a page (`OrderPageRow`). */
export function toOrderType(row: OrderPageRow): Order {
  return {
    id: row.id,
    channel: row.channel,
    externalId: row.externalId,
    orderNumber: row.orderNumber,
    orderDate: row.orderDate,
    currency: row.currency,
    exchangeRate: row.exchangeRate,
    customer: {
      name: row.customer.name,
      email: row.customer.email ?? null,
      company: row.customer.company ?? null,
      phone: row.customer.phone ?? null,
      billingAddress: toAddressType(row.customer.billingAddress),
      shippingAddress: toAddressType(row.customer.shippingAddress),
      quickbooksId: row.customer.quickbooksId ?? null,
    },
    lines: row.lines.map(toOrderLineType),
    charges: row.charges.map(toOrderChargeType),
    discountTotal: row.discountTotal,
    taxTotal: row.taxTotal,
    total: row.total,
    status: row.status,
    postedTransaction: row.postedTransaction ? { ...row.postedTransaction } : null,
    postedAt: row.postedAt,
    modifiedAfterPosting: row.modifiedAfterPosting,
    lastError: toSyncError(row.lastError),
    connectionId: row.connectionId,
  };
}

function toOrderLineType(line: OrderLineData): OrderLine {
  return {
    sku: line.sku ?? null,
    name: line.name,
    description: line.description ?? null,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    amount: line.amount,
    taxable: line.taxable,
    quickbooksItemId: line.quickbooksItemId ?? null,
  };
}

function toOrderChargeType(charge: OrderChargeData): OrderCharge {
  return { kind: charge.kind, description: charge.description ?? null, amount: charge.amount };
}

function toAddressType(address: AddressData | null | undefined): Address | null {
  if (!address) return null;
  return {
    line1: address.line1 ?? null,
    line2: address.line2 ?? null,
    city: address.city ?? null,
    region: address.region ?? null,
    postalCode: address.postalCode ?? null,
    country: address.country ?? null,
  };
}

export function toInvoiceType(row: InvoiceEntity): Invoice {
  return {
    id: row.id,
    invoiceNumber: row.invoiceNumber,
    issuedAt: row.issuedAt,
    dueDate: row.dueDate,
    total: row.total,
    pushStatus: row.pushStatus,
    quickbooksId: row.quickbooksId,
    docNumber: row.docNumber,
    sentAt: row.sentAt,
    lastError: toSyncError(row.lastError),
    emailStatus: row.emailStatus,
    deliveredTo: row.deliveredTo,
    lines: row.lines.map(toOrderLineType),
    charges: row.charges.map(toOrderChargeType),
    orderId: row.orderId,
    connectionId: row.connectionId,
  };
}

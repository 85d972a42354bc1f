import { Column, Entity, Index, Unique } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  JsonColumn,
  MoneyColumn,
  RefColumn,
  TimeColumn,
  UpdatedAtColumn,
} from '../columns';
import type { StoredSyncError } from '../sync/sync-error';

/** DECIMAL read back as the shortest exact string ("1.0850000000" → "1.085"), on MySQL (string) and SQLite (number). */
const rateTransformer = {
  to: (value: string | null | undefined): string | null | undefined => value,
  from: (value: string | number | null): string | null =>
    value === null ? null : String(value).includes('.') ? String(value).replace(/\.?0+$/, '') : String(value),
};

export const ORDER_STATUSES = [
  'NEW',
  'QUEUED',
  'POSTING',
  'POSTED',
  'FAILED',
  'ARCHIVED',
  'UNCERTAIN',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CHARGE_KINDS = ['FREIGHT', 'HANDLING', 'PACKAGING', 'OTHER'] as const;
export type ChargeKind = (typeof CHARGE_KINDS)[number];
export type TransactionKind = 'SALES_RECEIPT' | 'INVOICE';

export interface AddressData {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
}

export interface OrderCustomerData {
  name: string;
  email?: string | null;
  company?: string | null;
  phone?: string | null;
  billingAddress?: AddressData | null;
  shippingAddress?: AddressData | null;
  /** The QuickBooks customer the order was posted to. */
  quickbooksId?: string | null;
}

/** Money and quantities are exact decimal strings. */
export interface OrderLineData {
  sku?: string | null;
  name: string;
  description?: string | null;
  quantity: string;
  unitPrice: string;
  /** quantity × unitPrice, rounded half-up to cents. */
  amount: string;
  taxable: boolean;
  quickbooksItemId?: string | null;
}

export interface OrderChargeData {
  kind: ChargeKind;
  description?: string | null;
  amount: string;
}

/** The QuickBooks transaction an order was posted as. */
export interface PostedTransactionData {
  kind: TransactionKind;
  id: string;
  docNumber: string | null;
  syncToken: string | null;
  totalAmount: string | null;
}

/**
 * An order pushed by a partner channel. Unique per (connection, channel, externalId): re-sending updates it. The
 * posting fields are the durable record of what was sent to QuickBooks (see PostingService).
 */
@Entity('orders')
@Unique('UQ_orders_connection_channel_external', ['connectionId', 'channel', 'externalId'])
@Index('IDX_orders_tenant_status', ['tenantId', 'status'])
@Index('IDX_orders_tenant_date', ['tenantId', 'orderDate'])
@Index('IDX_orders_connection_posted_id', ['connectionId', 'postedTransactionId'])
export class OrderEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @Index() @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 100 }) channel!: string;
  @Column({ type: 'varchar', length: 191 }) externalId!: string;
  @Index() @Column({ type: 'varchar', length: 21 }) orderNumber!: string;
  @TimeColumn() orderDate!: Date;
  @Column({ type: 'varchar', length: 3 }) currency!: string;
  /** Home-currency units per unit of `currency`, as the channel fixed it; null: QuickBooks' rate for the order date. */
  @Column({ type: 'decimal', precision: 20, scale: 10, nullable: true, transformer: rateTransformer })
  exchangeRate!: string | null;
  @Column({ type: 'varchar', length: 500 }) customerName!: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) customerEmail!: string | null;
  @JsonColumn() customer!: OrderCustomerData;
  @JsonColumn() lines!: OrderLineData[];
  @JsonColumn() charges!: OrderChargeData[];
  @MoneyColumn() discountTotal!: string;
  @MoneyColumn() taxTotal!: string;
  @MoneyColumn() total!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) paymentMethod!: string | null;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
  /** SHA-256 of the order's content as sent, to tell a changed re-send from a repeat. */
  @Column({ type: 'varchar', length: 64 }) contentHash!: string;
  @Column({ type: 'varchar', length: 16 }) status!: OrderStatus;
  @JsonColumn({ nullable: true }) postedTransaction!: PostedTransactionData | null;
  /**
   * `postedTransaction.id`, indexed: QuickBooks' change notifications find the order by the transaction that changed.
   * Written wherever `postedTransaction` is.
   */
  @Column({ type: 'varchar', length: 32, nullable: true }) postedTransactionId!: string | null;
  @TimeColumn({ nullable: true }) postedAt!: Date | null;
  @Column({ type: 'boolean', default: false }) modifiedAfterPosting!: boolean;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  /** Incremented for each posting attempt series; part of the marker that identifies our transaction in QuickBooks. */
  @Column({ type: 'int', default: 0 }) postingGeneration!: number;
  /** The batch currently posting this order, while QUEUED/POSTING. */
  @RefColumn({ nullable: true }) postingBatchId!: string | null;
  /** Set just before the order is sent: from then on, its outcome must be checked in QuickBooks before re-sending. */
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  /**
   * While an undo is under way (status UNCERTAIN): the status to return to if QuickBooks keeps the transaction. Set in
   * its own commit before the delete or void leaves, so a timeout or a crash leaves an order that is checked against
   * QuickBooks, never one shown POSTED for a transaction QuickBooks deleted.
   */
  @Column({ type: 'varchar', length: 16, nullable: true }) statusBeforeUndo!: OrderStatus | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

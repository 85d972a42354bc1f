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
import type { OrderChargeData, OrderLineData } from './order.entity';
import type { StoredSyncError } from '../sync/sync-error';

export const INVOICE_PUSH_STATUSES = ['NOT_SENT', 'QUEUED', 'SENT', 'FAILED'] as const;
export type InvoicePushStatus = (typeof INVOICE_PUSH_STATUSES)[number];
export const INVOICE_EMAIL_STATUSES = ['NOT_SET', 'NEED_TO_SEND', 'EMAIL_SENT'] as const;
export type InvoiceEmailStatus = (typeof INVOICE_EMAIL_STATUSES)[number];

/**
 * An invoice raised for an order (WindingFlow, Rootstock), pushed to QuickBooks automatically or on demand. The
 * order and its invoice are one QuickBooks transaction: once SENT, the order is POSTED as that Invoice. Lines,
 * charges, discount and tax are copied from the order when the invoice is created. The sending fields are the
 * durable record of what was sent (see InvoiceSender), as `sentAt` and `postingGeneration` are for orders.
 */
@Entity('invoices')
@Unique('UQ_invoices_connection_number', ['connectionId', 'invoiceNumber'])
@Index('IDX_invoices_connection_status', ['connectionId', 'pushStatus'])
export class InvoiceEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Index({ unique: true }) @RefColumn() orderId!: string;
  @Column({ type: 'varchar', length: 21 }) invoiceNumber!: string;
  /** The order's customer when the invoice was created (for search). */
  @Column({ type: 'varchar', length: 500, default: '' }) customerName!: string;
  @TimeColumn() issuedAt!: Date;
  @Column({ type: 'varchar', length: 10, nullable: true }) dueDate!: string | null;
  @JsonColumn() lines!: OrderLineData[];
  @JsonColumn() charges!: OrderChargeData[];
  @MoneyColumn() discountTotal!: string;
  @MoneyColumn() taxTotal!: string;
  @MoneyColumn() total!: string;
  @Column({ type: 'varchar', length: 16 }) pushStatus!: InvoicePushStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @Column({ type: 'varchar', length: 21, nullable: true }) docNumber!: string | null;
  /** The QuickBooks customer the invoice was sent to (payments go to the same one). */
  @Column({ type: 'varchar', length: 32, nullable: true }) customerQuickbooksId!: string | null;
  /** The open balance as QuickBooks last reported it, and when it was read. */
  @MoneyColumn({ nullable: true }) balance!: string | null;
  @TimeColumn({ nullable: true }) balanceCheckedAt!: Date | null;
  @Column({ type: 'varchar', length: 16, default: 'NOT_SET' }) emailStatus!: InvoiceEmailStatus;
  @Column({ type: 'varchar', length: 255, nullable: true }) deliveredTo!: string | null;
  /** Set just before the invoice is sent: from then on, its outcome must be checked in QuickBooks before re-sending. */
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  /** Incremented each time the invoice is queued; part of the marker that identifies it in QuickBooks. */
  @Column({ type: 'int', default: 0 }) sendGeneration!: number;
  /** The batch currently sending this invoice, while QUEUED. */
  @RefColumn({ nullable: true }) sendBatchId!: string | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

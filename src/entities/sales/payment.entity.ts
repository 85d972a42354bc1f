import { Column, Entity, Index } from 'typeorm';
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

export const PAYMENT_STATUSES = ['QUEUED', 'SENT', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** What one payment applies to one invoice. */
export interface PaymentLineData {
  invoiceId: string;
  /** The invoice's QuickBooks Id (LinkedTxn.TxnId). */
  quickbooksInvoiceId: string;
  amount: string;
}

/**
 * One QuickBooks Payment recorded through the gateway: one customer's money applied to one or more of its invoices.
 * `sentAt` is the durable record (set before the request leaves); the marker `[qbg:<id>]` in PrivateNote finds it in
 * QuickBooks when the answer was lost.
 */
@Entity('payments')
@Index('IDX_payments_tenant_created', ['tenantId', 'createdAt'])
export class PaymentEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @Index() @RefColumn() connectionId!: string;
  @Index() @RefColumn() batchId!: string;
  @Column({ type: 'varchar', length: 32 }) customerQuickbooksId!: string;
  @JsonColumn() lines!: PaymentLineData[];
  @MoneyColumn() total!: string;
  /** YYYY-MM-DD (QuickBooks' TxnDate). */
  @Column({ type: 'varchar', length: 10 }) txnDate!: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) paymentMethodId!: string | null;
  @Column({ type: 'varchar', length: 21, nullable: true }) reference!: string | null;
  @Column({ type: 'varchar', length: 16 }) status!: PaymentStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

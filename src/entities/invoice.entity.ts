import { Column, Entity, Index } from 'typeorm';
import {
  CreatedAtColumn,
  IdColumn,
  JsonColumn,
  MoneyColumn,
  RefColumn,
  TimeColumn,
  UpdatedAtColumn,
} from './columns';
import type { StoredSyncError } from './sync-error';

export const INVOICE_PUSH_STATUSES = ['NOT_SENT', 'QUEUED', 'SENT', 'FAILED'] as const;
export type InvoicePushStatus = (typeof INVOICE_PUSH_STATUSES)[number];

/** An invoice raised for an order (WindingFlow, Rootstock), pushed to QuickBooks automatically or on demand. */
@Entity('invoices')
export class InvoiceEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Index({ unique: true }) @RefColumn() orderId!: string;
  @Column({ type: 'varchar', length: 21 }) invoiceNumber!: string;
  @TimeColumn() issuedAt!: Date;
  @Column({ type: 'varchar', length: 10, nullable: true }) dueDate!: string | null;
  @MoneyColumn() total!: string;
  @Column({ type: 'varchar', length: 16 }) pushStatus!: InvoicePushStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

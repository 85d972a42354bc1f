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
import type { OrderLineData } from './order.entity';
import type { StoredSyncError } from '../sync/sync-error';

export const REFUND_STATUSES = ['QUEUED', 'POSTING', 'POSTED', 'FAILED'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
/** A receipt is refunded with a RefundReceipt, an invoice with a CreditMemo. */
export type RefundKind = 'REFUND_RECEIPT' | 'CREDIT_MEMO';

/**
 * A refund of a posted order and the durable record of its sending (see RefundService): created with its batch before
 * anything is sent, `sentAt` set in its own commit before the request leaves, and the marker `[qbg-refund:<id>]` in the
 * transaction's PrivateNote so an unknown outcome is looked up before anything is sent again. `seq` numbers an order's
 * refunds (1, 2, ...) and makes the DocNumber (`<order number>-R<seq>`).
 */
@Entity('order_refunds')
@Unique('UQ_order_refunds_order_seq', ['orderId', 'seq'])
@Index('IDX_order_refunds_batch', ['batchId'])
export class OrderRefundEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Index() @RefColumn() orderId!: string;
  @Column({ type: 'int' }) seq!: number;
  @RefColumn() batchId!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: RefundKind;
  @Column({ type: 'varchar', length: 16 }) status!: RefundStatus;
  /** The lines refunded (prices from the order), or null for a refund of an amount or of the whole order. */
  @JsonColumn({ nullable: true }) lines!: OrderLineData[] | null;
  /** What the refund pays back, in the order's currency. */
  @MoneyColumn() amount!: string;
  /** Refunds of the whole order also give back its charges, discount and tax. */
  @Column({ type: 'boolean', default: false }) full!: boolean;
  @Column({ type: 'varchar', length: 1000, nullable: true }) reason!: string | null;
  @TimeColumn() refundedAt!: Date;
  @Column({ type: 'varchar', length: 21 }) docNumber!: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) syncToken!: string | null;
  @MoneyColumn({ nullable: true }) totalAmount!: string | null;
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

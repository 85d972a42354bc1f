import { Column, Entity, Index, Unique } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';
import type { StoredSyncError } from './sync-error';

export const BATCH_KINDS = [
  'POST_ORDERS',
  'UNDO_ORDERS',
  'SEND_INVOICES',
  'REFERENCE_IMPORT',
  'EXPORT',
  'APPLY_APPROVED',
  'RETRY',
  'EMAIL_INVOICES',
  'RECORD_PAYMENTS',
  'REFUND_ORDERS',
] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];
export const BATCH_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export const ITEM_RESULT_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
export type ItemResultStatus = (typeof ITEM_RESULT_STATUSES)[number];

/** A unit of long work (posting, import, ...) whose progress and per-item results are visible. */
@Entity('sync_batches')
@Index('IDX_batches_tenant_created', ['tenantId', 'createdAt'])
export class SyncBatchEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @Index() @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 32 }) kind!: BatchKind;
  @Column({ type: 'varchar', length: 32 }) status!: BatchStatus;
  @Column({ type: 'int' }) total!: number;
  @Column({ type: 'int', default: 0 }) processed!: number;
  @Column({ type: 'int', default: 0 }) succeeded!: number;
  @Column({ type: 'int', default: 0 }) failed!: number;
  /** What the batch was asked to do (e.g. the reference types to import). */
  @JsonColumn({ nullable: true }) parameters!: Record<string, unknown> | null;
  @JsonColumn({ nullable: true }) error!: StoredSyncError | null;
  @CreatedAtColumn() createdAt!: Date;
  @TimeColumn({ nullable: true }) startedAt!: Date | null;
  @TimeColumn({ nullable: true }) finishedAt!: Date | null;
  @UpdatedAtColumn() updatedAt!: Date;
}

/** One item of a batch and its result, in the batch's order (`seq`). */
@Entity('batch_items')
@Unique('UQ_batch_items_batch_seq', ['batchId', 'seq'])
@Index('IDX_batch_items_batch_status', ['batchId', 'status'])
export class BatchItemEntity {
  @IdColumn() id!: string;
  @RefColumn() batchId!: string;
  @Column({ type: 'int' }) seq!: number;
  @Column({ type: 'varchar', length: 40 }) entityType!: string;
  @Column({ type: 'varchar', length: 64 }) entityId!: string;
  @Column({ type: 'varchar', length: 255 }) label!: string;
  @Column({ type: 'varchar', length: 16 }) status!: ItemResultStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @JsonColumn({ nullable: true }) error!: StoredSyncError | null;
  @TimeColumn({ nullable: true }) finishedAt!: Date | null;
}

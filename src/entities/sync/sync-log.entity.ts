import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn } from '../columns';

export const SYNC_DIRECTIONS = ['TO_QUICKBOOKS', 'FROM_QUICKBOOKS'] as const;
export type SyncDirection = (typeof SYNC_DIRECTIONS)[number];
export const SYNC_ACTIONS = ['CREATE', 'UPDATE', 'DELETE', 'VOID', 'MATCH', 'READ', 'MERGE'] as const;
export type SyncAction = (typeof SYNC_ACTIONS)[number];
export const SYNC_LOG_STATUSES = ['SUCCEEDED', 'FAILED'] as const;
export type SyncLogStatus = (typeof SYNC_LOG_STATUSES)[number];

/** One QuickBooks call made on behalf of a batch item, or one change received from QuickBooks. */
@Entity('sync_logs')
@Index('IDX_sync_logs_tenant_created', ['tenantId', 'createdAt'])
@Index('IDX_sync_logs_connection_created', ['connectionId', 'createdAt'])
export class SyncLogEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Index() @RefColumn({ nullable: true }) batchId!: string | null;
  @Column({ type: 'varchar', length: 16 }) direction!: SyncDirection;
  @Column({ type: 'varchar', length: 16 }) action!: SyncAction;
  @Column({ type: 'varchar', length: 40 }) entityType!: string;
  @Index() @Column({ type: 'varchar', length: 64, nullable: true }) entityId!: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) label!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @Column({ type: 'varchar', length: 16 }) status!: SyncLogStatus;
  @Column({ type: 'varchar', length: 32, nullable: true }) code!: string | null;
  @Column({ type: 'text', nullable: true }) message!: string | null;
  @Column({ type: 'int', default: 1 }) attempt!: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) requestId!: string | null;
  @Column({ type: 'int', nullable: true }) durationMs!: number | null;
  @CreatedAtColumn() createdAt!: Date;
}

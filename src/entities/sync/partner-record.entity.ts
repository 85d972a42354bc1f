import { Column, Entity, Index, Unique } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';
import type { ReferenceType } from './reference-entity.entity';
import type { StoredSyncError } from './sync-error';

export const REFERENCE_SYNC_STATES = ['IN_SYNC', 'PENDING_APPROVAL', 'QUEUED', 'FAILED', 'CONFLICT'] as const;
export type ReferenceSyncState = (typeof REFERENCE_SYNC_STATES)[number];

/**
 * A partner's own customer or product (upsertCustomers / upsertProducts), kept by (connection, type, channel,
 * externalId), and the QuickBooks record it is linked to once matched or created.
 */
@Entity('partner_records')
@Unique('UQ_partner_records_key', ['connectionId', 'type', 'channel', 'externalId'])
@Index('IDX_partner_records_connection_qbid', ['connectionId', 'type', 'quickbooksId'])
export class PartnerRecordEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 20 }) type!: Extract<ReferenceType, 'CUSTOMER' | 'ITEM'>;
  @Column({ type: 'varchar', length: 100 }) channel!: string;
  @Column({ type: 'varchar', length: 191 }) externalId!: string;
  @Column({ type: 'varchar', length: 500 }) name!: string;
  /** The partner's fields as last sent (the API's field names). */
  @JsonColumn() content!: Record<string, unknown>;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  /** The fields as QuickBooks held them after the last sync: what "changed since the last sync" compares with. */
  @JsonColumn({ nullable: true }) syncedContent!: Record<string, unknown> | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) syncedSyncToken!: string | null;
  @Column({ type: 'varchar', length: 16 }) syncState!: ReferenceSyncState;
  @JsonColumn({ nullable: true }) lastError!: StoredSyncError | null;
  /** Set in a commit of its own before a create leaves; while set, the record is looked up before it is sent again. */
  @TimeColumn({ nullable: true }) sentAt!: Date | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

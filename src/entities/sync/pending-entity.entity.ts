import { Column, Entity, Index, Unique } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';
import type { ReferenceType } from './reference-entity.entity';
import type { SyncAction, SyncDirection } from './sync-log.entity';

export const PENDING_STATUSES = ['PENDING', 'APPROVED', 'CLEARED'] as const;
export type PendingStatus = (typeof PENDING_STATUSES)[number];

/** One field's change as the sync wizard shows it. */
export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/**
 * A change waiting in the sync wizard (requireApproval): one row per entity and direction (`entityKey`), reused when
 * the entity changes again — the latest change wins and `changes` keeps each field's oldest `from`.
 */
@Entity('pending_entities')
@Unique('UQ_pending_entities_key', ['connectionId', 'direction', 'entityType', 'entityKey'])
@Index('IDX_pending_entities_connection_status', ['connectionId', 'status', 'direction'])
export class PendingEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 16 }) direction!: SyncDirection;
  @Column({ type: 'varchar', length: 20 }) entityType!: ReferenceType;
  /** `qb:<QuickBooks id>` or `ext:<channel>:<externalId>`: what makes two changes the same entity's. */
  @Column({ type: 'varchar', length: 191 }) entityKey!: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) quickbooksId!: string | null;
  @Column({ type: 'varchar', length: 191, nullable: true }) externalId!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) channel!: string | null;
  @Column({ type: 'varchar', length: 255 }) label!: string;
  @Column({ type: 'varchar', length: 16 }) operation!: SyncAction;
  @JsonColumn() changes!: FieldChanges;
  /** What applying it writes: the QuickBooks object (inbound) or the partner's record (outbound). */
  @JsonColumn() snapshot!: Record<string, unknown>;
  /** Changed on both sides since the last sync: `changes` runs from QuickBooks' version to the partner's. */
  @Column({ type: 'boolean', default: false }) conflict!: boolean;
  @Column({ type: 'varchar', length: 16 }) status!: PendingStatus;
  @TimeColumn() detectedAt!: Date;
  @TimeColumn({ nullable: true }) resolvedAt!: Date | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

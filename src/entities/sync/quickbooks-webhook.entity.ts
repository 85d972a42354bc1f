import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';

/**
 * Inbound QuickBooks notifications (QuickBooks → gateway). Not to be confused with partner webhooks
 * (`webhook.entity.ts`, gateway → partners).
 */
export const QUICKBOOKS_DELIVERY_STATUSES = ['ACCEPTED', 'DUPLICATE', 'REJECTED', 'IGNORED'] as const;
export type QuickBooksDeliveryStatus = (typeof QUICKBOOKS_DELIVERY_STATUSES)[number];
export const QUICKBOOKS_PAYLOAD_FORMATS = ['LEGACY', 'CLOUDEVENTS', 'UNKNOWN'] as const;
export type QuickBooksPayloadFormat = (typeof QUICKBOOKS_PAYLOAD_FORMATS)[number];
export const CHANGE_EVENT_STATUSES = [
  'PENDING',
  'PROCESSING',
  'APPLIED',
  'HELD',
  'IGNORED',
  'FAILED',
] as const;
export type ChangeEventStatus = (typeof CHANGE_EVENT_STATUSES)[number];

/** One signed POST to `/webhooks/quickbooks`, whatever it held (answered 200; bad signatures are not stored). */
@Entity('quickbooks_webhook_deliveries')
export class QuickBooksWebhookDeliveryEntity {
  @IdColumn() id!: string;
  @Column({ type: 'varchar', length: 16 }) status!: QuickBooksDeliveryStatus;
  @Column({ type: 'varchar', length: 16 }) format!: QuickBooksPayloadFormat;
  /** SHA-256 of the raw body (hex): a replayed delivery has the same one. */
  @Index() @Column({ type: 'varchar', length: 64 }) bodySha256!: string;
  @Column({ type: 'int' }) bodyBytes!: number;
  /** Events in the payload, and how many of them were new (the rest were duplicates or for unknown companies). */
  @Column({ type: 'int' }) eventCount!: number;
  @Column({ type: 'int' }) storedCount!: number;
  /** Why a delivery was rejected or ignored (never the body). */
  @Column({ type: 'varchar', length: 500, nullable: true }) reason!: string | null;
  /** Intuit's `intuit-t-id` header, for support. */
  @Column({ type: 'varchar', length: 100, nullable: true }) intuitTid!: string | null;
  @Index() @CreatedAtColumn() receivedAt!: Date;
}

/**
 * One change QuickBooks reported, normalized from either payload format, per connection owning the realm. The dedupe
 * key (CloudEvents `id`, or realm + entity + id + operation + lastUpdated) is unique, so a redelivered event is
 * stored once. Processed on the job queue (`quickbooks.changes`).
 */
@Entity('quickbooks_change_events')
@Index('IDX_qb_change_events_connection_status', ['connectionId', 'status'])
@Index('IDX_qb_change_events_connection_created', ['connectionId', 'createdAt'])
export class QuickBooksChangeEventEntity {
  @IdColumn() id!: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 191 }) dedupeKey!: string;
  @RefColumn() deliveryId!: string;
  @RefColumn() tenantId!: string;
  @RefColumn() connectionId!: string;
  @Column({ type: 'varchar', length: 32 }) realmId!: string;
  /** QuickBooks' entity name as the API spells it (Customer, Item, Department, SalesReceipt, ...). */
  @Column({ type: 'varchar', length: 40 }) entityName!: string;
  @Column({ type: 'varchar', length: 32 }) entityId!: string;
  /** Create, Update, Delete, Merge, Void, Emailed. */
  @Column({ type: 'varchar', length: 16 }) operation!: string;
  /** Merge: the id merged away into `entityId`. */
  @Column({ type: 'varchar', length: 32, nullable: true }) deletedId!: string | null;
  /** When QuickBooks says the change happened (legacy `lastUpdated`, CloudEvents `time`). */
  @TimeColumn({ nullable: true }) occurredAt!: Date | null;
  @Column({ type: 'varchar', length: 16 }) status!: ChangeEventStatus;
  @Column({ type: 'varchar', length: 40, nullable: true }) claimedBy!: string | null;
  @TimeColumn({ nullable: true }) claimedAt!: Date | null;
  @TimeColumn({ nullable: true }) processedAt!: Date | null;
  /** What processing did (applied, older than the mirror, held for approval, not mirrored, ...). */
  @Column({ type: 'varchar', length: 200, nullable: true }) outcome!: string | null;
  @CreatedAtColumn() createdAt!: Date;
}

/**
 * Change data capture cursor of one connected company: the next catch-up asks for changes since `changedSince`
 * (QuickBooks' own time of the previous answer, so clock skew cannot lose a change).
 */
@Entity('quickbooks_sync_cursors')
export class QuickBooksSyncCursorEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) connectionId!: string;
  @RefColumn() tenantId!: string;
  @TimeColumn({ nullable: true }) changedSince!: Date | null;
  @TimeColumn({ nullable: true }) lastChangeDataCaptureAt!: Date | null;
  /** Objects the last catch-up brought in, and whether it had to fall back to a full re-import. */
  @Column({ type: 'int', default: 0 }) lastChangeCount!: number;
  @Column({ type: 'boolean', default: false }) lastWasFullImport!: boolean;
  @UpdatedAtColumn() updatedAt!: Date;
}

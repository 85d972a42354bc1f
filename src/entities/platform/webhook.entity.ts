import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, JsonColumn, RefColumn, TimeColumn, UpdatedAtColumn } from '../columns';

export const WEBHOOK_EVENT_TYPES = [
  'batch.completed',
  'batch.failed',
  'order.posted',
  'order.failed',
  'invoice.sent',
  'invoice.failed',
  'connection.status_changed',
  'reference.changed',
  'pending_entities.changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_ENDPOINT_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export type WebhookEndpointStatus = (typeof WEBHOOK_ENDPOINT_STATUSES)[number];
export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * A partner's webhook endpoint. The signing secret is kept sealed (AES-256-GCM, the endpoint id as associated data)
 * and shown once; during a rotation the previous secret keeps signing beside the new one until `previousSecretUntil`.
 * `leaseToken`/`leaseUntil` let one delivery run at a time per endpoint, so deliveries leave in order of creation.
 */
@Entity('webhook_endpoints')
export class WebhookEndpointEntity {
  @IdColumn() id!: string;
  @Index() @RefColumn() tenantId!: string;
  @Column({ type: 'varchar', length: 2000 }) url!: string;
  @JsonColumn() events!: WebhookEventType[];
  @Column({ type: 'varchar', length: 255, nullable: true }) description!: string | null;
  @Column({ type: 'varchar', length: 16 }) status!: WebhookEndpointStatus;
  @Column({ type: 'text' }) secretCiphertext!: string;
  @Column({ type: 'varchar', length: 32 }) secretKeyId!: string;
  @Column({ type: 'text', nullable: true }) previousSecretCiphertext!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) previousSecretKeyId!: string | null;
  @TimeColumn({ nullable: true }) previousSecretUntil!: Date | null;
  /** First failure of the current run of failures; cleared by a success. Disabled after WEBHOOK_DISABLE_AFTER. */
  @TimeColumn({ nullable: true }) failingSince!: Date | null;
  @TimeColumn({ nullable: true }) disabledAt!: Date | null;
  @TimeColumn({ nullable: true }) lastDeliveryAt!: Date | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) leaseToken!: string | null;
  @TimeColumn({ nullable: true }) leaseUntil!: Date | null;
  @CreatedAtColumn() createdAt!: Date;
  @UpdatedAtColumn() updatedAt!: Date;
}

/**
 * One event for one endpoint (the outbox row): written in the transaction of the change that causes it. Its id is
 * the Standard Webhooks `webhook-id`, the same on every attempt; ids are time-ordered, so `id` order is creation order.
 */
@Entity('webhook_deliveries')
@Index('IDX_webhook_deliveries_endpoint_status', ['endpointId', 'status', 'id'])
export class WebhookDeliveryEntity {
  @IdColumn() id!: string;
  @RefColumn() tenantId!: string;
  @RefColumn() endpointId!: string;
  @Column({ type: 'varchar', length: 60 }) eventType!: WebhookEventType;
  /** The exact body sent (and signed): `{type, timestamp, data}`. */
  @Column({ type: 'text' }) payload!: string;
  @Column({ type: 'varchar', length: 16 }) status!: WebhookDeliveryStatus;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @TimeColumn() nextAttemptAt!: Date;
  @TimeColumn({ nullable: true }) lastAttemptAt!: Date | null;
  @Column({ type: 'int', nullable: true }) lastStatusCode!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  @TimeColumn({ nullable: true }) deliveredAt!: Date | null;
  @CreatedAtColumn() createdAt!: Date;
}

import { ApiKeyEntity } from './api-key.entity';
import { ConnectionEntity } from './connection.entity';
import { InvoiceEntity } from './invoice.entity';
import { JobEntity } from './job.entity';
import { OAuthStateEntity } from './oauth-state.entity';
import { OrderEntity } from './order.entity';
import { PartnerRecordEntity } from './partner-record.entity';
import { PaymentEntity } from './payment.entity';
import { PendingEntity } from './pending-entity.entity';
import { OrderRefundEntity } from './order-refund.entity';
import {
  QuickBooksChangeEventEntity,
  QuickBooksSyncCursorEntity,
  QuickBooksWebhookDeliveryEntity,
} from './quickbooks-webhook.entity';
import { ReferenceEntityRow } from './reference-entity.entity';
import { BatchItemEntity, SyncBatchEntity } from './sync-batch.entity';
import { SyncLogEntity } from './sync-log.entity';
import { TenantEntity } from './tenant.entity';
import { DesktopRequestEntity, DesktopSessionEntity, WebConnectorEntity } from './web-connector.entity';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from './webhook.entity';
import { WorkerHeartbeatEntity } from './worker-heartbeat.entity';

export * from './api-key.entity';
export * from './connection.entity';
export * from './invoice.entity';
export * from './job.entity';
export * from './oauth-state.entity';
export * from './order.entity';
export * from './partner-record.entity';
export * from './payment.entity';
export * from './pending-entity.entity';
export * from './order-refund.entity';
export * from './quickbooks-webhook.entity';
export * from './reference-entity.entity';
export * from './sync-batch.entity';
export * from './sync-log.entity';
export * from './tenant.entity';
export * from './web-connector.entity';
export * from './webhook.entity';
export * from './worker-heartbeat.entity';
export type { StoredSyncError } from './sync-error';

/** Every entity the DataSource knows; migrations must match them (a test checks). */
export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  ConnectionEntity,
  OAuthStateEntity,
  ReferenceEntityRow,
  SyncBatchEntity,
  BatchItemEntity,
  SyncLogEntity,
  JobEntity,
  OrderEntity,
  InvoiceEntity,
  WebConnectorEntity,
  DesktopSessionEntity,
  DesktopRequestEntity,
  PaymentEntity,
  OrderRefundEntity,
  WebhookEndpointEntity,
  WebhookDeliveryEntity,
  WorkerHeartbeatEntity,
  PendingEntity,
  PartnerRecordEntity,
  QuickBooksWebhookDeliveryEntity,
  QuickBooksChangeEventEntity,
  QuickBooksSyncCursorEntity,
];

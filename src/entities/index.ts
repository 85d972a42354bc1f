import { ApiKeyEntity } from './accounts/api-key.entity';
import { ConnectionEntity } from './accounts/connection.entity';
import { OAuthStateEntity } from './accounts/oauth-state.entity';
import { TenantEntity } from './accounts/tenant.entity';
import {
  DesktopRequestEntity,
  DesktopSessionEntity,
  WebConnectorEntity,
} from './accounts/web-connector.entity';
import { JobEntity } from './platform/job.entity';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from './platform/webhook.entity';
import { WorkerHeartbeatEntity } from './platform/worker-heartbeat.entity';
import { InvoiceEntity } from './sales/invoice.entity';
import { OrderRefundEntity } from './sales/order-refund.entity';
import { OrderEntity } from './sales/order.entity';
import { PaymentEntity } from './sales/payment.entity';
import { PartnerRecordEntity } from './sync/partner-record.entity';
import { PendingEntity } from './sync/pending-entity.entity';
import {
  QuickBooksChangeEventEntity,
  QuickBooksSyncCursorEntity,
  QuickBooksWebhookDeliveryEntity,
} from './sync/quickbooks-webhook.entity';
import { ReferenceEntityRow } from './sync/reference-entity.entity';
import { BatchItemEntity, SyncBatchEntity } from './sync/sync-batch.entity';
import { SyncLogEntity } from './sync/sync-log.entity';

export * from './accounts/api-key.entity';
export * from './accounts/connection.entity';
export * from './accounts/oauth-state.entity';
export * from './accounts/tenant.entity';
export * from './accounts/web-connector.entity';
export * from './platform/job.entity';
export * from './platform/webhook.entity';
export * from './platform/worker-heartbeat.entity';
export * from './sales/invoice.entity';
export * from './sales/order-refund.entity';
export * from './sales/order.entity';
export * from './sales/payment.entity';
export * from './sync/partner-record.entity';
export * from './sync/pending-entity.entity';
export * from './sync/quickbooks-webhook.entity';
export * from './sync/reference-entity.entity';
export * from './sync/sync-batch.entity';
export * from './sync/sync-log.entity';
export type { StoredSyncError } from './sync/sync-error';

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

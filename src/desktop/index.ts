/**
 * QuickBooks Desktop through the Web Connector: the same connections, batches, progress and sync logs as QuickBooks
 * Online, with the work waiting in a per-connection queue of qbXML requests until the Web Connector polls `/qbwc`.
 * See docs/ARCHITECTURE.md ("QuickBooks Desktop").
 */
import type { Router } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { ConnectionEntity, type OrderEntity, type SyncBatchEntity } from '../entities';
import type { Logger } from '../logger';
import type { BatchService } from '../services/batch.service';
import type { ConnectionEvents } from '../services/connection-events';
import type { Principal } from '../services/api-key.service';
import type { ReferenceService } from '../services/reference.service';
import type { SyncLogService } from '../services/sync-log.service';
import type { PendingService } from '../services/sync/pending.service';
import { InvoiceLedger } from '../services/invoices/invoice-ledger';
import type { WebhookEmitter } from '../services/outbound-webhooks/webhook.service';
import { DesktopPostingProducer } from './posting.producer';
import { QbwcService } from './qbwc.service';
import { DesktopReferenceProducer } from './reference.producer';
import { DesktopQueue } from './request-queue';
import { qbwcRouter } from './soap-endpoint';
import { DesktopInvoiceProducer } from './invoice.producer';
import { DesktopSyncProducer } from './sync.producer';
import { DesktopUndoProducer } from './undo.producer';
import { WebConnectorService, type WebConnectorInfo } from './web-connector.service';

export type { DesktopProducer, DesktopAnswer, NewDesktopRequest } from './request-queue';
export type { WebConnectorInfo } from './web-connector.service';
export { DesktopQueue } from './request-queue';

export interface DesktopOptions {
  /** The gateway's public base URL (the .qwc AppURL is `<publicUrl>/qbwc`). */
  publicUrl: string;
  requestsPerMessage: number;
  /** Told of every new or rotated Web Connector password (local mode hands it to the in-process emulator). */
  onCredentials?: (credentials: {
    connectionId: string;
    appUrl: string;
    userName: string;
    password: string;
  }) => void;
}

/** The Desktop side of the gateway, wired once by the composition root. */
export class Desktop {
  readonly webConnectors: WebConnectorService;
  readonly queue: DesktopQueue;
  readonly qbwc: QbwcService;

  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchService,
    private readonly references: ReferenceService,
    private readonly syncLogs: SyncLogService,
    events: ConnectionEvents,
    logger: Logger,
    private readonly options: DesktopOptions,
  ) {
    this.webConnectors = new WebConnectorService(dataSource, options.publicUrl);
    this.queue = new DesktopQueue(dataSource);
    this.qbwc = new QbwcService(
      dataSource,
      this.webConnectors,
      this.queue,
      batches,
      references,
      events,
      logger,
      {
        requestsPerMessage: options.requestsPerMessage,
      },
    );
    this.qbwc.register(
      new DesktopReferenceProducer(dataSource, this.queue, batches, references, syncLogs, events),
    );
    this.qbwc.register(
      new DesktopPostingProducer(dataSource, this.queue, batches, references, syncLogs, logger),
    );
    this.qbwc.register(new DesktopUndoProducer(dataSource, this.queue, batches, syncLogs));
  }

  /** The sync wizard on Desktop (APPLY_APPROVED and RETRY batches); wired once the wizard's PendingService exists. */
  attachSync(pending: PendingService): void {
    for (const kind of ['APPLY_APPROVED', 'RETRY'] as const)
      this.qbwc.register(
        new DesktopSyncProducer(
          kind,
          this.dataSource,
          this.queue,
          this.batches,
          this.references,
          this.syncLogs,
          pending,
        ),
      );
  }

  /** Sending invoices on Desktop (SEND_INVOICES), recorded through the invoicing's ledger (with partner webhooks). */
  attachInvoicing(webhooks?: WebhookEmitter): void {
    const ledger = new InvoiceLedger(this.dataSource, this.batches, this.syncLogs, webhooks);
    this.qbwc.register(
      new DesktopInvoiceProducer(
        this.dataSource,
        this.queue,
        this.batches,
        this.references,
        this.syncLogs,
        ledger,
      ),
    );
  }

  /** Plans the batch when its connection is DESKTOP (true), for services whose jobs take only a batch id. */
  async planIfDesktop(batchId: string): Promise<boolean> {
    const batch = await this.batches.findById(batchId);
    if (!batch) return false;
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneBy({ id: batch.connectionId });
    if (connection?.environment !== 'DESKTOP') return false;
    if (!['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status))
      await this.plan(batch, connection);
    return true;
  }

  /**
   * The Web Connector user of a new DESKTOP connection, or a new password for an existing one. Returns the password
   * (shown once) and where the .qwc file is.
   */
  async credentials(
    manager: EntityManager,
    connection: ConnectionEntity,
    existing: boolean,
  ): Promise<{ password: string; qwcUrl: string }> {
    if (existing && connection.status === 'DISCONNECTED') {
      // Reconnecting a disconnected Desktop connection: it is connected again when the Web Connector next signs in.
      await manager.update(
        ConnectionEntity,
        { id: connection.id },
        { status: 'PENDING_AUTHORIZATION', disconnectedAt: null },
      );
      connection.status = 'PENDING_AUTHORIZATION';
      connection.disconnectedAt = null;
    }
    const { userName, password } = existing
      ? await this.webConnectors.rotatePassword(manager, connection.id)
      : await this.webConnectors.create(manager, connection);
    this.options.onCredentials?.({
      connectionId: connection.id,
      appUrl: this.webConnectors.appUrl,
      userName,
      password,
    });
    return { password, qwcUrl: this.webConnectors.qwcUrl(connection.id) };
  }

  /** The first requests of a batch on a DESKTOP connection (the job of the batch, dispatched here). */
  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    await this.qbwc.producer(batch.kind)?.plan?.(batch, connection);
  }

  /** undoSync on Desktop: an UNDO_ORDERS batch of one order, applied at the next Web Connector run. */
  async undoOrder(order: OrderEntity, connection: ConnectionEntity): Promise<SyncBatchEntity> {
    const batch = await this.dataSource.transaction((manager) =>
      this.batches.create(manager, {
        tenantId: order.tenantId,
        connectionId: connection.id,
        kind: 'UNDO_ORDERS',
        items: [{ entityType: 'Order', entityId: order.id, label: `#${order.orderNumber}` }],
        parameters: { orderId: order.id },
      }),
    );
    await this.plan(batch, connection);
    return batch;
  }

  info(
    tenantId: string,
    connection: Pick<ConnectionEntity, 'id' | 'name' | 'environment'>,
  ): Promise<WebConnectorInfo | null> {
    return this.webConnectors.info(tenantId, connection);
  }

  router(
    authenticate: (authorization: unknown) => Promise<Principal | undefined>,
    logger: Logger,
  ): Promise<Router> {
    return qbwcRouter({ qbwc: this.qbwc, webConnectors: this.webConnectors, authenticate, logger });
  }
}

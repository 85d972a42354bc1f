/**
 * The non-HTTP half of the composition root: database, services, queue and worker. The gateway (`app.ts`) adds the
 * HTTP and WebSocket servers on top; the standalone worker (`worker.ts`) uses it alone.
 */
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { initializeDataSource } from '../ormconfig';
import type { Config } from './config';
import { ensureDatabase } from './db/database-check';
import { JOB_KINDS, type JobPayloads } from './job-catalogue';
import { createJobHandlers } from './job-handlers';
import { JobQueue, JobWorker } from './jobs';
import type { BackoffPolicy } from './jobs/backoff';
import { secureDataDir } from './db/data-dir';
import { registerQueueMetrics } from './jobs/queue-health';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { createGatewayPubSub, type PubSubHandle } from './pubsub';
import { GovernorRegistry, type RetryOptions } from './quickbooks';
import { createSandbox, type Sandbox } from './sandbox';
import { createDesktopEmulator, type DesktopEmulator } from './sandbox/desktop';
import { Desktop } from './desktop';
import { createTokenCipher } from './security/token-cipher';
import { ApiKeyService } from './services/api-key.service';
import { BatchService } from './services/batch.service';
import { ConnectionEvents } from './services/connection-events';
import { ConnectionService } from './services/connections/connection.service';
import { IntuitOAuth } from './services/connections/intuit-oauth';
import { createInvoicing, type Invoicing } from './services/invoices';
import { OrderService } from './services/orders/order.service';
import { PostingService } from './services/posting/posting.service';
import { UndoService } from './services/posting/undo.service';
import { ReferenceService } from './services/reference.service';
import { SyncLogService } from './services/sync-log.service';
import { TenantService } from './services/tenant.service';
import { TokenCustodian } from './services/connections/token-custodian';
import { WebhookService } from './services/outbound-webhooks/webhook.service';
import { RefundService } from './services/refunds/refund.service';
import { ChangeDataCapture } from './services/sync/cdc.service';
import { InboundSync } from './services/sync/inbound.service';
import { pendingHolder } from './services/sync/inbound-hold';
import { PendingService } from './services/sync/pending.service';
import { OutboundSync } from './services/sync/outbound.service';
import { SyncWizard } from './services/sync/wizard.service';
import { SyncRetry } from './services/sync/retry.service';

export interface Services {
  tenants: TenantService;
  apiKeys: ApiKeyService;
  connections: ConnectionService;
  custodian: TokenCustodian;
  references: ReferenceService;
  batches: BatchService;
  syncLogs: SyncLogService;
  events: ConnectionEvents;
  orders: OrderService;
  posting: PostingService;
  undo: UndoService;
  desktop: Desktop;
  invoicing: Invoicing;
  refunds: RefundService;
  webhooks: WebhookService;
  /** QuickBooks → gateway: webhook changes (`quickbooks.changes`) and the CDC catch-up. */
  inbound: InboundSync;
  changeDataCapture: ChangeDataCapture;
  /** The sync wizard's pending entities (`hold` for changes waiting for approval). */
  pending: PendingService;
  /** Two-way reference sync: partners' records to QuickBooks, the wizard's approvals, retries (src/services/sync). */
  sync: { outbound: OutboundSync; wizard: SyncWizard; retry: SyncRetry };
}

export interface Core {
  config: Readonly<Config>;
  logger: Logger;
  dataSource: DataSource;
  services: Services;
  queue: JobQueue<JobPayloads>;
  pubSub: PubSubHandle;
  metrics: Metrics;
  governors: GovernorRegistry;
  /** The in-process QuickBooks emulator (local mode without QBO_SANDBOX_URL). */
  sandbox?: Sandbox;
  /** The in-process QuickBooks Desktop emulator (with the QuickBooks Online one): new DESKTOP connections join it. */
  desktopEmulator?: DesktopEmulator;
  /** Present when this process runs jobs (RUN_WORKER). */
  worker?: JobWorker<JobPayloads>;
  close(): Promise<void>;
}

/**
 * Opens the database, running migrations unless disabled. A missing database is created unless `createDatabase` is
 * false (the CLI creates none it was not asked to); what commonly goes wrong is a one-line StartupError.
 */
export async function openDatabase(
  config: Readonly<Config>,
  logger: Logger,
  options: { createDatabase?: boolean } = {},
): Promise<DataSource> {
  if (await ensureDatabase(config.database, { create: options.createDatabase ?? true })) {
    logger.info({ database: config.database.type }, 'created the database');
  }
  const dataSource = await initializeDataSource(config.database);
  if (config.database.runMigrations) {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0)
      logger.info({ migrations: applied.map((m) => m.name) }, 'applied database migrations');
  }
  return dataSource;
}

export interface CoreOptions {
  /** Run the job worker in this process (default: config.runWorker). */
  runWorker?: boolean;
  collectDefaultMetrics?: boolean;
  /** Worker tuning (tests use short leases). */
  worker?: { concurrency?: number; leaseMs?: number; pollMs?: number; backoff?: BackoffPolicy };
  /** QuickBooks retry policy (tests use short waits). */
  quickbooksRetry?: Partial<RetryOptions>;
}

/**
 * Local mode with no QBO_SANDBOX_URL: the QuickBooks emulator runs in this process, keeping its companies in
 * `data/sandbox.json` across restarts. Returns the config pointed at it.
 */
async function startLocalEmulator(
  config: Readonly<Config>,
  logger: Logger,
): Promise<{ config: Readonly<Config>; sandbox?: Sandbox }> {
  if (config.quickbooks.mode !== 'local' || config.quickbooks.sandboxUrl) return { config };
  const sandbox = await createSandbox({
    port: config.quickbooks.sandboxPort,
    dataFile: path.join(config.dataDir, 'sandbox.json'),
    // A lived-in demo company (a few months of transactions; docs/sandbox.md); tests keep an empty one.
    history: config.env !== 'test',
    logger: (line) => logger.debug({ module: 'sandbox' }, line),
  });
  logger.info({ url: sandbox.url }, 'QuickBooks emulator running in-process');
  return {
    config: Object.freeze({
      ...config,
      quickbooks: Object.freeze({ ...config.quickbooks, sandboxUrl: sandbox.url }),
    }),
    sandbox,
  };
}

export async function createCore(
  baseConfig: Readonly<Config>,
  logger: Logger,
  options: CoreOptions = {},
): Promise<Core> {
  // ./data is owner-only before anything is written in it (the emulator's snapshot, the database, keys).
  secureDataDir(
    baseConfig.dataDir,
    baseConfig.database.type === 'sqlite' ? baseConfig.database.url : undefined,
  );
  const { config, sandbox } = await startLocalEmulator(baseConfig, logger);
  const dataSource = await openDatabase(config, logger);
  const metrics = new Metrics(options.collectDefaultMetrics ?? true);
  registerQueueMetrics(metrics.registry, dataSource);
  const pubSub = createGatewayPubSub(config.redisUrl);
  const governors = new GovernorRegistry(config.quickbooks.limits);
  const queue = new JobQueue<JobPayloads>(dataSource);
  const events = new ConnectionEvents(pubSub.pubSub);
  const syncLogs = new SyncLogService(dataSource);
  const oauth = new IntuitOAuth(config.quickbooks);
  const cipher = createTokenCipher(config, logger);
  const custodian = new TokenCustodian(dataSource, cipher, oauth, events, logger.child({ module: 'tokens' }));
  const connections = new ConnectionService(
    dataSource,
    config.quickbooks,
    oauth,
    custodian,
    events,
    syncLogs,
    governors,
    logger.child({ module: 'connections' }),
    (info) =>
      metrics.quickbooksCalls.inc({
        operation: info.operation,
        outcome: info.ok ? 'ok' : String(info.httpStatus ?? 'network'),
      }),
    options.quickbooksRetry,
    config.corsOrigins,
  );
  const batches = new BatchService(dataSource, pubSub.pubSub, pubSub.eventTarget);
  // Partner webhooks: the outbox other services write in their own transactions.
  const webhooks = new WebhookService(
    dataSource,
    cipher,
    queue,
    config.webhooks,
    logger.child({ module: 'webhooks' }),
  );
  batches.attachWebhooks(webhooks);
  connections.attachWebhooks(webhooks);
  custodian.attachWebhooks(webhooks);
  const references = new ReferenceService(
    dataSource,
    batches,
    queue,
    events,
    connections,
    logger.child({ module: 'reference' }),
  );
  connections.attachReferenceService(references);
  // QuickBooks Desktop: the Web Connector's queue behind the same services (dispatch on the connection's environment).
  const desktopEmulator = sandbox
    ? await createDesktopEmulator({
        dataFile: path.join(config.dataDir, 'desktop.json'),
        logger: (line) => logger.debug({ module: 'desktop-emulator' }, line),
      })
    : undefined;
  const desktop = new Desktop(
    dataSource,
    batches,
    references,
    syncLogs,
    events,
    logger.child({ module: 'desktop' }),
    {
      ...config.desktop,
      onCredentials: desktopEmulator
        ? ({ appUrl, userName, password }) =>
            desktopEmulator.attach({
              url: appUrl,
              userName,
              password,
              everyMs: config.desktop.emulatorPollSeconds * 1000 || undefined,
            })
        : undefined,
    },
  );
  connections.desktop = desktop;
  references.desktop = desktop;
  const pending = new PendingService(dataSource, events);
  pending.attachWebhooks(webhooks);
  desktop.attachSync(pending);
  const outbound = new OutboundSync(
    dataSource,
    connections,
    references,
    batches,
    queue,
    syncLogs,
    pending,
    events,
    logger.child({ module: 'sync' }),
  );
  const inbound = new InboundSync({
    dataSource,
    clients: connections,
    jobs: queue,
    events,
    syncLogs,
    logger: logger.child({ module: 'inbound' }),
    coalesceMs: config.inbound.coalesceMs,
    webhooks,
  });
  const services: Services = {
    tenants: new TenantService(dataSource),
    apiKeys: new ApiKeyService(dataSource),
    connections,
    custodian,
    references,
    batches,
    syncLogs,
    events,
    orders: new OrderService(dataSource),
    posting: new PostingService(
      dataSource,
      connections,
      references,
      batches,
      queue,
      syncLogs,
      logger.child({ module: 'posting' }),
      webhooks,
    ),
    undo: new UndoService(dataSource, connections, batches, queue, syncLogs, config.undoTimeoutMs),
    refunds: new RefundService(
      dataSource,
      connections,
      batches,
      queue,
      syncLogs,
      logger.child({ module: 'refunds' }),
    ),
    webhooks,
    pending,
    sync: {
      outbound,
      wizard: new SyncWizard(dataSource, pending, outbound),
      retry: new SyncRetry(dataSource, outbound),
    },
    desktop,
    inbound,
    changeDataCapture: new ChangeDataCapture({
      dataSource,
      clients: connections,
      jobs: queue,
      references,
      inbound,
      logger: logger.child({ module: 'cdc' }),
      intervalMs: config.inbound.cdcIntervalMs,
    }),
    invoicing: createInvoicing({
      dataSource,
      connections,
      references,
      batches,
      jobs: queue,
      syncLogs,
      events,
      webhooks,
      logger: logger.child({ module: 'invoicing' }),
    }),
  };
  services.posting.desktop = desktop;
  outbound.desktop = desktop;
  desktop.attachInvoicing(webhooks);
  services.invoicing.invoices.desktop = desktop;
  services.invoicing.sender.desktop = desktop;
  // requireApproval: inbound reference changes wait in the sync wizard instead of reaching the mirror.
  inbound.holder = pendingHolder(services.pending);
  // QuickBooks → gateway (webhooks and change data capture); a restored connection catches up.
  connections.afterConnected = (connection) =>
    services.changeDataCapture.requestCatchUp(connection.id, 'connected');
  services.undo.desktop = desktop;
  // An order with an invoice reaches QuickBooks as that invoice: postOrders hands such orders to the invoicing.
  services.posting.attachInvoicing((tenantId, orderIds) =>
    services.invoicing.invoices.postInvoicedOrders(tenantId, orderIds),
  );

  const worker =
    (options.runWorker ?? config.runWorker)
      ? new JobWorker(queue, {
          kinds: JOB_KINDS,
          handlers: createJobHandlers(services),
          logger: logger.child({ module: 'worker' }),
          ...options.worker,
        })
      : undefined;
  await worker?.start();
  // The CDC schedule: a round at start-up, then every QBO_CDC_INTERVAL_MINUTES unless 0 (queued; any worker runs it).
  if (worker) await services.changeDataCapture.scheduleStartup();

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    dataSource,
    services,
    queue,
    pubSub,
    metrics,
    governors,
    worker,
    sandbox,
    desktopEmulator,
    close: () =>
      (closing ??= (async () => {
        // Running jobs get a share of the shutdown budget; those still running then rerun after their lease.
        await worker?.stop({ graceful: true, timeoutMs: Math.round(config.shutdownTimeoutMs * 0.4) });
        await pubSub.close();
        await desktopEmulator?.close();
        if (dataSource.isInitialized) await dataSource.destroy();
        await sandbox?.close();
      })()),
  };
}

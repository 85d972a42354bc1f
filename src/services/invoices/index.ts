import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import type { DataSource } from 'typeorm';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import type { BatchService } from '../batch.service';
import type { ConnectionEvents } from '../connection-events';
import type { ConnectionService } from '../connections/connection.service';
import type { ReferenceService } from '../reference.service';
import type { SyncLogService } from '../sync-log.service';
import { BatchJobs } from './batch-job';
import { ExportPlanner } from './export-plan';
import { ExportService } from './export.service';
import { InvoiceEmailService } from './invoice-email.service';
import { InvoiceLedger } from './invoice-ledger';
import { InvoiceSender } from './invoice-sender';
import { InvoiceService } from './invoice.service';
import { PaymentService } from './payment.service';

export { forgetRemovedInvoice } from './invoice-ledger';

/** Invoicing (issue: invoices, payments, e-mail, Rootstock's export): the services the API and the jobs call. */
export interface Invoicing {
  invoices: InvoiceService;
  sender: InvoiceSender;
  exports: ExportService;
  payments: PaymentService;
  emails: InvoiceEmailService;
}

export interface InvoicingDependencies {
  dataSource: DataSource;
  connections: ConnectionService;
  references: ReferenceService;
  batches: BatchService;
  jobs: JobEnqueuer;
  syncLogs: SyncLogService;
  events: ConnectionEvents;
  webhooks?: WebhookEmitter;
  logger: Logger;
}

export function createInvoicing(deps: InvoicingDependencies): Invoicing {
  const { dataSource, connections, references, batches, jobs, syncLogs, events, webhooks, logger } = deps;
  const ledger = new InvoiceLedger(dataSource, batches, syncLogs, webhooks);
  const batchJobs = new BatchJobs(dataSource, batches, events, logger);
  const invoices = new InvoiceService(dataSource, connections, batches, jobs, ledger, logger);
  const sender = new InvoiceSender(connections, references, ledger, batchJobs, syncLogs, logger);
  const planner = new ExportPlanner(dataSource, connections, references, syncLogs);
  return {
    invoices,
    sender,
    exports: new ExportService(dataSource, connections, batches, jobs, planner, ledger, sender),
    payments: new PaymentService(
      dataSource,
      connections,
      invoices,
      batches,
      jobs,
      batchJobs,
      syncLogs,
      logger,
    ),
    emails: new InvoiceEmailService(dataSource, connections, batches, jobs, batchJobs, syncLogs),
  };
}

import { In, type DataSource, type Repository } from 'typeorm';
import { InvoiceEntity, type SyncBatchEntity } from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import type { JobEnqueuer } from '../../job-catalogue';
import type { QuickBooksClient } from '../../quickbooks';
import type { BatchService } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { isRefusal, requestIdOf, runPool } from '../posting/exactly-once';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import type { BatchJobs, RunOptions } from './batch-job';
import { invoiceLabel, sentFacts } from './invoice-mapper';
import { assertInvoicingReady } from './readiness';

export const MAX_EMAILS_PER_CALL = 1000;
/** E-mails requested at once (the realm's governor keeps QuickBooks' limits). */
const IN_FLIGHT = 10;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * E-mail delivery of sent invoices by QuickBooks (`POST /invoice/{id}/send`, to the invoice's BillEmail or `sendTo`),
 * as an EMAIL_INVOICES batch. Each request carries a requestid derived from the batch and the invoice, so a retry
 * after a lost answer is a replay at QuickBooks, not a second e-mail. `emailStatus` and `deliveredTo` follow the answer.
 */
export class InvoiceEmailService {
  private readonly invoices: Repository<InvoiceEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly batchJobs: BatchJobs,
    private readonly syncLogs: SyncLogService,
  ) {
    this.invoices = dataSource.getRepository(InvoiceEntity);
  }

  async email(tenantId: string, invoiceIds: string[], sendTo?: string | null): Promise<SyncBatchEntity> {
    const ids = [...new Set(invoiceIds)];
    if (ids.length === 0) throw badInput('invoiceIds', 'must name at least one invoice');
    if (ids.length > MAX_EMAILS_PER_CALL)
      throw badInput('invoiceIds', `at most ${MAX_EMAILS_PER_CALL} invoices a call`);
    const to = sendTo?.trim() || null;
    if (to !== null && (to.length > 100 || !EMAIL.test(to)))
      throw badInput('sendTo', 'must be an e-mail address');
    const rows = await this.invoices.findBy({ tenantId, id: In(ids) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const invoices = ids.map((id, index) => {
      const invoice = byId.get(id);
      if (!invoice) throw notFound(`Invoice (invoiceIds.${index})`, id);
      if (invoice.pushStatus !== 'SENT' || !invoice.quickbooksId) {
        throw badInput(
          `invoiceIds.${index}`,
          `invoice ${invoice.invoiceNumber} is not in QuickBooks yet`,
          'send it first (sendInvoice); QuickBooks e-mails invoices it holds',
        );
      }
      return invoice;
    });
    if (new Set(invoices.map((i) => i.connectionId)).size > 1)
      throw badInput(
        'invoiceIds',
        "the invoices belong to several connections; e-mail each connection's invoices separately",
      );
    const connection = await this.connections.get(tenantId, invoices[0].connectionId);
    assertInvoicingReady(connection);
    return this.dataSource.transaction(async (manager) => {
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId: connection.id,
        kind: 'EMAIL_INVOICES',
        items: invoices.map((invoice) => ({
          entityType: 'Invoice',
          entityId: invoice.id,
          label: invoiceLabel(invoice),
        })),
        parameters: { sendTo: to },
      });
      await this.jobs.enqueue('invoices.email', { batchId: batch.id }, { manager, maxAttempts: 25 });
      return batch;
    });
  }

  /** The job of an EMAIL_INVOICES batch: each pending invoice e-mailed once; refusals are per-item results. */
  async runEmailBatch(batchId: string, options: RunOptions = {}): Promise<void> {
    await this.batchJobs.run(batchId, options, {
      work: async (batch, connection) => {
        const client = this.connections.clientFor(connection);
        const sendTo = typeof batch.parameters?.sendTo === 'string' ? batch.parameters.sendTo : undefined;
        const items = await this.batches.pendingItems(batch.id);
        const rows = items.length ? await this.invoices.findBy({ id: In(items.map((i) => i.entityId)) }) : [];
        const byId = new Map(rows.map((r) => [r.id, r]));
        async function* work() {
          for (const item of items) {
            const invoice = byId.get(item.entityId);
            if (invoice) yield { invoice, seq: item.seq };
          }
        }
        await runPool(work(), IN_FLIGHT, async ({ invoice, seq }) => {
          options.signal?.throwIfAborted();
          await this.emailOne(batch, client, invoice, seq, sendTo);
        });
      },
      fail: async () => undefined, // nothing to put right: BatchJobs fails the open items
    });
  }

  private async emailOne(
    batch: SyncBatchEntity,
    client: QuickBooksClient,
    invoice: InvoiceEntity,
    seq: number,
    sendTo: string | undefined,
  ): Promise<void> {
    const requestId = requestIdOf(`email|${batch.id}|${invoice.id}`);
    const log: SyncLogEntry = {
      tenantId: batch.tenantId,
      connectionId: batch.connectionId,
      batchId: batch.id,
      direction: 'TO_QUICKBOOKS',
      action: 'UPDATE',
      entityType: 'Invoice',
      entityId: invoice.id,
      label: invoiceLabel(invoice),
      quickbooksId: invoice.quickbooksId,
      status: 'SUCCEEDED',
      requestId,
    };
    try {
      if (!invoice.quickbooksId) {
        // Undone since it was queued: there is nothing in QuickBooks to e-mail.
        throw new AppError('CONFLICT', `invoice ${invoice.invoiceNumber} is no longer in QuickBooks`, {
          hint: 'send it again (sendInvoice), then e-mail it',
        });
      }
      const answer = await client.sendByEmail('Invoice', invoice.quickbooksId, { sendTo, requestId });
      const facts = sentFacts(answer);
      const deliveredTo = facts.deliveredTo ?? sendTo ?? null;
      await this.dataSource.transaction(async (manager) => {
        await manager.update(
          InvoiceEntity,
          { id: invoice.id },
          { emailStatus: facts.emailStatus, deliveredTo },
        );
        await this.batches.recordItems(
          batch.id,
          [{ seq, status: 'SUCCEEDED', quickbooksId: invoice.quickbooksId }],
          manager,
        );
        await this.syncLogs.recordIn(manager, [
          { ...log, message: `e-mailed to ${deliveredTo ?? 'the customer'}` },
        ]);
      });
    } catch (error) {
      if (!isRefusal(error) && !(error instanceof AppError && error.code === 'CONFLICT')) throw error;
      const stored = toStoredError(error);
      await this.dataSource.transaction(async (manager) => {
        await this.batches.recordItems(batch.id, [{ seq, status: 'FAILED', error: stored }], manager);
        await this.syncLogs.recordIn(manager, [
          { ...log, status: 'FAILED', code: stored.code, message: stored.message },
        ]);
      });
    }
  }
}

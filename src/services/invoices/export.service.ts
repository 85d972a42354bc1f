import type { DataSource } from 'typeorm';
import type { SyncBatchEntity } from '../../entities';
import type { JobEnqueuer } from '../../job-catalogue';
import type { BatchService, ItemOutcome } from '../batch.service';
import type { ConnectionService } from '../connections/connection.service';
import { MappingProblem } from '../posting/posting-mapper';
import type { Resolution } from '../posting/posting-references';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry } from '../sync-log.service';
import type { CustomerNeed, ExportPlanner, ProductNeed } from './export-plan';
import { invoiceLabel } from './invoice-mapper';
import type { InvoiceLedger } from './invoice-ledger';
import type { RunOptions } from './batch-job';
import type { InvoiceSender, SendRun } from './invoice-sender';
import { assertInvoicingReady } from './readiness';

/** What an export would do now (`Connection.exportPreview`). */
export interface ExportCounts {
  productCount: number;
  customerCount: number;
  invoiceCount: number;
  ordersToPostCount: number;
}

/** Item results recorded per commit while exporting products and customers. */
const RECORD_CHUNK = 500;

/**
 * Rootstock's Sales Invoice Export: the preview counts, and one EXPORT batch that matches or adds the products, then
 * the customers, then sends the invoices (the same sending as sendInvoice), with progress. The batch with its items
 * and sync logs is the process log.
 */
export class ExportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly planner: ExportPlanner,
    private readonly ledger: InvoiceLedger,
    private readonly sender: InvoiceSender,
  ) {}

  async preview(tenantId: string, connectionId: string): Promise<ExportCounts> {
    return counts(await this.planner.plan(await this.connections.get(tenantId, connectionId)));
  }

  /**
   * Queues the export of a ready connection and returns the EXPORT batch at once: one item per product, customer and
   * invoice of the preview, in that order. CONFLICT naming the setting when integrations are off.
   */
  async start(tenantId: string, connectionId: string): Promise<SyncBatchEntity> {
    const connection = await this.connections.get(tenantId, connectionId);
    assertInvoicingReady(connection);
    const plan = await this.planner.plan(connection);
    return this.dataSource.transaction(async (manager) => {
      const batch = await this.batches.create(manager, {
        tenantId,
        connectionId,
        kind: 'EXPORT',
        items: [
          ...[...plan.products].map(([entityId, product]) => ({
            entityType: 'Item',
            entityId,
            label: `Product ${product.line.sku?.trim() || product.line.name}`,
          })),
          ...[...plan.customers].map(([entityId, customer]) => ({
            entityType: 'Customer',
            entityId,
            label: `Customer ${customer.name}`,
          })),
          ...plan.invoices.map((invoice) => ({
            entityType: 'Invoice',
            entityId: invoice.id,
            label: invoiceLabel(invoice),
          })),
        ],
        parameters: { preview: counts(plan), process: 'Sales Invoice Exporter' },
      });
      await this.ledger.claim(manager, tenantId, batch.id, plan.invoices);
      await this.jobs.enqueue('invoices.export', { batchId: batch.id }, { manager, maxAttempts: 25 });
      return batch;
    });
  }

  /** The job of an EXPORT batch. */
  async runExport(batchId: string, options: RunOptions = {}): Promise<void> {
    await this.sender.run(batchId, options, async (run) => {
      await this.sender.inTurn(run.connection.id, () => this.exportReferences(run));
      await this.sender.sendPending(run);
    });
  }

  /** The products, then the customers, still pending in the batch: found in QuickBooks or created, 30 a call. */
  private async exportReferences(run: SendRun): Promise<void> {
    const plan = await this.planner.plan(run.connection, {
      batchId: run.batch.id,
      references: run.references,
    });
    const pending = { Item: new Map<string, number>(), Customer: new Map<string, number>() };
    let afterSeq = -1;
    for (;;) {
      const items = await this.batches.pendingItemsAfter(run.batch.id, afterSeq, 1000);
      if (items.length === 0) break;
      afterSeq = items[items.length - 1].seq;
      for (const item of items) {
        if (item.entityType === 'Item' || item.entityType === 'Customer')
          pending[item.entityType].set(item.entityId, item.seq);
      }
    }
    const products = new Map<string, ProductNeed & { seq: number }>();
    const customers = new Map<string, CustomerNeed & { seq: number }>();
    const gone: Array<ItemOutcome & { seq: number }> = [];
    for (const [entityId, seq] of pending.Item) {
      const need = plan.products.get(entityId);
      if (need) products.set(need.key, { ...need, seq });
      else gone.push({ seq, status: 'SKIPPED' });
    }
    for (const [entityId, seq] of pending.Customer) {
      const need = plan.customers.get(entityId);
      if (need) customers.set(need.key, { ...need, seq });
      else gone.push({ seq, status: 'SKIPPED' });
    }
    // Nothing needs these any more (their invoices were sent or their orders posted meanwhile).
    await this.ledger.recordOther(run.batch.id, gone, []);

    const items = await run.references.resolveItems(
      new Map([...products].map(([key, need]) => [key, need.line])),
      run.settings,
    );
    await this.record(run, 'Item', products, items, (need) => need.line.sku?.trim() || need.line.name);
    for (const [key, resolution] of items) run.items.set(key, resolution);

    const found = await run.references.resolveCustomers(
      new Map(
        [...customers].map(([key, need]) => [key, { name: need.name, currency: null, order: need.order }]),
      ),
    );
    await this.record(run, 'Customer', customers, found, (need) => need.name);
    for (const [key, resolution] of found) run.customers.set(key, resolution);
  }

  /** Item results of one phase, with a MATCH log for what was found rather than created (creations log themselves). */
  private async record<N extends { seq: number }>(
    run: SendRun,
    entityType: 'Item' | 'Customer',
    needs: Map<string, N>,
    resolutions: Map<string, Resolution>,
    labelOf: (need: N) => string,
  ): Promise<void> {
    const entries = [...needs].map(([key, need]) => ({ need, resolution: resolutions.get(key) }));
    for (let i = 0; i < entries.length; i += RECORD_CHUNK) {
      const outcomes: Array<ItemOutcome & { seq: number }> = [];
      const logs: SyncLogEntry[] = [];
      for (const { need, resolution } of entries.slice(i, i + RECORD_CHUNK)) {
        const log = {
          tenantId: run.connection.tenantId,
          connectionId: run.connection.id,
          batchId: run.batch.id,
          direction: 'TO_QUICKBOOKS' as const,
          entityType,
          label: labelOf(need),
        };
        if (resolution && 'id' in resolution) {
          outcomes.push({ seq: need.seq, status: 'SUCCEEDED', quickbooksId: resolution.id });
          if (!run.references.wasCreated(entityType, resolution.id)) {
            logs.push({
              ...log,
              action: 'MATCH',
              status: 'SUCCEEDED',
              quickbooksId: resolution.id,
              message: `found in QuickBooks (Id ${resolution.id}); not created again`,
            });
          }
          continue;
        }
        const problem =
          resolution?.problem ?? new MappingProblem(`No result for ${labelOf(need)}`, 'export again');
        const error = toStoredError(problem);
        outcomes.push({ seq: need.seq, status: 'FAILED', error });
        // QuickBooks' refusals of a create were logged when they happened; a missing setting is logged here.
        if (problem instanceof MappingProblem) {
          logs.push({ ...log, action: 'CREATE', status: 'FAILED', code: error.code, message: error.message });
        }
      }
      await this.ledger.recordOther(run.batch.id, outcomes, logs);
    }
  }
}

function counts(plan: {
  products: Map<string, unknown>;
  customers: Map<string, unknown>;
  invoices: unknown[];
  ordersToPostCount: number;
}): ExportCounts {
  return {
    productCount: plan.products.size,
    customerCount: plan.customers.size,
    invoiceCount: plan.invoices.length,
    ordersToPostCount: plan.ordersToPostCount,
  };
}

/**
 * Change data capture: the webhooks' backstop. Every connected company keeps a cursor; a catch-up asks CDC for every
 * reference list changed since it (TaxCode and TaxRate, which CDC does not carry, by query), applies what is newer than
 * the mirror, and marks orders whose posted transaction was deleted. It runs on a schedule, at start-up and after a
 * connection is restored. A cursor older than CDC's 30 days (or a CDC refusal) falls back to a full re-import.
 */
import { In, type DataSource } from 'typeorm';
import {
  ConnectionEntity,
  OrderEntity,
  QuickBooksChangeEventEntity,
  QuickBooksSyncCursorEntity,
} from '../../entities';
import type { JobEnqueuer } from '../../job-catalogue';
import type { Logger } from '../../logger';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { ReferenceService } from '../reference.service';
import { syncScope } from '../sync-log.service';
import { changedInQuickBooks, lockConnection, ordersPostedAs, transactionChangeOf } from './inbound-apply';
import { CDC_SAFE_WINDOW_MS, cdcAll } from './inbound-fetch';
import { REFERENCE_TYPE_OF, type InboundSync } from './inbound.service';

/** Reference lists CDC carries, and the posted transaction types whose deletions it reports. */
const CDC_REFERENCE = ['Account', 'Term', 'Class', 'Department', 'PaymentMethod', 'Customer', 'Item'];
const CDC_TRANSACTIONS = ['SalesReceipt', 'Invoice'];
/** Lists CDC does not carry: read whole (they are short). */
const QUERIED = ['TaxCode', 'TaxRate'];
/** Each catch-up starts this much before the previous one did, so clock skew between us and QuickBooks loses nothing. */
const OVERLAP_MS = 60_000;

export interface CatchUpResult {
  mode: 'CDC' | 'FULL_IMPORT' | 'SKIPPED';
  changed: number;
  calls: number;
}

export interface CdcDependencies {
  dataSource: DataSource;
  clients: { clientFor(connection: ConnectionEntity): QuickBooksClient };
  jobs: JobEnqueuer;
  references: ReferenceService;
  inbound: InboundSync;
  logger: Logger;
  intervalMs: number;
}

export class ChangeDataCapture {
  constructor(private readonly deps: CdcDependencies) {}

  /** Start-up: a round now (the next ones follow on the schedule). */
  async scheduleStartup(): Promise<void> {
    const slot = this.slotOf(Date.now());
    await this.deps.jobs.enqueue('quickbooks.catch-up-all', { slot }, { dedupeKey: `qbo-cdc-all:${slot}` });
  }

  /** A catch-up of one connection soon (after it is connected again). */
  async requestCatchUp(connectionId: string, reason: string): Promise<void> {
    await this.deps.jobs.enqueue(
      'quickbooks.catch-up',
      { connectionId, reason },
      { dedupeKey: `qbo-cdc:${connectionId}` },
    );
  }

  /** The scheduled round: one catch-up job per connected company, then the next round. */
  async runRound(slot: number): Promise<void> {
    const connections = await this.deps.dataSource.getRepository(ConnectionEntity).find({
      select: { id: true },
      where: { status: 'CONNECTED', environment: In(['LOCAL', 'SANDBOX', 'PRODUCTION']) },
    });
    for (const { id } of connections) await this.requestCatchUp(id, 'schedule');
    if (this.deps.intervalMs > 0) {
      const next = Math.max(slot + 1, this.slotOf(Date.now()) + 1);
      await this.deps.jobs.enqueue(
        'quickbooks.catch-up-all',
        { slot: next },
        { dedupeKey: `qbo-cdc-all:${next}`, runAt: new Date(next * this.deps.intervalMs) },
      );
    }
  }

  private slotOf(ms: number): number {
    return this.deps.intervalMs > 0 ? Math.floor(ms / this.deps.intervalMs) : 0;
  }

  /** One connection's catch-up. */
  async catchUp(connectionId: string): Promise<CatchUpResult> {
    const connection = await this.deps.dataSource
      .getRepository(ConnectionEntity)
      .findOneBy({ id: connectionId });
    if (!connection || connection.status !== 'CONNECTED' || connection.environment === 'DESKTOP')
      return { mode: 'SKIPPED', changed: 0, calls: 0 };
    const cursors = this.deps.dataSource.getRepository(QuickBooksSyncCursorEntity);
    const started = Date.now();
    const cursor = await cursors.findOneBy({ connectionId });
    // No cursor yet: the import that came with connecting covers everything before now.
    const since = cursor?.changedSince ?? new Date(started - OVERLAP_MS);
    if (since.getTime() < started - CDC_SAFE_WINDOW_MS) return this.fullImport(connection, started);

    const client = this.deps.clients.clientFor(connection);
    let calls = 0;
    let objects: Map<string, QuickBooksEntity[]>;
    try {
      const answer = await syncScope.run(
        {
          tenantId: connection.tenantId,
          connectionId,
          entityType: 'ChangeDataCapture',
          action: 'READ',
          label: 'CDC catch-up',
        },
        async () => {
          const cdc = await cdcAll(
            client,
            [...CDC_REFERENCE, ...CDC_TRANSACTIONS],
            new Date(since.getTime() - 1000),
          );
          for (const entity of QUERIED) {
            const all: QuickBooksEntity[] = [];
            for await (const object of client.queryAll(entity)) all.push(object);
            cdc.objects.set(entity, all);
            cdc.calls += Math.max(1, Math.ceil(all.length / 1000));
          }
          return cdc;
        },
      );
      calls = answer.calls;
      objects = answer.objects;
      const truncated = [...answer.truncated]
        .map((e) => REFERENCE_TYPE_OF.get(e))
        .filter((t) => t !== undefined);
      if (truncated.length > 0) await this.deps.references.startImport(connection, truncated);
    } catch (error) {
      // CDC refuses a changedSince past its window (by QuickBooks' clock, which may differ from ours).
      if (
        error instanceof QuickBooksError &&
        error.category !== 'RETRYABLE' &&
        error.category !== 'NEEDS_REAUTHORIZATION'
      )
        return this.fullImport(connection, started);
      throw error;
    }

    const transactions = new Map<string, QuickBooksEntity[]>();
    for (const entity of CDC_TRANSACTIONS) {
      transactions.set(entity, objects.get(entity) ?? []);
      objects.delete(entity);
    }
    const result = await this.deps.dataSource.transaction(async (manager) => {
      await lockConnection(manager, connection);
      const applied = await this.deps.inbound.applyObjects(manager, connection, objects);
      // Posted transactions deleted, voided or edited in QuickBooks (CDC reports deletions as `status: "Deleted"`).
      for (const [entityName, items] of transactions) {
        const newest = new Map<string, QuickBooksEntity>();
        for (const item of items) {
          const current = newest.get(String(item.Id));
          if (!current || item.status === 'Deleted' || Number(item.SyncToken) > Number(current.SyncToken))
            newest.set(String(item.Id), item);
        }
        for (const order of await ordersPostedAs(manager, connection.id, entityName, [...newest.keys()])) {
          const object = newest.get(order.postedTransaction!.id)!;
          const kind = transactionChangeOf(order, object);
          // Flagged once: a later catch-up sees the same state again.
          if (!kind || order.lastError?.code === `${kind}_IN_QUICKBOOKS`) continue;
          const change = {
            entityName,
            id: order.postedTransaction!.id,
            change: kind,
            object: kind === 'DELETED' ? undefined : object,
          };
          await manager
            .getRepository(OrderEntity)
            .update({ id: order.id }, { lastError: changedInQuickBooks(order, change) });
          applied.transactions.push({ orderId: order.id, change });
        }
      }
      await this.deps.inbound.recordLogs(manager, connection, applied);
      const changed =
        [...applied.applied.values()].reduce((n, c) => n + c.length, 0) +
        applied.held +
        applied.transactions.length;
      await manager.getRepository(QuickBooksSyncCursorEntity).update(
        { connectionId },
        {
          changedSince: new Date(started - OVERLAP_MS),
          lastChangeDataCaptureAt: new Date(),
          lastChangeCount: changed,
          lastWasFullImport: false,
        },
      );
      return { applied, changed };
    });
    this.deps.inbound.publish(connection, result.applied);
    await this.sweepPending(connectionId);
    this.deps.logger.debug({ connectionId, changed: result.changed, calls }, 'CDC catch-up done');
    return { mode: 'CDC', changed: result.changed, calls };
  }

  /** Webhook events left pending (a job that never came) are processed now. */
  private async sweepPending(connectionId: string): Promise<void> {
    const pending = await this.deps.dataSource
      .getRepository(QuickBooksChangeEventEntity)
      .count({ where: { connectionId, status: 'PENDING' } });
    if (pending > 0)
      await this.deps.jobs.enqueue(
        'quickbooks.changes',
        { connectionId },
        { dedupeKey: `qbo-changes:sweep:${connectionId}` },
      );
  }

  private async fullImport(connection: ConnectionEntity, started: number): Promise<CatchUpResult> {
    await this.deps.dataSource.transaction(async (manager) => {
      await lockConnection(manager, connection);
      await this.deps.references.startImport(connection, undefined, manager);
      await manager.getRepository(QuickBooksSyncCursorEntity).update(
        { connectionId: connection.id },
        {
          changedSince: new Date(started - OVERLAP_MS),
          lastChangeDataCaptureAt: new Date(),
          lastChangeCount: 0,
          lastWasFullImport: true,
        },
      );
    });
    this.deps.logger.info(
      { connectionId: connection.id },
      'CDC gap too old: full reference re-import queued',
    );
    return { mode: 'FULL_IMPORT', changed: 0, calls: 0 };
  }
}

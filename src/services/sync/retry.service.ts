import { In, type DataSource } from 'typeorm';
import {
  ConnectionEntity,
  PartnerRecordEntity,
  PendingEntity,
  SyncLogEntity,
  type SyncBatchEntity,
} from '../../entities';
import { badInput, notFound } from '../../errors';
import { QUICKBOOKS_ENTITY } from '../reference.service';
import type { OutboundSync } from './outbound.service';

export const MAX_RETRIES_PER_CALL = 1000;

/**
 * retrySync: failed reference syncs (their SyncLogs) run again as one RETRY batch per call, one item per record. Only
 * the two-way sync's logs can be retried here; a failed order is posted again with postOrders.
 */
export class SyncRetry {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbound: OutboundSync,
  ) {}

  async retry(tenantId: string, syncLogIds: readonly string[]): Promise<SyncBatchEntity> {
    const ids = [...new Set(syncLogIds)];
    if (ids.length === 0) throw badInput('syncLogIds', 'must name at least one sync log');
    if (ids.length > MAX_RETRIES_PER_CALL)
      throw badInput('syncLogIds', `at most ${MAX_RETRIES_PER_CALL} a call`);
    const logs = await this.dataSource.getRepository(SyncLogEntity).findBy({ tenantId, id: In(ids) });
    const byId = new Map(logs.map((log) => [log.id, log]));
    syncLogIds.forEach((id, index) => {
      const log = byId.get(id);
      if (!log) throw notFound('Sync log', id);
      if (log.status !== 'FAILED')
        throw badInput(`syncLogIds.${index}`, 'did not fail; only failed syncs are retried');
      if (!log.entityId || !/^(prt|pen)_/.test(log.entityId))
        throw badInput(
          `syncLogIds.${index}`,
          'is not a customer or product sync',
          'post orders again with postOrders, send invoices again with sendInvoice',
        );
    });
    const connectionIds = new Set(logs.map((log) => log.connectionId));
    if (connectionIds.size > 1)
      throw badInput('syncLogIds', 'belong to several connections; retry them per connection');
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: logs[0].connectionId, tenantId });
    const entityIds = [...new Set(logs.map((log) => log.entityId!))];
    return this.dataSource.transaction(async (manager) => {
      const records = await manager.getRepository(PartnerRecordEntity).findBy({
        connectionId: connection.id,
        id: In(entityIds.filter((id) => id.startsWith('prt_')).concat([''])),
      });
      const pendings = await manager.getRepository(PendingEntity).findBy({
        connectionId: connection.id,
        id: In(entityIds.filter((id) => id.startsWith('pen_')).concat([''])),
      });
      if (records.length)
        await manager.update(
          PartnerRecordEntity,
          { id: In(records.map((r) => r.id)) },
          { syncState: 'QUEUED' },
        );
      const items = [
        ...records.map((r) => ({
          entityType: r.type === 'CUSTOMER' ? 'Customer' : 'Item',
          entityId: r.id,
          label: r.name,
        })),
        ...pendings.map((p) => ({
          entityType: QUICKBOOKS_ENTITY[p.entityType],
          entityId: p.id,
          label: p.label,
        })),
      ];
      return this.outbound.queueBatch(manager, connection, 'RETRY', items);
    });
  }
}

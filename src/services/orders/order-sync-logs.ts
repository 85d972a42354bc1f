import type { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { SyncLogEntity } from '../../entities';
import { AppError } from '../../errors';
import { decodeCursor, encodeCursor, pageSize, type Page } from '../pagination';

/** SyncLogs of orders: written by the posting code with this entityType and entityId = order id. */
export const ORDER_LOG_ENTITY_TYPE = 'Order';

/** One order's page of sync logs (the key of the per-request loader). */
export interface OrderSyncLogRequest {
  orderId: string;
  first?: number | null;
  after?: string | null;
}

/** The batched read behind the orders' sync-log loader: many orders' pages in a few statements. */
export class OrderSyncLogReader {
  private readonly logs: Repository<SyncLogEntity>;

  constructor(dataSource: DataSource) {
    this.logs = dataSource.getRepository(SyncLogEntity);
  }

  /**
   * Pages of sync logs for many orders at once, newest first, one result per request in order (an Error where a
   * request's arguments are bad). One grouped COUNT for all orders, plus one windowed statement per distinct
   * (first, after): ROW_NUMBER() OVER (PARTITION BY entityId) keeps the first + 1 logs of each order.
   */
  async pages(
    tenantId: string,
    requests: readonly OrderSyncLogRequest[],
  ): Promise<Array<Page<SyncLogEntity> | AppError>> {
    if (requests.length === 0) return [];
    const orderIds = [...new Set(requests.map((request) => request.orderId))];
    const counts = new Map<string, number>();
    const countRows = await this.logs
      .createQueryBuilder('l')
      .select('l.entityId', 'entityId')
      .addSelect('COUNT(*)', 'count')
      .where('l.tenantId = :tenantId AND l.entityType = :entityType AND l.entityId IN (:...orderIds)', {
        tenantId,
        entityType: ORDER_LOG_ENTITY_TYPE,
        orderIds,
      })
      .groupBy('l.entityId')
      .getRawMany<{ entityId: string; count: string | number }>();
    for (const row of countRows) counts.set(row.entityId, Number(row.count));

    const groups = new Map<string, { first: number; after: string | null; orderIds: Set<string> }>();
    const results: Array<Page<SyncLogEntity> | AppError | undefined> = requests.map(() => undefined);
    requests.forEach((request, index) => {
      try {
        const first = pageSize(request.first, 20);
        const after = request.after ? decodeCursor(request.after) : null;
        const key = `${first}\u0000${after ?? ''}`;
        const group = groups.get(key) ?? { first, after, orderIds: new Set<string>() };
        group.orderIds.add(request.orderId);
        groups.set(key, group);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        results[index] = error;
      }
    });

    const pages = new Map<string, Page<SyncLogEntity>>();
    for (const [key, group] of groups) {
      const rows = await this.rankedLogs(tenantId, [...group.orderIds], group.first + 1, group.after);
      const byOrder = new Map<string, SyncLogEntity[]>();
      for (const row of rows) {
        const list = byOrder.get(row.entityId!) ?? [];
        list.push(row);
        byOrder.set(row.entityId!, list);
      }
      for (const orderId of group.orderIds) {
        const logs = byOrder.get(orderId) ?? [];
        const nodes = logs.slice(0, group.first);
        pages.set(`${key}\u0000${orderId}`, {
          nodes,
          cursors: nodes.map((node) => encodeCursor(node.id)),
          hasNextPage: logs.length > group.first,
          hasPreviousPage: group.after !== null,
          totalCount: counts.get(orderId) ?? 0,
        });
      }
    }
    return requests.map((request, index) => {
      const failed = results[index];
      if (failed) return failed;
      const key = `${pageSize(request.first, 20)}\u0000${request.after ? decodeCursor(request.after) : ''}`;
      return pages.get(`${key}\u0000${request.orderId}`)!;
    });
  }

  /** The newest `limit` logs of each order (older than `afterId` when given), in one statement. */
  private async rankedLogs(
    tenantId: string,
    orderIds: string[],
    limit: number,
    afterId: string | null,
  ): Promise<SyncLogEntity[]> {
    const query: SelectQueryBuilder<SyncLogEntity> = this.logs
      .createQueryBuilder('l')
      .where(
        'l.id IN (SELECT ranked.id FROM (' +
          'SELECT s.id AS id, ROW_NUMBER() OVER (PARTITION BY s.entityId ORDER BY s.id DESC) AS rn ' +
          'FROM sync_logs s ' +
          `WHERE s.tenantId = :tenantId AND s.entityType = :entityType AND s.entityId IN (:...orderIds)${afterId ? ' AND s.id < :afterId' : ''}` +
          ') ranked WHERE ranked.rn <= :limit)',
        { tenantId, entityType: ORDER_LOG_ENTITY_TYPE, orderIds, afterId, limit },
      );
    return query.orderBy('l.id', 'DESC').getMany();
  }
}

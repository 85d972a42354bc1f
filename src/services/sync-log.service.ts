import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { SyncLogEntity, type SyncAction, type SyncDirection, type SyncLogStatus } from '../entities';
import { newId } from '../ids';
import { paginate, type Page, type PageArgs } from './pagination';
import { dialectOf, insertRows, toDbTime, type Dialect } from '../db/sql';

export interface SyncLogEntry {
  tenantId: string;
  connectionId: string;
  batchId?: string | null;
  direction: SyncDirection;
  action: SyncAction;
  entityType: string;
  entityId?: string | null;
  label?: string | null;
  quickbooksId?: string | null;
  status: SyncLogStatus;
  code?: string | null;
  message?: string | null;
  attempt?: number;
  requestId?: string | null;
  durationMs?: number | null;
}

export interface SyncLogFilter {
  connectionId?: string | null;
  batchId?: string | null;
  statuses?: SyncLogStatus[] | null;
  direction?: SyncDirection | null;
  entityType?: string | null;
  entityId?: string | null;
}

/** What a QuickBooks call is being made for; set around calls so the client's attempt hook can log them. */
export interface SyncScope {
  tenantId: string;
  connectionId: string;
  batchId?: string;
  entityType: string;
  entityId?: string;
  label?: string;
  action: SyncAction;
}

/** Carries the current SyncScope through async calls (the QuickBooks client knows nothing of batches). */
export const syncScope = new AsyncLocalStorage<SyncScope>();

const INSERT_CHUNK = 500;
const COLUMNS = [
  'id',
  'tenantId',
  'connectionId',
  'batchId',
  'direction',
  'action',
  'entityType',
  'entityId',
  'label',
  'quickbooksId',
  'status',
  'code',
  'message',
  'attempt',
  'requestId',
  'durationMs',
  'createdAt',
] as const satisfies ReadonlyArray<keyof SyncLogEntity>;

export class SyncLogService {
  private readonly logs: Repository<SyncLogEntity>;

  private readonly dialect: Dialect;

  constructor(private readonly dataSource: DataSource) {
    this.logs = dataSource.getRepository(SyncLogEntity);
    this.dialect = dialectOf(dataSource);
  }

  async record(...entries: SyncLogEntry[]): Promise<void> {
    await this.recordIn(this.dataSource.manager, entries);
  }

  /** Records inside the caller's transaction (posting writes its results and their logs in one commit). */
  async recordIn(manager: EntityManager, entries: readonly SyncLogEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const rows = entries.slice(start, start + INSERT_CHUNK).map(toRow);
      await insertRows(
        manager,
        'sync_logs',
        COLUMNS,
        rows.map((row) =>
          COLUMNS.map((column) =>
            column === 'createdAt' ? toDbTime(this.dialect, row.createdAt) : row[column],
          ),
        ),
      );
    }
  }

  async list(tenantId: string, filter: SyncLogFilter, args: PageArgs): Promise<Page<SyncLogEntity>> {
    const query = this.logs.createQueryBuilder('l').where('l.tenantId = :tenantId', { tenantId });
    if (filter.connectionId)
      query.andWhere('l.connectionId = :connectionId', { connectionId: filter.connectionId });
    if (filter.batchId) query.andWhere('l.batchId = :batchId', { batchId: filter.batchId });
    if (filter.statuses?.length) query.andWhere('l.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.direction) query.andWhere('l.direction = :direction', { direction: filter.direction });
    if (filter.entityType) query.andWhere('l.entityType = :entityType', { entityType: filter.entityType });
    if (filter.entityId) query.andWhere('l.entityId = :entityId', { entityId: filter.entityId });
    return paginate(query, args, { defaultSize: 50, descending: true });
  }

  async getMany(tenantId: string, ids: string[]): Promise<SyncLogEntity[]> {
    if (ids.length === 0) return [];
    return this.logs
      .createQueryBuilder('l')
      .where('l.tenantId = :tenantId AND l.id IN (:...ids)', { tenantId, ids })
      .getMany();
  }
}

function toRow(entry: SyncLogEntry): SyncLogEntity {
  return {
    id: newId('syncLog'),
    tenantId: entry.tenantId,
    connectionId: entry.connectionId,
    batchId: entry.batchId ?? null,
    direction: entry.direction,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    label: entry.label?.slice(0, 255) ?? null,
    quickbooksId: entry.quickbooksId ?? null,
    status: entry.status,
    code: entry.code ?? null,
    message: entry.message ?? null,
    attempt: entry.attempt ?? 1,
    requestId: entry.requestId ?? null,
    durationMs: entry.durationMs ?? null,
    createdAt: new Date(),
  };
}

import type { DataSource, EntityManager } from 'typeorm';
import {
  DesktopRequestEntity,
  type ConnectionEntity,
  type DesktopRequestStatus,
  type SyncBatchEntity,
} from '../entities';
import { newId } from '../ids';
import { dialectOf, execute, insertRows, placeholders, toDbTime, type Dialect } from '../db/sql';
import type { QbxmlResponse } from './qbxml';

/** A request to queue for the Web Connector. */
export interface NewDesktopRequest {
  producer: string;
  purpose: string;
  /** qbXML request without `Rq`. */
  type: string;
  content: Record<string, unknown>;
  attributes?: Record<string, string>;
  batchId?: string | null;
  entityKey?: string | null;
  label?: string | null;
  dedupeKey?: string | null;
  context?: Record<string, unknown> | null;
  /** Queued already settled (a step that cannot be sent, kept so later steps see why). */
  status?: 'PENDING' | 'FAILED' | 'LOST';
  result?: Record<string, unknown> | null;
}

/** A queued request and QuickBooks' answer to it. */
export interface DesktopAnswer {
  request: DesktopRequestEntity;
  response: QbxmlResponse;
}

/**
 * Something that puts work in a DESKTOP connection's queue and handles the answers: reference imports, posting and
 * undo today; the sync wizard's APPLY_APPROVED and SEND_INVOICES are further producers of the same shape. `name` is
 * stored on every request (conventionally the batch kind) and routes answers back here.
 */
export interface DesktopProducer {
  readonly name: string;
  /** Creates the first requests of one of this producer's batches. Idempotent (dedupe keys). */
  plan?(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void>;
  /** Inside the commit that marks requests SENT, before the XML leaves: the durable record of what may happen. */
  beforeSend?(manager: EntityManager, requests: DesktopRequestEntity[]): Promise<void>;
  /** This producer's answers from one message, in the order sent. Marks each request DONE or FAILED. */
  handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void>;
  /**
   * Requests sent in an earlier exchange that never got an answer (lost response, run stopped, gateway restarted):
   * whatever could have happened must be looked up before anything is sent again.
   */
  recover(connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void>;
}

const COLUMNS = [
  'id',
  'tenantId',
  'connectionId',
  'batchId',
  'producer',
  'purpose',
  'type',
  'entityKey',
  'label',
  'dedupeKey',
  'status',
  'body',
  'context',
  'result',
  'sessionId',
  'sentAt',
  'attempts',
  'statusCode',
  'statusMessage',
  'createdAt',
  'updatedAt',
] as const;
const INSERT_CHUNK = 200;

/**
 * Commits planned requests and what goes with them once: a concurrent planner's identical plan is refused by the
 * dedupe keys (false, nothing written).
 */
export async function insertOnce(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<unknown>,
): Promise<boolean> {
  try {
    await dataSource.transaction(work);
    return true;
  } catch (error) {
    if (/duplicate|unique/i.test(String((error as Error).message))) return false;
    throw error;
  }
}

/** The durable request queue of DESKTOP connections (`desktop_requests`). */
export class DesktopQueue {
  private readonly dialect: Dialect;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
  }

  /** Queues requests in the caller's transaction, in order (ids are time-ordered; the queue is sent in id order). */
  async add(
    manager: EntityManager,
    connection: Pick<ConnectionEntity, 'id' | 'tenantId'>,
    requests: NewDesktopRequest[],
  ): Promise<string[]> {
    const now = toDbTime(this.dialect, new Date());
    const ids = requests.map(() => newId('desktopRequest'));
    for (let start = 0; start < requests.length; start += INSERT_CHUNK) {
      const rows = requests
        .slice(start, start + INSERT_CHUNK)
        .map((r, offset) => [
          ids[start + offset],
          connection.tenantId,
          connection.id,
          r.batchId ?? null,
          r.producer,
          r.purpose,
          r.type,
          r.entityKey?.slice(0, 191) ?? null,
          r.label?.slice(0, 255) ?? null,
          r.dedupeKey ?? null,
          r.status ?? 'PENDING',
          JSON.stringify({ attributes: r.attributes, content: r.content }),
          r.context ? JSON.stringify(r.context) : null,
          r.result ? JSON.stringify(r.result) : null,
          null,
          null,
          0,
          null,
          null,
          now,
          now,
        ]);
      await insertRows(manager, 'desktop_requests', COLUMNS, rows);
    }
    return ids;
  }

  /** Dedupe keys of these that are already queued (planners skip them). */
  async existingKeys(keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = await this.dataSource.query<Array<{ dedupeKey: string }>>(
        `SELECT \`dedupeKey\` FROM \`desktop_requests\` WHERE \`dedupeKey\` IN (${placeholders(chunk.length)})`,
        chunk,
      );
      for (const row of rows) found.add(row.dedupeKey);
    }
    return found;
  }

  /**
   * Marks the next PENDING requests SENT for this session and runs `beforeSend` in the same commit: once this returns,
   * the requests count as possibly done in QuickBooks.
   */
  async claim(
    connectionId: string,
    sessionId: string,
    limit: number,
    beforeSend: (manager: EntityManager, claimed: DesktopRequestEntity[]) => Promise<void>,
  ): Promise<DesktopRequestEntity[]> {
    return this.dataSource.transaction(async (manager) => {
      const candidates = await manager
        .getRepository(DesktopRequestEntity)
        .createQueryBuilder('r')
        .where("r.connectionId = :connectionId AND r.status = 'PENDING'", { connectionId })
        .orderBy('r.id', 'ASC')
        .take(limit)
        .getMany();
      if (candidates.length === 0) return [];
      const sentAt = new Date();
      const ids = candidates.map((c) => c.id);
      await manager.query(
        `UPDATE \`desktop_requests\` SET \`status\` = 'SENT', \`sessionId\` = ?, \`sentAt\` = ?, \`attempts\` = \`attempts\` + 1, \`updatedAt\` = ? WHERE \`id\` IN (${placeholders(ids.length)}) AND \`status\` = 'PENDING'`,
        [sessionId, toDbTime(this.dialect, sentAt), toDbTime(this.dialect, sentAt), ...ids],
      );
      const claimed = await manager
        .getRepository(DesktopRequestEntity)
        .createQueryBuilder('r')
        .where("r.id IN (:...ids) AND r.status = 'SENT' AND r.sessionId = :sessionId", { ids, sessionId })
        .orderBy('r.id', 'ASC')
        .getMany();
      await beforeSend(manager, claimed);
      return claimed;
    });
  }

  /** Requests handed out but never answered. */
  async unanswered(connectionId: string): Promise<DesktopRequestEntity[]> {
    return this.dataSource
      .getRepository(DesktopRequestEntity)
      .find({ where: { connectionId, status: 'SENT' }, order: { id: 'ASC' } });
  }

  async sentIn(connectionId: string, sessionId: string): Promise<DesktopRequestEntity[]> {
    return this.dataSource
      .getRepository(DesktopRequestEntity)
      .find({ where: { connectionId, sessionId, status: 'SENT' }, order: { id: 'ASC' } });
  }

  async byIds(connectionId: string, ids: string[]): Promise<DesktopRequestEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource
      .getRepository(DesktopRequestEntity)
      .createQueryBuilder('r')
      .where('r.connectionId = :connectionId AND r.id IN (:...ids)', { connectionId, ids })
      .getMany();
  }

  /** Records how a request ended (or puts it back to PENDING), only if it is as read: a late duplicate changes nothing. Needs a transaction. */
  async settle(
    manager: EntityManager,
    request: DesktopRequestEntity,
    status: DesktopRequestStatus,
    outcome: {
      statusCode?: number | string | null;
      statusMessage?: string | null;
      result?: Record<string, unknown> | null;
    } = {},
  ): Promise<boolean> {
    const now = toDbTime(this.dialect, new Date());
    const changed = await execute(
      manager,
      'UPDATE `desktop_requests` SET `status` = ?, `statusCode` = ?, `statusMessage` = ?, `result` = ?, `updatedAt` = ? WHERE `id` = ? AND `status` = ?',
      [
        status,
        outcome.statusCode === undefined || outcome.statusCode === null ? null : String(outcome.statusCode),
        outcome.statusMessage ?? null,
        outcome.result ? JSON.stringify(outcome.result) : null,
        now,
        request.id,
        request.status,
      ],
    );
    return changed > 0;
  }

  /** Requests of a batch for one purpose (planners and stage checks). */
  async ofBatch(batchId: string, purposes: string[]): Promise<DesktopRequestEntity[]> {
    return this.dataSource
      .getRepository(DesktopRequestEntity)
      .createQueryBuilder('r')
      .where('r.batchId = :batchId AND r.purpose IN (:...purposes)', { batchId, purposes })
      .orderBy('r.id', 'ASC')
      .getMany();
  }

  /** Whether any request of the batch with these purposes is still waiting or out. */
  async open(batchId: string, purposes: string[]): Promise<boolean> {
    const count = await this.dataSource
      .getRepository(DesktopRequestEntity)
      .createQueryBuilder('r')
      .where("r.batchId = :batchId AND r.purpose IN (:...purposes) AND r.status IN ('PENDING', 'SENT')", {
        batchId,
        purposes,
      })
      .getCount();
    return count > 0;
  }

  async pendingCount(connectionId: string): Promise<number> {
    return this.dataSource.getRepository(DesktopRequestEntity).countBy({ connectionId, status: 'PENDING' });
  }
}

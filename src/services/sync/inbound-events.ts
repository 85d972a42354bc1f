/**
 * The queue of QuickBooks change notifications waiting to be applied (quickbooks_change_events): a job claims a
 * connection's pending events (and its own or stale claims after a crash), records each one's outcome in the commit
 * of what it applied, or hands them back.
 */
import { In, LessThan, type DataSource, type EntityManager } from 'typeorm';
import { QuickBooksChangeEventEntity, type ChangeEventStatus } from '../../entities';

const CLAIM_LIMIT = 5000;
/** A claim older than this belongs to a run that died: another run may take it. */
const STALE_CLAIM_MS = 5 * 60_000;

/** Pending events of the connection, claimed for this job (and this job's own claims after a retry). */
export async function claimEvents(
  dataSource: DataSource,
  connectionId: string,
  jobId: string,
): Promise<QuickBooksChangeEventEntity[]> {
  const repo = dataSource.getRepository(QuickBooksChangeEventEntity);
  const staleBefore = new Date(Date.now() - STALE_CLAIM_MS);
  const claimable = [
    { connectionId, status: 'PENDING' as ChangeEventStatus },
    { connectionId, status: 'PROCESSING' as ChangeEventStatus, claimedBy: jobId },
    { connectionId, status: 'PROCESSING' as ChangeEventStatus, claimedAt: LessThan(staleBefore) },
  ];
  const candidates = await repo.find({
    select: { id: true },
    where: claimable,
    order: { createdAt: 'ASC' },
    take: CLAIM_LIMIT,
  });
  if (candidates.length === 0) return [];
  const ids = candidates.map((c) => c.id);
  for (let i = 0; i < ids.length; i += 500) {
    await repo
      .createQueryBuilder()
      .update()
      .set({ status: 'PROCESSING', claimedBy: jobId, claimedAt: new Date() })
      .where('id IN (:...ids)', { ids: ids.slice(i, i + 500) })
      .andWhere(
        "(status = 'PENDING' OR (status = 'PROCESSING' AND (claimedBy = :jobId OR claimedAt < :staleBefore)))",
        { jobId, staleBefore },
      )
      .execute();
  }
  const out: QuickBooksChangeEventEntity[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    out.push(
      ...(await repo.findBy({ id: In(ids.slice(i, i + 500)), claimedBy: jobId, status: 'PROCESSING' })),
    );
  }
  return out;
}

/** Each claimed event's outcome, one UPDATE per distinct outcome, in the commit of what was applied. */
export async function finishEvents(
  manager: EntityManager,
  outcome: Map<string, { status: ChangeEventStatus; outcome: string }>,
): Promise<void> {
  // One UPDATE per distinct outcome.
  const groups = new Map<string, string[]>();
  for (const [id, o] of outcome) {
    const key = `${o.status}\u0000${o.outcome}`;
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  const now = new Date();
  for (const [key, ids] of groups) {
    const [status, text] = key.split('\u0000');
    for (let i = 0; i < ids.length; i += 500) {
      await manager
        .createQueryBuilder()
        .update(QuickBooksChangeEventEntity)
        .set({ status: status as ChangeEventStatus, outcome: text.slice(0, 200), processedAt: now })
        .where('id IN (:...ids)', { ids: ids.slice(i, i + 500) })
        .execute();
    }
  }
}

/** Claimed events handed back, for a later run. */
export async function releaseEvents(
  dataSource: DataSource,
  events: QuickBooksChangeEventEntity[],
): Promise<void> {
  const ids = events.map((e) => e.id);
  for (let i = 0; i < ids.length; i += 500) {
    await dataSource
      .createQueryBuilder()
      .update(QuickBooksChangeEventEntity)
      .set({ status: 'PENDING', claimedBy: null, claimedAt: null })
      .where('id IN (:...ids)', { ids: ids.slice(i, i + 500) })
      .execute();
  }
}

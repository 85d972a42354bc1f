import type { EntityManager } from 'typeorm';
import { ReferenceEntityRow, type ReferenceType } from '../../entities';
import { MIRRORED, toRow } from '../reference.service';

/**
 * Writes one QuickBooks object (as read, or as CDC reports it) into the connection's reference mirror, inside the
 * caller's transaction. Applied by `MetaData.LastUpdatedTime`: a version older than the mirror's is ignored (a late or
 * repeated change never overwrites newer data), and a deleted object (`status: "Deleted"`) is kept, inactive. Returns
 * the row as it now stands, or null when the snapshot was stale or carried no Id.
 */
export async function applyInboundSnapshot(
  manager: EntityManager,
  tenantId: string,
  connectionId: string,
  entityType: ReferenceType,
  snapshot: Record<string, unknown>,
): Promise<ReferenceEntityRow | null> {
  const quickbooksId =
    typeof snapshot.Id === 'string' || typeof snapshot.Id === 'number' ? String(snapshot.Id) : '';
  if (!quickbooksId) return null;
  const repository = manager.getRepository(ReferenceEntityRow);
  const existing = await repository.findOneBy({ connectionId, type: entityType, quickbooksId });
  if (existing && existing.tenantId !== tenantId) return null;
  const updatedAt = lastUpdatedOf(snapshot);
  if (existing?.quickbooksUpdatedAt && updatedAt && updatedAt < existing.quickbooksUpdatedAt) return null;
  if (snapshot.status === 'Deleted') {
    if (!existing) return null;
    existing.active = false;
    existing.quickbooksUpdatedAt = updatedAt ?? existing.quickbooksUpdatedAt;
    await repository.update(
      { id: existing.id },
      { active: false, quickbooksUpdatedAt: existing.quickbooksUpdatedAt },
    );
    return existing;
  }
  const row = toRow({ id: connectionId, tenantId }, entityType, snapshot);
  if (existing) {
    const changes = Object.fromEntries(MIRRORED.map((column) => [column, row[column]]));
    await repository.update({ id: existing.id }, changes);
    return Object.assign(existing, changes);
  }
  await repository.insert(row as never);
  return repository.create(row as never) as unknown as ReferenceEntityRow;
}

function lastUpdatedOf(snapshot: Record<string, unknown>): Date | null {
  const text = (snapshot.MetaData as { LastUpdatedTime?: unknown } | undefined)?.LastUpdatedTime;
  if (typeof text !== 'string') return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * `requireApproval` for inbound changes: instead of the mirror, a change goes to the sync wizard's PendingEntity
 * store (src/services/sync/pending.service.ts, one per entity, the latest change winning), field by field.
 */
import type { EntityManager } from 'typeorm';
import { PendingEntity, type ConnectionEntity, type ReferenceType } from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import { versionOf, type MirrorChange } from './inbound-apply';
import type { InboundHolder } from './inbound.service';
import type { PendingService } from './pending.service';

/** Bookkeeping fields QuickBooks changes on every save: not changes a person approves. */
const NOT_CHANGES = new Set(['MetaData', 'SyncToken', 'domain', 'sparse', 'time']);

/** `{from, to}` for every top-level field that differs between the mirror's version and QuickBooks' new one. */
export function fieldChanges(
  before: Record<string, unknown> | undefined,
  after: QuickBooksEntity,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const old = before ?? {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(after)])) {
    if (NOT_CHANGES.has(key)) continue;
    if (JSON.stringify(old[key]) !== JSON.stringify(after[key]))
      out[key] = { from: old[key] ?? null, to: after[key] ?? null };
  }
  return out;
}

export function pendingHolder(pending: PendingService): InboundHolder {
  return {
    async holdInbound(
      manager: EntityManager,
      connection: ConnectionEntity,
      type: ReferenceType,
      change: MirrorChange,
    ) {
      // A late or repeated notification never replaces a newer version already waiting for approval.
      const waiting = await manager.getRepository(PendingEntity).findOne({
        select: { id: true, snapshot: true, status: true },
        where: {
          connectionId: connection.id,
          direction: 'FROM_QUICKBOOKS',
          entityType: type,
          quickbooksId: change.quickbooksId,
          status: 'PENDING',
        },
      });
      if (waiting) {
        const [t1, s1] = versionOf(waiting.snapshot);
        const [t2, s2] = versionOf(change.object);
        if (t1 > t2 || (t1 === t2 && s1 >= s2)) return;
      }
      await pending.hold(manager, connection.tenantId, connection.id, {
        direction: 'FROM_QUICKBOOKS',
        entityType: type,
        quickBooksId: change.quickbooksId,
        label: change.name,
        operation: change.kind === 'CREATED' ? 'CREATE' : change.kind === 'DELETED' ? 'DELETE' : 'UPDATE',
        changes: fieldChanges(change.before?.data, change.object),
        snapshot: change.object,
      });
    },
  };
}

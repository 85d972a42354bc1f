import { In, type DataSource } from 'typeorm';
import { ConnectionEntity, PartnerRecordEntity, PendingEntity, type SyncBatchEntity } from '../../entities';
import { badInput, notFound } from '../../errors';
import { QUICKBOOKS_ENTITY } from '../reference.service';
import type { OutboundSync } from './outbound.service';
import { text } from '../posting/posting-mapper';
import type { PendingService } from './pending.service';
import { dialectOf } from '../../db/sql';

export type UncheckedAction = 'KEEP' | 'CLEAR';
export const MAX_APPROVALS_PER_CALL = 1000;

export interface ApproveResult {
  approved: number;
  cleared: number;
  kept: number;
  batch: SyncBatchEntity | null;
}

/**
 * The sync wizard's decision (approveEntities): the checked pending entities are applied in one APPLY_APPROVED batch
 * (inbound ones into the mirror, outbound ones to QuickBooks); the unchecked ones are cleared (CLEAR: they return only
 * when they change again) or left pending (KEEP).
 */
export class SyncWizard {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pending: PendingService,
    private readonly outbound: OutboundSync,
  ) {}

  async approve(
    tenantId: string,
    connectionId: string,
    entityIds: readonly string[],
    unchecked: UncheckedAction,
  ): Promise<ApproveResult> {
    if (entityIds.length > MAX_APPROVALS_PER_CALL)
      throw badInput('entityIds', `at most ${MAX_APPROVALS_PER_CALL} a call (got ${entityIds.length})`);
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneBy({ id: connectionId, tenantId });
    if (!connection) throw notFound('Connection', connectionId);
    const lock = dialectOf(this.dataSource) === 'mysql';
    return this.dataSource.transaction(async (manager) => {
      const query = manager
        .getRepository(PendingEntity)
        .createQueryBuilder('p')
        .where('p.connectionId = :connectionId AND p.status = :status', { connectionId, status: 'PENDING' })
        .orderBy('p.id', 'ASC');
      if (lock) query.setLock('pessimistic_write');
      const open = await query.getMany();
      const byId = new Map(open.map((p) => [p.id, p]));
      const checked = new Set<string>();
      entityIds.forEach((id, index) => {
        if (!byId.has(id))
          throw badInput(
            `entityIds.${index}`,
            'is not a pending entity of this connection (approved or cleared already?)',
          );
        checked.add(id);
      });
      const approved = open.filter((p) => checked.has(p.id));
      const rest = open.filter((p) => !checked.has(p.id));
      const now = new Date();
      if (approved.length)
        await manager.update(
          PendingEntity,
          { id: In(approved.map((p) => p.id)) },
          { status: 'APPROVED', resolvedAt: now },
        );
      const cleared = unchecked === 'CLEAR' ? rest : [];
      if (cleared.length) {
        await manager.update(
          PendingEntity,
          { id: In(cleared.map((p) => p.id)) },
          { status: 'CLEARED', resolvedAt: now },
        );
        // Partner records whose change was declined: QuickBooks keeps what it has.
        const recordIds = cleared
          .filter((p) => p.direction === 'TO_QUICKBOOKS')
          .map((p) => text(p.snapshot.partnerRecordId));
        if (recordIds.length) {
          const records = await manager.getRepository(PartnerRecordEntity).findBy({ id: In(recordIds) });
          for (const record of records) {
            await manager.update(
              PartnerRecordEntity,
              { id: record.id },
              record.quickbooksId
                ? { syncState: 'IN_SYNC', lastError: null }
                : {
                    syncState: 'FAILED',
                    lastError: {
                      code: 'CLEARED',
                      message: 'Cleared in the sync wizard; not in QuickBooks',
                      detail: null,
                      hint: 'Send it again with changes to offer it again',
                      direction: 'TO_QUICKBOOKS',
                      at: now.toISOString(),
                    } as never,
                  },
            );
          }
        }
      }
      const outboundIds = approved
        .filter((p) => p.direction === 'TO_QUICKBOOKS')
        .map((p) => text(p.snapshot.partnerRecordId));
      if (outboundIds.length)
        await manager.update(PartnerRecordEntity, { id: In(outboundIds) }, { syncState: 'QUEUED' });
      const batch = approved.length
        ? await this.outbound.queueBatch(
            manager,
            connection,
            'APPLY_APPROVED',
            approved.map((p) => ({
              entityType: QUICKBOOKS_ENTITY[p.entityType],
              entityId: p.id,
              label: p.label,
            })),
          )
        : null;
      if (approved.length || cleared.length) await this.pending.announce(manager, tenantId, connectionId);
      return {
        approved: approved.length,
        cleared: cleared.length,
        kept: rest.length - cleared.length,
        batch,
      };
    });
  }
}

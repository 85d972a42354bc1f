import { In, type DataSource, type EntityManager } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  PartnerRecordEntity,
  PendingEntity,
  type ConnectionEntity,
  type DesktopRequestEntity,
  type StoredSyncError,
  type SyncBatchEntity,
} from '../entities';
import type { BatchService, ItemOutcome } from '../services/batch.service';
import { QUICKBOOKS_ENTITY, type ReferenceService } from '../services/reference.service';
import { toStoredError } from '../services/stored-error';
import type { SyncLogEntry, SyncLogService } from '../services/sync-log.service';
import { applyInboundSnapshot } from '../services/sync/mirror';
import type { PendingService } from '../services/sync/pending.service';
import { labelOf, type Content, type PartnerType } from '../services/sync/outbound-fields';
import { mirrorObject, nameKey } from './mapper';
import { desktopNameOf, desktopView, differing, partnerAdd, partnerMod, wantedView } from './partner-lists';
import { isError, statusError, text, type QbObject, type QbxmlResponse } from './qbxml';
import {
  insertOnce,
  type DesktopAnswer,
  type DesktopProducer,
  type DesktopQueue,
  type NewDesktopRequest,
} from './request-queue';

const PURPOSES = ['sync-read', 'sync-add', 'sync-mod'];
/** QuickBooks' "busy, try again" answers: sent again this many times. */
const TRANSIENT = new Set([3170, 3175, 3231]);
const TRANSIENT_ATTEMPTS = 3;
/** "Fix Edit Sequence": re-read and retry a stale mod this many times. */
const EDIT_SEQUENCE_FIXES = 3;

type Action = 'CREATE' | 'UPDATE' | 'MATCH';

interface SyncContext {
  recordId: string;
  seq: number;
  /** Approved in the wizard as a conflict: the partner's version wins over QuickBooks' changes. */
  force: boolean;
  /** UPDATE: a linked record; MATCH: adopting one found by name; CREATE: a new one. */
  action: Action;
  fixes: number;
  /** The 3100 an add met, kept when the name turns out to be held by another list. */
  nameInUse?: { statusCode: number; statusMessage: string };
}

interface Outcome {
  item?: ItemOutcome;
  record?: Partial<PartnerRecordEntity>;
  logs: SyncLogEntry[];
  next: NewDesktopRequest[];
  mirror?: { retName: string; ret: QbObject };
  conflict?: Content;
  request: { status: 'DONE' | 'FAILED' | 'PENDING'; result?: Record<string, unknown> };
}

/**
 * The sync wizard on QuickBooks Desktop (APPLY_APPROVED batches, and RETRY ones from the error log): approved inbound
 * changes go into the mirror when the batch is planned; partners' customers and products become CustomerAdd /
 * CustomerMod and Item…Add / Item…Mod in the Web Connector's queue, applied at its next run.
 *
 * Each partner record moves on its own through read → (add | mod): a linked record (or one the mirror matches by
 * name, customers also by e-mail) is read by ListID, compared with the last sync (both sides changed the same field:
 * a CONFLICT for the wizard, as on QuickBooks Online) and modded with the fields the partner changed; an unknown one
 * is added, and a 3100 "name in use" is read by name and adopted. A 3200 stale EditSequence re-reads and mods again
 * ("Fix Edit Sequence"). Nothing needs a look-up after a lost answer: an add sent twice answers 3100 and is adopted,
 * a mod sent twice answers 3200 and is re-read, so lost requests are simply sent again.
 */
export class DesktopSyncProducer implements DesktopProducer {
  constructor(
    readonly name: 'APPLY_APPROVED' | 'RETRY',
    private readonly dataSource: DataSource,
    private readonly queue: DesktopQueue,
    private readonly batches: BatchService,
    private readonly references: ReferenceService,
    private readonly syncLogs: SyncLogService,
    private readonly pending: PendingService,
  ) {}

  // ------------------------------------------------------------------------------------------------ planning

  async plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> {
    // Planned before: only the finish a crash may have cut off is left to do here.
    if ((await this.queue.ofBatch(batch.id, PURPOSES)).length > 0) {
      await this.batches.finishIfDone(batch.id);
      return;
    }
    const items = await this.batches.pendingItems(batch.id);
    const pendingIds = items.filter((i) => i.entityId.startsWith('pen_')).map((i) => i.entityId);
    const pendings = new Map(
      (pendingIds.length
        ? await this.dataSource.getRepository(PendingEntity).findBy({ id: In(pendingIds) })
        : []
      ).map((p) => [p.id, p]),
    );
    const wanted = new Map<string, { seq: number; force: boolean }>();
    const skipped: number[] = [];
    for (const item of items) {
      const pending = pendings.get(item.entityId);
      if (!pending) {
        if (item.entityId.startsWith('pen_')) skipped.push(item.seq);
        else wanted.set(item.entityId, { seq: item.seq, force: false });
      } else if (pending.direction === 'FROM_QUICKBOOKS') {
        await this.applyInbound(batch, pending, item.seq);
      } else {
        wanted.set(text(pending.snapshot.partnerRecordId), { seq: item.seq, force: pending.conflict });
      }
    }
    const records = wanted.size
      ? await this.dataSource
          .getRepository(PartnerRecordEntity)
          .findBy({ id: In([...wanted.keys()]), connectionId: connection.id })
      : [];
    for (const [id, { seq }] of wanted) if (!records.some((r) => r.id === id)) skipped.push(seq);
    if (skipped.length)
      await this.batches.recordItems(
        batch.id,
        skipped.map((seq) => ({ seq, status: 'SKIPPED' as const })),
      );

    const index = await this.index(connection);
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const requests: NewDesktopRequest[] = [];
    const failures: Array<{ record: PartnerRecordEntity; seq: number; error: StoredSyncError }> = [];
    for (const record of records) {
      const { seq, force } = wanted.get(record.id)!;
      const context: SyncContext = { recordId: record.id, seq, force, action: 'UPDATE', fixes: 0 };
      const listId =
        record.quickbooksId ??
        index.get(`${record.type}:${nameKey(desktopNameOf(record.type, record.content))}`) ??
        (record.type === 'CUSTOMER' && record.content.email
          ? index.get(`email:${text(record.content.email).toLowerCase()}`)
          : undefined);
      let request: NewDesktopRequest;
      if (listId) {
        request = this.read(
          batch.id,
          record,
          { ListID: listId },
          {
            ...context,
            action: record.quickbooksId ? 'UPDATE' : 'MATCH',
          },
        );
      } else {
        try {
          request = this.add(batch.id, record, settings, { ...context, action: 'CREATE' });
        } catch (error) {
          failures.push({ record, seq, error: toStoredError(error) });
          continue;
        }
      }
      request.dedupeKey = `${batch.id}:sync:${record.id}`;
      requests.push(request);
    }
    // A concurrent planner's identical plan wins (dedupe keys): it records the failures too.
    const inserted = await insertOnce(this.dataSource, async (manager) => {
      await this.queue.add(manager, connection, requests);
      for (const { record, seq, error } of failures)
        await this.write(
          manager,
          batch.id,
          record,
          seq,
          this.failed(connection, batch.id, record, 'CREATE', error),
        );
    });
    if (!inserted) return;
    if (requests.length === 0) await this.batches.finishIfDone(batch.id);
  }

  /** Mods and reads are sent again as they are (a second add answers 3100 and is adopted; a stale mod 3200). */
  async recover(_connection: ConnectionEntity, requests: DesktopRequestEntity[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const request of requests) await this.queue.settle(manager, request, 'PENDING');
    });
  }

  // ------------------------------------------------------------------------------------------------ answers

  async handle(connection: ConnectionEntity, answers: DesktopAnswer[]): Promise<void> {
    const ids = answers.map((a) => (a.request.context as unknown as SyncContext).recordId);
    const records = new Map(
      (await this.dataSource.getRepository(PartnerRecordEntity).findBy({ id: In(ids) })).map((r) => [
        r.id,
        r,
      ]),
    );
    for (const answer of answers) {
      const context = answer.request.context as unknown as SyncContext;
      const record = records.get(context.recordId);
      const outcome = record
        ? this.decide(connection, record, answer)
        : { logs: [], next: [], request: { status: 'DONE' as const } };
      await this.dataSource.transaction(async (manager) => {
        const settled = await this.queue.settle(manager, answer.request, outcome.request.status, {
          statusCode: outcome.request.status === 'PENDING' ? null : answer.response.statusCode,
          statusMessage: outcome.request.status === 'PENDING' ? null : answer.response.statusMessage,
          result: outcome.request.result ?? null,
        });
        if (!settled) return; // a late duplicate of an answer already handled
        if (!record) {
          // The partner record is gone: nothing left to bring to QuickBooks.
          await this.batches.recordItems(
            answer.request.batchId!,
            [{ seq: context.seq, status: 'SKIPPED' }],
            manager,
          );
          return;
        }
        await this.queue.add(manager, connection, outcome.next);
        await this.write(manager, answer.request.batchId!, record, context.seq, outcome);
      });
      if (outcome.mirror && record)
        await this.references.upsert(connection, record.type, [
          mirrorObject(outcome.mirror.retName, outcome.mirror.ret),
        ]);
    }
    for (const batchId of new Set(answers.map((a) => a.request.batchId!)))
      await this.batches.finishIfDone(batchId);
  }

  private decide(
    connection: ConnectionEntity,
    record: PartnerRecordEntity,
    { request, response }: DesktopAnswer,
  ): Outcome {
    const context = request.context as unknown as SyncContext;
    const batchId = request.batchId!;
    const ret = response.rets[0];
    const retry = (): Outcome | undefined =>
      TRANSIENT.has(response.statusCode) && request.attempts < TRANSIENT_ATTEMPTS
        ? { logs: [], next: [], request: { status: 'PENDING' } }
        : undefined;
    const fail = (from: Pick<QbxmlResponse, 'statusCode' | 'statusMessage'> = response): Outcome =>
      this.failed(connection, batchId, record, context.action, statusError(from));
    switch (request.purpose) {
      case 'sync-add':
        if (!isError(response) && ret) return this.inSync(connection, batchId, record, context, ret, request);
        if (response.statusCode === 3100) {
          // The name is taken: by our own earlier add (a lost answer), or by a record to adopt; read it by name.
          return {
            logs: [],
            next: [
              this.read(
                batchId,
                record,
                { FullName: desktopNameOf(record.type, record.content) },
                {
                  ...context,
                  action: 'MATCH',
                  nameInUse: { statusCode: response.statusCode, statusMessage: response.statusMessage },
                },
              ),
            ],
            request: { status: 'DONE' },
          };
        }
        return retry() ?? fail();
      case 'sync-read':
        if (!isError(response) && ret) return this.compare(connection, batchId, record, context, ret);
        if (!isError(response) && context.action === 'UPDATE' && !context.nameInUse && context.fixes === 0) {
          // The linked record is no longer in QuickBooks: created again, as on QuickBooks Online.
          const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
          try {
            return {
              logs: [],
              next: [this.add(batchId, record, settings, { ...context, action: 'CREATE' })],
              request: { status: 'DONE' },
            };
          } catch (error) {
            return this.failed(connection, batchId, record, 'CREATE', toStoredError(error));
          }
        }
        // Not found by the name QuickBooks said was in use: another list (vendor, employee, other name) holds it.
        return retry() ?? fail(context.nameInUse && !isError(response) ? context.nameInUse : response);
      case 'sync-mod':
        if (!isError(response) && ret) return this.inSync(connection, batchId, record, context, ret, request);
        if (response.statusCode === 3200 && context.fixes < EDIT_SEQUENCE_FIXES) {
          // "Fix Edit Sequence": someone saved it in QuickBooks since we read it; read it again and retry.
          const listId = text((Object.values(request.body.content)[0] as QbObject).ListID);
          return {
            logs: [
              this.log(connection, batchId, record, context.action, 'FAILED', {
                quickbooksId: listId,
                code: String(response.statusCode),
                message: `${response.statusMessage} Fix Edit Sequence: re-reading and retrying.`,
                requestId: request.id,
              }),
            ],
            next: [this.read(batchId, record, { ListID: listId }, { ...context, fixes: context.fixes + 1 })],
            request: { status: 'DONE' },
          };
        }
        return retry() ?? fail();
      default:
        return fail();
    }
  }

  /** QuickBooks' current version: in sync, a conflict for the wizard, or a mod with the partner's changed fields. */
  private compare(
    connection: ConnectionEntity,
    batchId: string,
    record: PartnerRecordEntity,
    context: SyncContext,
    ret: { name: string; value: QbObject },
  ): Outcome {
    const type = record.type;
    const theirs = desktopView(type, ret.value);
    const wanted = wantedView(type, record.content);
    const synced = record.syncedContent;
    const linked = context.action === 'UPDATE';
    if (linked && synced && !context.force) {
      const conflicting = differing(wanted, theirs).filter(
        (field) =>
          differing({ [field]: wanted[field] }, { [field]: synced[field] }).length > 0 &&
          differing({ [field]: theirs[field] }, { [field]: synced[field] }).length > 0,
      );
      if (conflicting.length) return this.conflict(connection, batchId, record, ret, theirs, conflicting);
    }
    let fields = differing(wanted, theirs);
    if (linked && synced && !context.force)
      fields = fields.filter((f) => differing({ [f]: wanted[f] }, { [f]: synced[f] }).length > 0);
    if (fields.length === 0) return this.inSync(connection, batchId, record, context, ret);
    try {
      const mod = partnerMod(type, ret.name, ret.value, record.content, fields);
      return {
        logs: [],
        next: [
          {
            producer: this.name,
            purpose: 'sync-mod',
            type: mod.type,
            content: mod.content,
            batchId,
            entityKey: record.id,
            label: labelOf(type, record.content),
            context: context as unknown as Record<string, unknown>,
          },
        ],
        request: { status: 'DONE' },
      };
    } catch (error) {
      return this.failed(connection, batchId, record, context.action, toStoredError(error));
    }
  }

  // ------------------------------------------------------------------------------------------------ outcomes

  private inSync(
    connection: ConnectionEntity,
    batchId: string,
    record: PartnerRecordEntity,
    context: SyncContext,
    ret: { name: string; value: QbObject },
    request?: DesktopRequestEntity,
  ): Outcome {
    const quickbooksId = text(ret.value.ListID);
    const fixed = context.fixes > 0 && request?.purpose === 'sync-mod';
    return {
      item: { status: 'SUCCEEDED', quickbooksId },
      record: {
        quickbooksId,
        syncedContent: desktopView(record.type, ret.value),
        syncedSyncToken: text(ret.value.EditSequence) || null,
        syncState: 'IN_SYNC',
        lastError: null,
        sentAt: null,
      },
      logs: [
        this.log(connection, batchId, record, context.action, 'SUCCEEDED', {
          quickbooksId,
          code: '0',
          requestId: request?.id ?? null,
          message: fixed
            ? 'stale EditSequence (3200): re-read and applied again (Fix Edit Sequence)'
            : context.action === 'MATCH'
              ? `matched an existing ${record.type === 'CUSTOMER' ? 'customer' : 'item'} by name`
              : null,
        }),
      ],
      next: [],
      mirror: { retName: ret.name, ret: ret.value },
      request: { status: 'DONE', result: { listId: quickbooksId } },
    };
  }

  private failed(
    connection: ConnectionEntity,
    batchId: string,
    record: PartnerRecordEntity,
    action: Action,
    error: StoredSyncError,
  ): Outcome {
    return {
      item: { status: 'FAILED', error },
      record: { syncState: 'FAILED', lastError: error, sentAt: null },
      logs: [
        this.log(connection, batchId, record, action, 'FAILED', {
          quickbooksId: record.quickbooksId,
          code: error.code,
          message: error.message,
        }),
      ],
      next: [],
      request: { status: 'FAILED', result: { error } },
    };
  }

  private conflict(
    connection: ConnectionEntity,
    batchId: string,
    record: PartnerRecordEntity,
    ret: { name: string; value: QbObject },
    theirs: Content,
    fields: string[],
  ): Outcome {
    const quickbooksId = text(ret.value.ListID);
    const error: StoredSyncError = {
      code: 'CONFLICT',
      message: `${labelOf(record.type, record.content)} was changed in QuickBooks too since the last sync (${fields.join(', ')})`,
      detail: null,
      hint: 'Approve the partner version or clear it in the sync wizard (pendingEntities)',
      direction: 'TO_QUICKBOOKS',
      at: new Date().toISOString(),
    };
    return {
      item: { status: 'FAILED', quickbooksId, error },
      record: { syncState: 'CONFLICT', lastError: error },
      logs: [
        this.log(connection, batchId, record, 'UPDATE', 'FAILED', {
          quickbooksId,
          code: 'CONFLICT',
          message: error.message,
        }),
      ],
      next: [],
      mirror: { retName: ret.name, ret: ret.value },
      conflict: theirs,
      request: { status: 'DONE', result: { conflict: fields } },
    };
  }

  /** One outcome: the partner record, a conflict for the wizard, sync logs and the batch item, in the caller's commit. */
  private async write(
    manager: EntityManager,
    batchId: string,
    record: PartnerRecordEntity,
    seq: number,
    outcome: Outcome,
  ): Promise<void> {
    if (outcome.record) {
      await manager.update(PartnerRecordEntity, { id: record.id }, outcome.record as never);
      Object.assign(record, outcome.record);
    }
    if (outcome.conflict) {
      const theirs = outcome.conflict;
      const ours = wantedView(record.type, record.content);
      await this.pending.holdConflict(manager, record.tenantId, record.connectionId, {
        direction: 'TO_QUICKBOOKS',
        entityType: record.type,
        quickBooksId: record.quickbooksId,
        externalId: record.externalId,
        channel: record.channel,
        label: labelOf(record.type, record.content),
        operation: 'UPDATE',
        changes: Object.fromEntries(
          differing(ours, theirs).map((field) => [field, { from: theirs[field] ?? null, to: ours[field] }]),
        ),
        snapshot: { partnerRecordId: record.id, ours: record.content, quickbooks: theirs },
      });
    }
    await this.syncLogs.recordIn(manager, outcome.logs);
    if (outcome.item) await this.batches.recordItems(batchId, [{ seq, ...outcome.item }], manager);
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private read(
    batchId: string,
    record: PartnerRecordEntity,
    by: { ListID: string } | { FullName: string },
    context: SyncContext,
  ): NewDesktopRequest {
    return {
      producer: this.name,
      purpose: 'sync-read',
      type: record.type === 'CUSTOMER' ? 'CustomerQuery' : 'ItemQuery',
      content: { ...by },
      batchId,
      entityKey: record.id,
      label: labelOf(record.type, record.content),
      context: context as unknown as Record<string, unknown>,
    };
  }

  private add(
    batchId: string,
    record: PartnerRecordEntity,
    settings: typeof DEFAULT_CONNECTION_SETTINGS,
    context: SyncContext,
  ): NewDesktopRequest {
    const add = partnerAdd(record.type, record.content, settings);
    return {
      producer: this.name,
      purpose: 'sync-add',
      type: add.type,
      content: add.content,
      batchId,
      entityKey: record.id,
      label: labelOf(record.type, record.content),
      context: context as unknown as Record<string, unknown>,
    };
  }

  private log(
    connection: ConnectionEntity,
    batchId: string,
    record: PartnerRecordEntity,
    action: Action,
    status: 'SUCCEEDED' | 'FAILED',
    extra: Partial<SyncLogEntry>,
  ): SyncLogEntry {
    return {
      tenantId: connection.tenantId,
      connectionId: connection.id,
      batchId,
      direction: 'TO_QUICKBOOKS',
      action,
      entityType: record.type === 'CUSTOMER' ? 'Customer' : 'Item',
      entityId: record.id,
      label: labelOf(record.type, record.content),
      status,
      ...extra,
    };
  }

  /** The mirror's active customers (by name and e-mail) and items (by name). */
  private async index(connection: ConnectionEntity): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (const type of ['CUSTOMER', 'ITEM'] as PartnerType[]) {
      for (const row of await this.references.matchIndex(connection.id, type)) {
        if (!row.active) continue;
        index.set(`${type}:${nameKey(row.name)}`, row.quickbooksId);
        if (type === 'CUSTOMER' && row.email && !index.has(`email:${row.email.toLowerCase()}`))
          index.set(`email:${row.email.toLowerCase()}`, row.quickbooksId);
      }
    }
    return index;
  }

  /** An approved inbound change: its QuickBooks object goes into the mirror (no request needed). */
  private async applyInbound(batch: SyncBatchEntity, pending: PendingEntity, seq: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await applyInboundSnapshot(
        manager,
        pending.tenantId,
        pending.connectionId,
        pending.entityType,
        pending.snapshot,
      );
      await this.syncLogs.recordIn(manager, [
        {
          tenantId: pending.tenantId,
          connectionId: pending.connectionId,
          batchId: batch.id,
          direction: 'FROM_QUICKBOOKS',
          action: pending.operation,
          entityType: QUICKBOOKS_ENTITY[pending.entityType],
          entityId: pending.id,
          label: pending.label,
          quickbooksId: pending.quickbooksId,
          status: 'SUCCEEDED',
          message: row ? null : 'QuickBooks has a newer version already in the mirror',
        },
      ]);
      await this.batches.recordItems(
        batch.id,
        [{ seq, status: 'SUCCEEDED', quickbooksId: pending.quickbooksId }],
        manager,
      );
    });
  }
}

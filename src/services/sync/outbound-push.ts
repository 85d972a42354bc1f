import type { DataSource } from 'typeorm';
import {
  DEFAULT_CONNECTION_SETTINGS,
  PartnerRecordEntity,
  type ConnectionEntity,
  type StoredSyncError,
} from '../../entities';
import {
  QuickBooksError,
  type BatchItemRequest,
  type QuickBooksClient,
  type QuickBooksEntity,
} from '../../quickbooks';
import type { BatchService, ItemOutcome } from '../batch.service';
import { CHUNK, isRefusal, quote, requestIdOf } from '../posting/exactly-once';
import { MappingProblem, text } from '../posting/posting-mapper';
import type { ReferenceService } from '../reference.service';
import { toStoredError } from '../stored-error';
import type { SyncLogEntry, SyncLogService } from '../sync-log.service';
import {
  contentOfQuickBooks,
  createBody,
  differingFields,
  labelOf,
  QUICKBOOKS_ENTITY_OF,
  quickbooksFields,
  type Content,
  type PartnerType,
} from './outbound-fields';
import type { PendingService } from './pending.service';

/** Names per `IN (...)` look-up. */
const IN_LIST = 100;

/** One partner record to bring to QuickBooks, and the batch item it answers. */
export interface PushEntry {
  record: PartnerRecordEntity;
  seq: number;
  /** Approved in the wizard as a conflict: the partner's version wins over QuickBooks' changes. */
  force?: boolean;
}

interface Outcome {
  entry: PushEntry;
  item: ItemOutcome;
  log: SyncLogEntry;
  /** Columns of the partner record to write. */
  record: Partial<PartnerRecordEntity>;
  mirror?: QuickBooksEntity;
  conflict?: { quickbooks: Content };
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Brings partners' customers and products to QuickBooks without duplicating anything: a record not linked yet is
 * matched first (customers by DisplayName then e-mail, products by Sku then Name; the mirror, then QuickBooks by `IN`
 * queries), and only what matches nothing is created, 30 per batch call with a requestid fixed by the batch and the
 * records. A create's records get `sentAt` in a commit of their own before the call leaves; whatever has `sentAt` is
 * matched by name again before anything is sent again (the look-up every run starts with), so a lost answer or a
 * crash never creates a second record. Linked records are sparse-updated with QuickBooks' current SyncToken, after
 * checking that QuickBooks did not change the same fields since the last sync (else a CONFLICT for the wizard); a
 * stale SyncToken (5010) is re-read and sent again when the fields still do not conflict ("Fix Edit Sequence").
 */
export class OutboundPush {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connection: ConnectionEntity,
    private readonly client: QuickBooksClient,
    private readonly references: ReferenceService,
    private readonly batches: BatchService,
    private readonly syncLogs: SyncLogService,
    private readonly pending: PendingService,
    private readonly batchId: string,
  ) {}

  async run(type: PartnerType, entries: PushEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const entity = QUICKBOOKS_ENTITY_OF[type];
    // Linked records: QuickBooks' current version, by Id (one query per 100).
    const linked = entries.filter((e) => e.record.quickbooksId);
    const current = new Map<string, QuickBooksEntity>();
    await Promise.all(
      chunk(linked, IN_LIST).map(async (group) => {
        const found = await this.client.query(
          `SELECT * FROM ${entity} WHERE Id IN (${group.map((e) => quote(e.record.quickbooksId!)).join(', ')}) MAXRESULTS 1000`,
        );
        for (const object of found.items) current.set(String(object.Id), object);
      }),
    );
    const unlinked = entries.filter((e) => !e.record.quickbooksId || !current.has(e.record.quickbooksId));
    const matches = await this.match(type, unlinked);

    const updates: Array<{
      entry: PushEntry;
      object: QuickBooksEntity;
      fields: string[];
      action: 'UPDATE' | 'MATCH';
    }> = [];
    const creates: PushEntry[] = [];
    const outcomes: Outcome[] = [];
    for (const entry of entries) {
      const linkedObject = entry.record.quickbooksId ? current.get(entry.record.quickbooksId) : undefined;
      const object = linkedObject ?? matches.get(entry.record.id);
      if (!object) {
        creates.push(entry);
        continue;
      }
      const theirs = contentOfQuickBooks(type, object);
      if (linkedObject && !entry.force) {
        const conflicting = this.conflictingFields(entry.record, theirs);
        if (conflicting.length) {
          outcomes.push(this.conflictOutcome(entry, object, theirs, conflicting));
          continue;
        }
      }
      const fields = this.fieldsToSend(entry, theirs, Boolean(linkedObject));
      if (fields.length === 0) outcomes.push(this.inSync(entry, object, linkedObject ? 'UPDATE' : 'MATCH'));
      else updates.push({ entry, object, fields, action: linkedObject ? 'UPDATE' : 'MATCH' });
    }
    await this.record(type, outcomes);
    await Promise.all([
      ...chunk(creates, CHUNK).map((group) => this.createChunk(type, group)),
      ...chunk(updates, CHUNK).map((group) => this.updateChunk(type, group)),
    ]);
  }

  /**
   * What a sparse update sends: on a linked record, the fields the partner changed since the last sync (a field only
   * QuickBooks changed stays QuickBooks'); on a first match, or when the wizard approved the partner's version, every
   * field the partner sends that QuickBooks holds otherwise.
   */
  private fieldsToSend(entry: PushEntry, theirs: Content, linked: boolean): string[] {
    const differing = differingFields(entry.record.content, theirs);
    const synced = entry.record.syncedContent;
    if (!linked || !synced || entry.force) return differing;
    return differing.filter(
      (field) =>
        differingFields({ [field]: entry.record.content[field] }, { [field]: synced[field] }).length > 0,
    );
  }

  /** Fields QuickBooks changed since the last sync that the partner also changed, to another value. */
  private conflictingFields(record: PartnerRecordEntity, theirs: Content): string[] {
    const synced = record.syncedContent ?? {};
    const ours = record.content;
    return Object.keys(ours).filter(
      (field) =>
        differingFields({ [field]: theirs[field] }, { [field]: synced[field] }).length > 0 &&
        differingFields({ [field]: ours[field] }, { [field]: synced[field] }).length > 0 &&
        differingFields({ [field]: ours[field] }, { [field]: theirs[field] }).length > 0,
    );
  }

  /** Unlinked records matched to QuickBooks records, by record id. */
  private async match(type: PartnerType, entries: PushEntry[]): Promise<Map<string, QuickBooksEntity>> {
    const result = new Map<string, QuickBooksEntity>();
    if (entries.length === 0) return result;
    const entity = QUICKBOOKS_ENTITY_OF[type];
    const keys = (content: Content): string[] =>
      type === 'CUSTOMER'
        ? [
            `name:${text(content.displayName).toLowerCase()}`,
            ...(content.email ? [`email:${text(content.email).toLowerCase()}`] : []),
          ]
        : [
            ...(content.sku ? [`sku:${text(content.sku).toLowerCase()}`] : []),
            `name:${text(content.name).toLowerCase()}`,
          ];
    const index = new Map<string, QuickBooksEntity>();
    const remember = (object: QuickBooksEntity) => {
      const theirs = contentOfQuickBooks(type, object);
      for (const key of keys(theirs)) if (!index.has(key)) index.set(key, object);
    };
    const find = (content: Content) =>
      keys(content)
        .map((key) => index.get(key))
        .find(Boolean);
    // The mirror first.
    const mirror = await this.references.matchIndex(this.connection.id, type);
    const mirrored = new Map<string, string>();
    for (const row of mirror.filter((r) => r.active)) {
      if (type === 'CUSTOMER') {
        mirrored.set(`name:${row.name.toLowerCase()}`, row.quickbooksId);
        if (row.email) mirrored.set(`email:${row.email.toLowerCase()}`, row.quickbooksId);
      } else {
        if (row.sku) mirrored.set(`sku:${row.sku.toLowerCase()}`, row.quickbooksId);
        mirrored.set(`name:${row.name.toLowerCase()}`, row.quickbooksId);
      }
    }
    const ids = new Set<string>();
    for (const { record } of entries) {
      const id = keys(record.content)
        .map((key) => mirrored.get(key))
        .find(Boolean);
      if (id) ids.add(id);
    }
    // Then QuickBooks: the mirrored candidates' current versions, and every name the mirror does not know.
    const statements = chunk([...ids], IN_LIST).map(
      (group) => `SELECT * FROM ${entity} WHERE Id IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
    );
    const unknown = entries.filter(({ record }) => !keys(record.content).some((key) => mirrored.has(key)));
    const field = type === 'CUSTOMER' ? 'DisplayName' : 'Name';
    const nameOf = (content: Content) => String(type === 'CUSTOMER' ? content.displayName : content.name);
    for (const group of chunk(
      unknown.map(({ record }) => nameOf(record.content)),
      IN_LIST,
    )) {
      statements.push(
        `SELECT * FROM ${entity} WHERE ${field} IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`,
      );
    }
    if (type === 'ITEM') {
      const skus = unknown
        .map(({ record }) => record.content.sku)
        .filter((s): s is string => typeof s === 'string');
      for (const group of chunk(skus, IN_LIST))
        statements.push(`SELECT * FROM Item WHERE Sku IN (${group.map(quote).join(', ')}) MAXRESULTS 1000`);
    }
    await Promise.all(
      statements.map(async (statement) => {
        const found = await this.client.query(statement);
        for (const object of found.items) if (object.Active !== false) remember(object);
      }),
    );
    // Two records of one call that match the same QuickBooks record: the first one links, the second is created.
    const taken = new Set<string>();
    for (const { record } of entries) {
      const object = find(record.content);
      if (object && !taken.has(String(object.Id))) {
        taken.add(String(object.Id));
        result.set(record.id, object);
      }
    }
    return result;
  }

  private async createChunk(type: PartnerType, group: PushEntry[]): Promise<void> {
    const entity = QUICKBOOKS_ENTITY_OF[type];
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...this.connection.settings };
    const requests: Array<{ entry: PushEntry; body: QuickBooksEntity }> = [];
    const outcomes: Outcome[] = [];
    for (const entry of group) {
      try {
        requests.push({ entry, body: createBody(type, entry.record.content, settings) });
      } catch (problem) {
        if (!(problem instanceof MappingProblem)) throw problem;
        outcomes.push(this.failed(entry, 'CREATE', toStoredError(problem), null));
      }
    }
    if (requests.length) {
      // The durable record that these may have reached QuickBooks: the next run matches them by name first.
      await this.dataSource.getRepository(PartnerRecordEntity).update(
        requests.map((r) => r.entry.record.id),
        { sentAt: new Date() },
      );
      const requestId = requestIdOf(
        `sync-create:${this.batchId}:${requests.map((r) => r.entry.record.id).join(',')}`,
      );
      let results;
      try {
        results = await this.client.batch(
          requests.map((r): BatchItemRequest => ({ operation: 'create', entity, body: r.body })),
          { requestId },
        );
      } catch (error) {
        if (!isRefusal(error)) throw error; // the job runs again; sentAt makes it look first
        results = requests.map(() => ({ ok: false as const, error, bId: '' }));
      }
      await Promise.all(
        requests.map(async ({ entry }, index) => {
          const result = results[index];
          if (result.ok && 'value' in result) {
            outcomes.push(this.inSync(entry, result.value, 'CREATE', requestId));
            return;
          }
          const error = (result as { error: QuickBooksError }).error;
          if (error.quickbooksCode === '6240') {
            // The name is taken after all (made since we looked): use that record if it is one of this list.
            const name = String(requests[index].body[type === 'CUSTOMER' ? 'DisplayName' : 'Name']);
            const found = await this.client.query(
              `SELECT * FROM ${entity} WHERE ${type === 'CUSTOMER' ? 'DisplayName' : 'Name'} = ${quote(name)}`,
            );
            const holder = found.items[0];
            if (holder) {
              outcomes.push(this.inSync(entry, holder, 'MATCH', requestId));
              return;
            }
          }
          outcomes.push(
            this.failed(entry, 'CREATE', toStoredError(error), error, requestId, isRefusal(error)),
          );
        }),
      );
    }
    await this.record(type, outcomes);
  }

  private async updateChunk(
    type: PartnerType,
    group: Array<{
      entry: PushEntry;
      object: QuickBooksEntity;
      fields: string[];
      action: 'UPDATE' | 'MATCH';
    }>,
  ): Promise<void> {
    const entity = QUICKBOOKS_ENTITY_OF[type];
    const requestId = requestIdOf(
      `sync-update:${this.batchId}:${group.map((g) => `${g.entry.record.id}@${String(g.object.SyncToken)}`).join(',')}`,
    );
    const body = (g: (typeof group)[number], object: QuickBooksEntity): QuickBooksEntity => ({
      ...quickbooksFields(type, g.entry.record.content, g.fields),
      Id: String(object.Id),
      SyncToken: String(object.SyncToken),
    });
    let results;
    try {
      results = await this.client.batch(
        group.map((g): BatchItemRequest => ({
          operation: 'update',
          entity,
          body: body(g, g.object),
          sparse: true,
        })),
        { requestId },
      );
    } catch (error) {
      // A stale SyncToken answered for the whole call is each item's to fix (below), like one answered per item.
      if (!isRefusal(error) && !(error instanceof QuickBooksError && error.quickbooksCode === '5010'))
        throw error;
      results = group.map(() => ({ ok: false as const, error, bId: '' }));
    }
    const outcomes: Outcome[] = [];
    await Promise.all(
      group.map(async (g, index) => {
        const result = results[index];
        if (result.ok && 'value' in result) {
          outcomes.push(this.inSync(g.entry, result.value, g.action, requestId));
          return;
        }
        const error = (result as { error: QuickBooksError }).error;
        if (error.quickbooksCode === '5010') {
          outcomes.push(await this.fixEditSequence(type, g));
          return;
        }
        outcomes.push(this.failed(g.entry, g.action, toStoredError(error), error, requestId));
      }),
    );
    await this.record(type, outcomes);
  }

  /** 5010: someone saved the record since we read it. Re-read; send again if the fields still do not conflict. */
  private async fixEditSequence(
    type: PartnerType,
    g: { entry: PushEntry; object: QuickBooksEntity; fields: string[]; action: 'UPDATE' | 'MATCH' },
  ): Promise<Outcome> {
    const entity = QUICKBOOKS_ENTITY_OF[type];
    try {
      const fresh = await this.client.read(entity, String(g.object.Id));
      const theirs = contentOfQuickBooks(type, fresh);
      // Only a linked record has a last sync to compare with; a first match takes the partner's fields.
      const conflicting =
        g.entry.force || g.action !== 'UPDATE' ? [] : this.conflictingFields(g.entry.record, theirs);
      if (conflicting.length) return this.conflictOutcome(g.entry, fresh, theirs, conflicting);
      const fields = this.fieldsToSend(g.entry, theirs, g.action === 'UPDATE');
      if (fields.length === 0) return this.inSync(g.entry, fresh, g.action);
      const updated = await this.client.update(entity, {
        ...quickbooksFields(type, g.entry.record.content, fields),
        Id: String(fresh.Id),
        SyncToken: String(fresh.SyncToken),
      });
      const outcome = this.inSync(g.entry, updated, g.action);
      outcome.log.message = 'stale SyncToken (5010): re-read and applied again (Fix Edit Sequence)';
      return outcome;
    } catch (error) {
      if (!(error instanceof QuickBooksError)) throw error;
      if (!isRefusal(error)) throw error;
      return this.failed(g.entry, g.action, toStoredError(error), error);
    }
  }

  private inSync(
    entry: PushEntry,
    object: QuickBooksEntity,
    action: 'CREATE' | 'UPDATE' | 'MATCH',
    requestId?: string,
  ): Outcome {
    const type = entry.record.type;
    const quickbooksId = String(object.Id);
    return {
      entry,
      item: { status: 'SUCCEEDED', quickbooksId },
      log: this.log(entry, action, 'SUCCEEDED', quickbooksId, null, null, requestId),
      record: {
        quickbooksId,
        syncedContent: contentOfQuickBooks(type, object),
        syncedSyncToken: object.SyncToken === undefined ? null : String(object.SyncToken),
        syncState: 'IN_SYNC',
        lastError: null,
        sentAt: null,
      },
      mirror: object,
    };
  }

  private failed(
    entry: PushEntry,
    action: 'CREATE' | 'UPDATE' | 'MATCH',
    stored: StoredSyncError,
    error: QuickBooksError | null,
    requestId?: string,
    outcomeKnown = true,
  ): Outcome {
    return {
      entry,
      item: { status: 'FAILED', error: stored },
      log: this.log(
        entry,
        action,
        'FAILED',
        entry.record.quickbooksId,
        stored.code,
        stored.message,
        requestId ?? error?.requestId,
      ),
      record: { syncState: 'FAILED', lastError: stored, ...(outcomeKnown ? { sentAt: null } : {}) },
    };
  }

  private conflictOutcome(
    entry: PushEntry,
    object: QuickBooksEntity,
    theirs: Content,
    fields: string[],
  ): Outcome {
    const stored: StoredSyncError = {
      code: 'CONFLICT',
      message: `${labelOf(entry.record.type, entry.record.content)} was changed in QuickBooks too since the last sync (${fields.join(', ')})`,
      detail: null,
      hint: 'Approve the partner version or clear it in the sync wizard (pendingEntities)',
      direction: 'TO_QUICKBOOKS',
      at: new Date().toISOString(),
    };
    return {
      entry,
      item: { status: 'FAILED', quickbooksId: String(object.Id), error: stored },
      log: this.log(entry, 'UPDATE', 'FAILED', String(object.Id), 'CONFLICT', stored.message),
      record: { syncState: 'CONFLICT', lastError: stored },
      mirror: object,
      conflict: { quickbooks: theirs },
    };
  }

  private log(
    entry: PushEntry,
    action: 'CREATE' | 'UPDATE' | 'MATCH',
    status: 'SUCCEEDED' | 'FAILED',
    quickbooksId: string | null,
    code: string | null,
    message: string | null,
    requestId?: string | null,
  ): SyncLogEntry {
    return {
      tenantId: this.connection.tenantId,
      connectionId: this.connection.id,
      batchId: this.batchId,
      direction: 'TO_QUICKBOOKS',
      action,
      entityType: QUICKBOOKS_ENTITY_OF[entry.record.type],
      entityId: entry.record.id,
      label: labelOf(entry.record.type, entry.record.content),
      quickbooksId,
      status,
      code,
      message,
      requestId: requestId ?? null,
    };
  }

  /** Records a group's outcomes: partner records, conflicts, sync logs and batch items in one commit; the mirror after. */
  private record(type: PartnerType, outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return Promise.resolve();
    // One recording at a time: each holds a transaction while the batch records its items.
    const next = this.recording.then(() => this.recordNow(type, outcomes));
    this.recording = next.catch(() => undefined);
    return next;
  }

  private recording: Promise<unknown> = Promise.resolve();

  private async recordNow(type: PartnerType, outcomes: Outcome[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const outcome of outcomes) {
        await manager.update(PartnerRecordEntity, { id: outcome.entry.record.id }, outcome.record as never);
        Object.assign(outcome.entry.record, outcome.record);
        if (outcome.conflict) {
          const { record } = outcome.entry;
          const theirs = outcome.conflict.quickbooks;
          await this.pending.holdConflict(manager, record.tenantId, record.connectionId, {
            direction: 'TO_QUICKBOOKS',
            entityType: type,
            quickBooksId: record.quickbooksId,
            externalId: record.externalId,
            channel: record.channel,
            label: labelOf(type, record.content),
            operation: 'UPDATE',
            changes: Object.fromEntries(
              differingFields(record.content, theirs).map((field) => [
                field,
                { from: theirs[field] ?? null, to: record.content[field] },
              ]),
            ),
            snapshot: { partnerRecordId: record.id, ours: record.content, quickbooks: theirs },
          });
        }
      }
      await this.syncLogs.recordIn(
        manager,
        outcomes.map((o) => o.log),
      );
      await this.batches.recordItems(
        this.batchId,
        outcomes.map((o) => ({ seq: o.entry.seq, ...o.item })),
        manager,
      );
    });
    const mirror = outcomes.map((o) => o.mirror).filter((m): m is QuickBooksEntity => Boolean(m));
    if (mirror.length) await this.references.upsert(this.connection, type, mirror);
  }
}

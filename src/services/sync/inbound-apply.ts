/**
 * Writing what QuickBooks says into the gateway, inside one transaction per step:
 * - reference objects into the mirror, only when newer than what it holds (MetaData.LastUpdatedTime, then SyncToken),
 *   so a late or repeated notification never overwrites newer data;
 * - a Merge re-points every local reference from the merged-away id to the survivor;
 * - transactions the gateway posted that changed in QuickBooks are marked on their orders.
 */
import type { EntityManager } from 'typeorm';
import {
  ConnectionEntity,
  InvoiceEntity,
  OrderEntity,
  PartnerRecordEntity,
  PaymentEntity,
  QuickBooksSyncCursorEntity,
  ReferenceEntityRow,
  type ConnectionSettingsData,
  type ReferenceType,
  type StoredSyncError,
} from '../../entities';
import type { QuickBooksEntity } from '../../quickbooks';
import { placeholders } from '../../db/sql';
import { toRow, writeMirrorRows } from '../reference.service';

const CHUNK = 400;

/** (LastUpdatedTime in ms, SyncToken) of a QuickBooks object; missing parts count as oldest. */
export function versionOf(object: QuickBooksEntity): [number, number] {
  const meta = object.MetaData as { LastUpdatedTime?: string } | undefined;
  const ms = meta?.LastUpdatedTime ? Date.parse(meta.LastUpdatedTime) : NaN;
  const token = Number(object.SyncToken);
  return [Number.isNaN(ms) ? 0 : ms, Number.isFinite(token) ? token : -1];
}

const newer = (a: [number, number], b: [number, number]): boolean =>
  a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/**
 * Serializes inbound writers of one connection (a webhook job and a catch-up may run at once on two workers): on
 * MySQL the connection's cursor row is locked until the transaction ends; SQLite runs one transaction at a time.
 * One upsert takes the row's exclusive lock at once (an INSERT IGNORE followed by SELECT … FOR UPDATE took a shared
 * lock first, and two writers holding it then deadlocked asking for the exclusive one).
 */
export async function lockConnection(
  manager: EntityManager,
  connection: Pick<ConnectionEntity, 'id' | 'tenantId'>,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .insert()
    .into(QuickBooksSyncCursorEntity)
    .values({
      connectionId: connection.id,
      tenantId: connection.tenantId,
      changedSince: null,
      lastChangeDataCaptureAt: null,
      lastChangeCount: 0,
      lastWasFullImport: false,
      updatedAt: new Date(),
    })
    // Changes nothing (the same tenant): the row is locked, its columns kept.
    .orUpdate(['tenantId'], ['connectionId'])
    .updateEntity(false)
    .execute();
}

export interface StoredVersion {
  id: string;
  quickbooksId: string;
  name: string;
  active: boolean;
  version: [number, number];
  data: Record<string, unknown>;
}

/** The mirror rows of these QuickBooks ids (with their versions). */
export async function storedVersions(
  manager: EntityManager,
  connectionId: string,
  type: ReferenceType,
  ids: string[],
): Promise<Map<string, StoredVersion>> {
  const out = new Map<string, StoredVersion>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await manager
      .getRepository(ReferenceEntityRow)
      .createQueryBuilder('r')
      .select([
        'r.id',
        'r.quickbooksId',
        'r.name',
        'r.active',
        'r.syncToken',
        'r.quickbooksUpdatedAt',
        'r.data',
      ])
      .where('r.connectionId = :connectionId AND r.type = :type AND r.quickbooksId IN (:...ids)', {
        connectionId,
        type,
        ids: ids.slice(i, i + CHUNK),
      })
      .getMany();
    for (const row of rows) {
      const token = Number(row.syncToken);
      out.set(row.quickbooksId, {
        id: row.id,
        quickbooksId: row.quickbooksId,
        name: row.name,
        active: row.active,
        version: [row.quickbooksUpdatedAt?.getTime() ?? 0, Number.isFinite(token) ? token : -1],
        data: row.data,
      });
    }
  }
  return out;
}

export interface MirrorChange {
  quickbooksId: string;
  name: string;
  /** CREATED (new to the mirror), UPDATED, DELETED (a merged-away or deleted list object, kept inactive). */
  kind: 'CREATED' | 'UPDATED' | 'DELETED';
  before: StoredVersion | undefined;
  object: QuickBooksEntity;
}

/** Ids per `IN (...)`. */
const ID_CHUNK = 1000;

/**
 * Which CREATED changes are our own creates coming back before the push has written them to the mirror: linked to a
 * partner record already (the push commits the link, then writes the mirror), or named like a partner record whose
 * create has left (`sentAt`, not linked yet). The push writes those to the mirror itself; taken here they would look
 * like QuickBooks' own new customers and items (held for approval as such, under requireApproval). Read inside the
 * caller's transaction, so the link and the mirror are seen as of one moment.
 */
export async function ownCreates(
  manager: EntityManager,
  connectionId: string,
  type: ReferenceType,
  changes: readonly MirrorChange[],
): Promise<Set<string>> {
  const created = changes.filter((change) => change.kind === 'CREATED');
  if (created.length === 0 || (type !== 'CUSTOMER' && type !== 'ITEM')) return new Set();
  const where = '`connectionId` = ? AND `type` = ?';
  const leaving = new Set(
    (
      await manager.query<Array<{ name: string }>>(
        `SELECT \`name\` FROM \`partner_records\` WHERE ${where} AND \`sentAt\` IS NOT NULL AND \`quickbooksId\` IS NULL`,
        [connectionId, type],
      )
    ).map((row) => row.name.toLowerCase()),
  );
  const linked = new Set<string>();
  for (let start = 0; start < created.length; start += ID_CHUNK) {
    const ids = created.slice(start, start + ID_CHUNK).map((change) => change.quickbooksId);
    const rows = await manager.query<Array<{ quickbooksId: string }>>(
      `SELECT \`quickbooksId\` FROM \`partner_records\` WHERE ${where} AND \`quickbooksId\` IN (${placeholders(ids.length)})`,
      [connectionId, type, ...ids],
    );
    for (const row of rows) linked.add(row.quickbooksId);
  }
  const nameOf = (object: QuickBooksEntity): string => {
    const name = type === 'CUSTOMER' ? object.DisplayName : object.Name;
    return typeof name === 'string' ? name.toLowerCase() : '';
  };
  return new Set(
    created
      .filter((change) => linked.has(change.quickbooksId) || leaving.has(nameOf(change.object)))
      .map((change) => change.quickbooksId),
  );
}

/**
 * Which of `objects` are newer than the mirror (the newest per id wins). Deleted objects (`status: "Deleted"`) the
 * mirror never held are dropped.
 */
export function newerThanMirror(
  objects: QuickBooksEntity[],
  stored: Map<string, StoredVersion>,
): { changes: MirrorChange[]; stale: number } {
  const newest = new Map<string, QuickBooksEntity>();
  for (const object of objects) {
    const id = String(object.Id);
    const current = newest.get(id);
    if (!current || newer(versionOf(object), versionOf(current))) newest.set(id, object);
  }
  const changes: MirrorChange[] = [];
  let stale = 0;
  for (const [id, object] of newest) {
    const before = stored.get(id);
    const deleted = object.status === 'Deleted';
    // A deletion is final: it wins over a stored version of the same second (MetaData has whole seconds).
    const version = versionOf(object);
    const wins =
      before &&
      (newer(version, before.version) || (deleted && before.active && version[0] >= before.version[0]));
    if (before && !wins) {
      stale++;
      continue;
    }
    if (deleted && !before) continue;
    const name = deleted ? (before?.name ?? `#${id}`) : toRowName(object);
    changes.push({
      quickbooksId: id,
      name,
      kind: deleted ? 'DELETED' : before ? 'UPDATED' : 'CREATED',
      before,
      object,
    });
  }
  return { changes, stale };
}

function toRowName(object: QuickBooksEntity): string {
  for (const key of ['FullyQualifiedName', 'DisplayName', 'Name']) {
    const value = object[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return `#${String(object.Id)}`;
}

/** Writes the changes into the mirror (inserts keep new ids; updates keep the row's id). */
export async function writeMirror(
  manager: EntityManager,
  connection: ConnectionEntity,
  type: ReferenceType,
  changes: MirrorChange[],
): Promise<void> {
  const rows = changes.map((change) => {
    if (change.kind !== 'DELETED') return toRow(connection, type, change.object);
    // A retired object keeps what the mirror knew of it, inactive, with QuickBooks' status and time.
    const data = {
      ...(change.before?.data ?? {}),
      Active: false,
      status: 'Deleted',
      MetaData: change.object.MetaData,
    };
    return {
      ...toRow(connection, type, { ...data, Id: change.quickbooksId }),
      active: false,
    };
  });
  await writeMirrorRows(manager, rows);
}

/** Settings that name an object of each mergeable type. */
const SETTINGS_BY_ENTITY: Record<string, Array<keyof ConnectionSettingsData>> = {
  Account: [
    'incomeAccountId',
    'inventoryAssetAccountId',
    'costOfGoodsSoldAccountId',
    'depositAccountId',
    'discountAccountId',
    'refundAccountId',
  ],
  Item: ['freightItemId', 'handlingItemId', 'packagingItemId'],
  Class: ['defaultClassId'],
  Department: ['defaultLocationId'],
  Term: ['defaultTermId'],
  PaymentMethod: ['defaultPaymentMethodId'],
  TaxCode: ['defaultTaxCodeId'],
};

/** What a merge re-pointed, for the log and the event message. */
export interface RepointResult {
  orders: number;
  invoices: number;
  payments: number;
  /** Partners' records (upsertCustomers / upsertProducts) linked to the merged-away object. */
  partnerRecords: number;
  settings: string[];
}

/**
 * QuickBooks merged `fromId` into `toId`: every local reference to `fromId` now names `toId` — orders' customer and
 * line items, invoices' and payments' customers, partners' linked customers and products, the connection's settings.
 * Runs in the caller's transaction.
 */
export async function repointMerged(
  manager: EntityManager,
  connection: ConnectionEntity,
  entityName: string,
  fromId: string,
  toId: string,
): Promise<RepointResult> {
  const result: RepointResult = { orders: 0, invoices: 0, payments: 0, partnerRecords: 0, settings: [] };
  if (fromId === toId) return result;
  const settingKeys = SETTINGS_BY_ENTITY[entityName] ?? [];
  const fresh = await manager.getRepository(ConnectionEntity).findOneBy({ id: connection.id });
  if (fresh && settingKeys.length > 0) {
    const settings = { ...fresh.settings };
    for (const key of settingKeys) {
      if (settings[key] === fromId) {
        (settings as Record<string, unknown>)[key] = toId;
        result.settings.push(key);
      }
    }
    if (result.settings.length > 0)
      await manager.getRepository(ConnectionEntity).update({ id: connection.id }, { settings });
  }
  if (entityName === 'Customer') {
    result.invoices = await updateCount(
      manager,
      InvoiceEntity,
      'customerQuickbooksId',
      connection.id,
      fromId,
      toId,
    );
    result.payments = await updateCount(
      manager,
      PaymentEntity,
      'customerQuickbooksId',
      connection.id,
      fromId,
      toId,
    );
  }
  if (entityName === 'Customer' || entityName === 'Item') {
    const linked = await manager
      .createQueryBuilder()
      .update(PartnerRecordEntity)
      .set({ quickbooksId: toId })
      .where('connectionId = :connectionId AND type = :type AND quickbooksId = :fromId', {
        connectionId: connection.id,
        type: entityName === 'Customer' ? 'CUSTOMER' : 'ITEM',
        fromId,
      })
      .execute();
    result.partnerRecords = linked.affected ?? 0;
    // Orders keep these ids inside JSON: find candidates by the id's text, then rewrite the ones that really hold it.
    const column = entityName === 'Customer' ? 'customer' : 'lines';
    const field = entityName === 'Customer' ? 'quickbooksId' : 'quickbooksItemId';
    const candidates = await manager
      .getRepository(OrderEntity)
      .createQueryBuilder('o')
      .select(['o.id', `o.${column}`])
      .where(`o.connectionId = :connectionId AND o.${column} LIKE :pattern`, {
        connectionId: connection.id,
        pattern: `%"${field}":"${fromId}"%`,
      })
      .getMany();
    for (const order of candidates) {
      if (entityName === 'Customer') {
        if (order.customer.quickbooksId !== fromId) continue;
        await manager
          .getRepository(OrderEntity)
          .update({ id: order.id }, { customer: { ...order.customer, quickbooksId: toId } });
      } else {
        if (!order.lines.some((line) => line.quickbooksItemId === fromId)) continue;
        const lines = order.lines.map((line) =>
          line.quickbooksItemId === fromId ? { ...line, quickbooksItemId: toId } : line,
        );
        await manager.getRepository(OrderEntity).update({ id: order.id }, { lines });
      }
      result.orders++;
    }
  }
  return result;
}

async function updateCount(
  manager: EntityManager,
  entity: typeof InvoiceEntity | typeof PaymentEntity,
  column: 'customerQuickbooksId',
  connectionId: string,
  fromId: string,
  toId: string,
): Promise<number> {
  const outcome = await manager
    .createQueryBuilder()
    .update(entity)
    .set({ [column]: toId })
    .where(`connectionId = :connectionId AND ${column} = :fromId`, { connectionId, fromId })
    .execute();
  return outcome.affected ?? 0;
}

/** Transaction kinds the gateway posts as orders, by QuickBooks entity. */
export const ORDER_TRANSACTIONS: Record<string, 'SALES_RECEIPT' | 'INVOICE'> = {
  SalesReceipt: 'SALES_RECEIPT',
  Invoice: 'INVOICE',
};

export interface TransactionChange {
  entityName: string;
  id: string;
  /** DELETED, VOIDED or EDITED in QuickBooks. */
  change: 'DELETED' | 'VOIDED' | 'EDITED';
  /** The transaction as QuickBooks now has it (absent when deleted). */
  object?: QuickBooksEntity;
}

/** Orders of the connection posted as these transactions (by the indexed `postedTransactionId`). */
export async function ordersPostedAs(
  manager: EntityManager,
  connectionId: string,
  entityName: string,
  ids: string[],
): Promise<OrderEntity[]> {
  const kind = ORDER_TRANSACTIONS[entityName];
  if (!kind || ids.length === 0) return [];
  const out: OrderEntity[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const slice = [...new Set(ids.slice(i, i + CHUNK))];
    const orders = await manager
      .getRepository(OrderEntity)
      .createQueryBuilder('o')
      .select([
        'o.id',
        'o.tenantId',
        'o.orderNumber',
        'o.status',
        'o.postedTransaction',
        'o.sentAt',
        'o.postedAt',
        'o.lastError',
      ])
      .where('o.connectionId = :connectionId AND o.postedTransactionId IN (:...ids)', {
        connectionId,
        ids: slice,
      })
      .getMany();
    // SalesReceipt and Invoice ids are separate sequences in QuickBooks: the kind tells them apart.
    for (const order of orders) if (order.postedTransaction?.kind === kind) out.push(order);
  }
  return out;
}

/**
 * How a posted transaction, as QuickBooks now has it, differs from what the gateway posted: deleted (CDC's
 * `status: "Deleted"`), voided (QuickBooks keeps a voided sales form with zero totals and "Voided" in PrivateNote) or
 * edited (a SyncToken above the one the gateway stored). Only an order at rest counts: not while it is being sent or
 * undone (those changes are the gateway's own).
 */
export function transactionChangeOf(
  order: Pick<OrderEntity, 'status' | 'sentAt' | 'postedTransaction'>,
  object: QuickBooksEntity,
): TransactionChange['change'] | null {
  if (object.status === 'Deleted') return 'DELETED';
  const posted = order.postedTransaction;
  if (!posted || order.status !== 'POSTED' || order.sentAt !== null) return null;
  const note = typeof object.PrivateNote === 'string' ? object.PrivateNote : '';
  const zeroed = Number(object.TotalAmt ?? NaN) === 0 && Number(posted.totalAmount ?? 0) !== 0;
  if (/^Voided\b/.test(note) || zeroed) return 'VOIDED';
  if (Number(object.SyncToken) > Number(posted.syncToken ?? -1)) return 'EDITED';
  return null;
}

const WORDS: Record<TransactionChange['change'], string> = {
  DELETED: 'deleted',
  VOIDED: 'voided',
  EDITED: 'edited',
};

/** The error an order shows when its transaction changed in QuickBooks. */
export function changedInQuickBooks(order: OrderEntity, change: TransactionChange): StoredSyncError {
  const what = change.entityName === 'Invoice' ? 'invoice' : 'sales receipt';
  const hints: Record<TransactionChange['change'], string> = {
    DELETED: `The ${what} was deleted in QuickBooks. Post the order again to recreate it, or archive the order if the deletion was intended.`,
    VOIDED: `The ${what} was voided in QuickBooks. Archive the order if the void was intended; otherwise post it again.`,
    EDITED: `The ${what} was changed in QuickBooks after the gateway posted it. Check the change there; re-sending the order from the gateway would overwrite it.`,
  };
  return {
    code: `${change.change}_IN_QUICKBOOKS`,
    message: `${change.entityName} ${change.id} (order ${order.orderNumber}) was ${WORDS[change.change]} in QuickBooks`,
    detail: null,
    hint: hints[change.change],
    direction: 'FROM_QUICKBOOKS',
    at: new Date().toISOString(),
  };
}

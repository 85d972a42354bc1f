import type { DataSource, EntityManager, Repository } from 'typeorm';
import {
  ConnectionEntity,
  PartnerRecordEntity,
  REFERENCE_TYPES,
  ReferenceEntityRow,
  type ReferenceType,
  type SyncBatchEntity,
} from '../entities';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { JobEnqueuer } from '../job-catalogue';
import type { Logger } from '../logger';
import type { QuickBooksClient, QuickBooksEntity } from '../quickbooks';
import type { BatchService } from './batch.service';
import type { ConnectionEvents } from './connection-events';
import { containsPattern, paginate, type Page, type PageArgs } from './pagination';
import { syncScope } from './sync-log.service';
import { toStoredError } from './stored-error';
import { dialectOf, retryDeadlocks, toDbTime, upsertRows } from '../db/sql';

/** QuickBooks' entity name for each reference type (a "Location" is a Department in the API). */
export const QUICKBOOKS_ENTITY: Record<ReferenceType, string> = {
  ACCOUNT: 'Account',
  TERM: 'Term',
  CLASS: 'Class',
  LOCATION: 'Department',
  PAYMENT_METHOD: 'PaymentMethod',
  TAX_CODE: 'TaxCode',
  TAX_RATE: 'TaxRate',
  CUSTOMER: 'Customer',
  ITEM: 'Item',
};

const LABEL: Record<ReferenceType, string> = {
  ACCOUNT: 'Chart of accounts',
  TERM: 'Terms',
  CLASS: 'Classes',
  LOCATION: 'Locations',
  PAYMENT_METHOD: 'Payment methods',
  TAX_CODE: 'Tax codes',
  TAX_RATE: 'Tax rates',
  CUSTOMER: 'Customers',
  ITEM: 'Products and services',
};

const UPSERT_CHUNK = 500;
/** The columns a newer QuickBooks version of an object rewrites (the row's id stays: ids are exposed). */
export const MIRRORED = [
  'name',
  'kind',
  'sku',
  'email',
  'currency',
  'active',
  'syncToken',
  'quickbooksUpdatedAt',
  'data',
] as const;
/** The mirror's columns in the order writeMirrorRows writes them. */
const MIRROR_COLUMNS = [
  'id',
  'tenantId',
  'connectionId',
  'type',
  'quickbooksId',
  ...MIRRORED,
  'updatedAt',
] as const;

export interface ReferenceFilter {
  type: ReferenceType;
  search?: string | null;
  includeInactive?: boolean | null;
}

/** Needed from the connection service without a dependency cycle. */
export interface ClientProvider {
  clientFor(connection: ConnectionEntity): QuickBooksClient;
}

/**
 * The mirror of a connection's QuickBooks lists (Werx's initial import and "Sync" button): imported as a
 * REFERENCE_IMPORT batch with one item per list, upserted by (connection, type, QuickBooks id), inactive objects kept
 * and flagged.
 */
export class ReferenceService {
  /** DESKTOP connections import through the Web Connector's queue instead (src/desktop); wired at start-up. */
  desktop?: { plan(batch: SyncBatchEntity, connection: ConnectionEntity): Promise<void> };
  private readonly rows: Repository<ReferenceEntityRow>;
  private readonly connections: Repository<ConnectionEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchService,
    private readonly jobs: JobEnqueuer,
    private readonly events: ConnectionEvents,
    private readonly clients: ClientProvider,
    private readonly logger: Logger,
  ) {
    this.rows = dataSource.getRepository(ReferenceEntityRow);
    this.connections = dataSource.getRepository(ConnectionEntity);
  }

  /** Queues an import of the given lists (all by default) and returns its batch. */
  async startImport(
    connection: ConnectionEntity,
    types: readonly ReferenceType[] = REFERENCE_TYPES,
    manager?: EntityManager,
  ) {
    const unique = [...new Set(types.length ? types : REFERENCE_TYPES)];
    const run = async (tx: EntityManager) => {
      const batch = await this.batches.create(tx, {
        tenantId: connection.tenantId,
        connectionId: connection.id,
        kind: 'REFERENCE_IMPORT',
        items: unique.map((type) => ({
          entityType: QUICKBOOKS_ENTITY[type],
          entityId: type,
          label: LABEL[type],
        })),
        parameters: { types: unique },
      });
      await this.jobs.enqueue('reference.import', { batchId: batch.id }, { manager: tx });
      return batch;
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /** The job: imports every pending list of the batch (lists in parallel; the realm's governor bounds the calls). */
  async runImport(batchId: string): Promise<void> {
    const batch = await this.batches.findById(batchId);
    if (!batch) return;
    const connection = await this.connections.findOneBy({ id: batch.connectionId });
    if (!connection) return;
    if (connection.environment === 'DESKTOP' && this.desktop) return this.desktop.plan(batch, connection);
    await this.batches.start(batchId);
    const client = this.clients.clientFor(connection);
    const pending = await this.batches.pendingItems(batchId);
    await Promise.all(
      pending.map(async (item) => {
        const type = item.entityId as ReferenceType;
        try {
          const count = await syncScope.run(
            {
              tenantId: connection.tenantId,
              connectionId: connection.id,
              batchId,
              entityType: QUICKBOOKS_ENTITY[type],
              entityId: type,
              label: LABEL[type],
              action: 'READ',
            },
            () => this.importType(client, connection, type),
          );
          this.logger.debug({ batchId, type, count }, 'imported reference list');
          await this.batches.recordItem(batchId, item.seq, { status: 'SUCCEEDED' });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          await this.batches.recordItem(batchId, item.seq, {
            status: 'FAILED',
            error: toStoredError(error, 'FROM_QUICKBOOKS'),
          });
        }
      }),
    );
    const finished = await this.batches.finish(batchId);
    if (finished.succeeded > 0) {
      await this.connections.update({ id: connection.id }, { lastReferenceSyncAt: new Date() });
      this.events.publish(connection.id, 'REFERENCE_DATA_CHANGED', {
        message: `${finished.succeeded} lists imported`,
      });
    }
  }

  /** Pages a connection's mirrored list, searched by name (and SKU or e-mail). */
  async list(
    tenantId: string,
    connectionId: string,
    filter: ReferenceFilter,
    args: PageArgs,
  ): Promise<Page<ReferenceEntityRow>> {
    const query = this.rows
      .createQueryBuilder('r')
      .where('r.tenantId = :tenantId AND r.connectionId = :connectionId AND r.type = :type', {
        tenantId,
        connectionId,
        type: filter.type,
      });
    if (!filter.includeInactive) query.andWhere('r.active = :active', { active: true });
    if (filter.search?.trim()) {
      query.andWhere(
        "(r.name LIKE :like ESCAPE '!' OR r.sku LIKE :like ESCAPE '!' OR r.email LIKE :like ESCAPE '!')",
        {
          like: containsPattern(filter.search.trim()),
        },
      );
    }
    return paginate(query, args, { defaultSize: 50 });
  }

  async get(tenantId: string, id: string): Promise<ReferenceEntityRow> {
    const row = await this.rows.findOneBy({ id, tenantId });
    if (!row) throw notFound('Reference entity', id);
    return row;
  }

  /** The mirrored objects with these QuickBooks ids. */
  async findByQuickbooksIds(
    connectionId: string,
    type: ReferenceType,
    ids: string[],
  ): Promise<ReferenceEntityRow[]> {
    if (ids.length === 0) return [];
    return this.rows
      .createQueryBuilder('r')
      .where('r.connectionId = :connectionId AND r.type = :type AND r.quickbooksId IN (:...ids)', {
        connectionId,
        type,
        ids,
      })
      .getMany();
  }

  /** The match keys of a mirrored list (name, e-mail, SKU), for building an in-memory index. */
  async matchIndex(
    connectionId: string,
    type: ReferenceType,
  ): Promise<
    Array<Pick<ReferenceEntityRow, 'quickbooksId' | 'name' | 'email' | 'sku' | 'currency' | 'active'>>
  > {
    return this.rows
      .createQueryBuilder('r')
      .select(['r.quickbooksId', 'r.name', 'r.email', 'r.sku', 'r.currency', 'r.active'])
      .where('r.connectionId = :connectionId AND r.type = :type', { connectionId, type })
      .getMany();
  }

  /**
   * Partners' customers and products linked to QuickBooks records (two-way sync): what `postOrders` maps an order's
   * customer name or line SKU to when it equals a record's externalId.
   */
  async partnerLinks(
    connectionId: string,
  ): Promise<Array<Pick<PartnerRecordEntity, 'type' | 'channel' | 'externalId' | 'quickbooksId'>>> {
    return this.rows.manager
      .getRepository(PartnerRecordEntity)
      .createQueryBuilder('p')
      .select(['p.type', 'p.channel', 'p.externalId', 'p.quickbooksId'])
      .where('p.connectionId = :connectionId AND p.quickbooksId IS NOT NULL', { connectionId })
      .getMany();
  }

  /** Writes QuickBooks objects into the mirror (also used when posting creates customers and items). */
  async upsert(
    connection: ConnectionEntity,
    type: ReferenceType,
    objects: QuickBooksEntity[],
  ): Promise<void> {
    await writeMirrorRows(
      this.dataSource.manager,
      objects.map((object) => toRow(connection, type, object)),
    );
  }

  private async importType(
    client: QuickBooksClient,
    connection: ConnectionEntity,
    type: ReferenceType,
  ): Promise<number> {
    const entity = QUICKBOOKS_ENTITY[type];
    // TaxCode and TaxRate have no Active filter in some companies' data; `Active IN (true,false)` is accepted by all.
    let buffer: QuickBooksEntity[] = [];
    let count = 0;
    for await (const object of client.queryAll(entity, 'Active IN (true, false)')) {
      buffer.push(object);
      if (buffer.length >= UPSERT_CHUNK) {
        await this.upsert(connection, type, buffer);
        count += buffer.length;
        buffer = [];
      }
    }
    await this.upsert(connection, type, buffer);
    return count + buffer.length;
  }
}

/**
 * Inserts or updates mirror rows by (connection, type, QuickBooks id), inside `manager`'s transaction if it has one,
 * keeping each row's id (ids are exposed and must stay stable). Raw SQL, UPSERT_CHUNK rows a statement: TypeORM's
 * builder wrote one statement per row here. Used by the import, posting's creations and the two-way sync. Outside a
 * transaction a statement MySQL picked as a deadlock victim runs again (two imports of one company may overlap).
 */
export async function writeMirrorRows(manager: EntityManager, rows: MirrorRow[]): Promise<void> {
  const dialect = dialectOf(manager.connection);
  for (let start = 0; start < rows.length; start += UPSERT_CHUNK) {
    await retryDeadlocks(manager, () =>
      upsertRows(
        manager,
        dialect,
        'reference_entities',
        MIRROR_COLUMNS,
        rows
          .slice(start, start + UPSERT_CHUNK)
          .map((row) => [
            row.id,
            row.tenantId,
            row.connectionId,
            row.type,
            row.quickbooksId,
            row.name,
            row.kind,
            row.sku,
            row.email,
            row.currency,
            row.active ? 1 : 0,
            row.syncToken,
            row.quickbooksUpdatedAt ? toDbTime(dialect, row.quickbooksUpdatedAt) : null,
            JSON.stringify(row.data),
            toDbTime(dialect, row.updatedAt),
          ]),
        ['connectionId', 'type', 'quickbooksId'],
        [...MIRRORED, 'updatedAt'],
      ),
    );
  }
}

export type MirrorRow = ReturnType<typeof toRow>;

/** The mirror row of a QuickBooks object (also used by the two-way sync's mirror writes). */
export function toRow(
  connection: Pick<ConnectionEntity, 'id' | 'tenantId'>,
  type: ReferenceType,
  object: QuickBooksEntity,
) {
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const meta = object.MetaData as { LastUpdatedTime?: string } | undefined;
  const name =
    text(object.FullyQualifiedName) ??
    text(object.DisplayName) ??
    text(object.Name) ??
    `#${String(object.Id)}`;
  const kind = text(object.AccountType) ?? text(object.Type);
  const email = text((object.PrimaryEmailAddr as { Address?: string } | undefined)?.Address);
  return {
    id: newId('referenceEntity'),
    tenantId: connection.tenantId,
    connectionId: connection.id,
    type,
    quickbooksId: String(object.Id),
    name: name.slice(0, 500),
    kind,
    sku: text(object.Sku)?.slice(0, 100) ?? null,
    email: email?.slice(0, 255) ?? null,
    currency: text((object.CurrencyRef as { value?: string } | undefined)?.value)?.slice(0, 3) ?? null,
    active: object.Active !== false,
    syncToken: text(object.SyncToken),
    quickbooksUpdatedAt: meta?.LastUpdatedTime ? new Date(meta.LastUpdatedTime) : null,
    data: object as Record<string, unknown>,
    updatedAt: new Date(),
  };
}

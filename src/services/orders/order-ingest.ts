import type { DataSource, EntityManager, Repository } from 'typeorm';
import { ConnectionEntity, OrderEntity, type OrderStatus } from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import {
  MAX_ORDERS_PER_CALL,
  checkChannel,
  prepareOrders,
  type OrderContent,
  type OrderInputData,
  type PreparedOrder,
} from './order-input';
import { dialectOf, writeConflict } from '../../db/sql';

/**
 * Orders whose content a re-send may replace; the others are on their way to QuickBooks (or being taken out of it),
 * and replacing their content under the worker could make it look for the wrong DocNumber.
 */
const REPLACEABLE: ReadonlySet<OrderStatus> = new Set(['NEW', 'FAILED', 'ARCHIVED', 'POSTED']);

/** Rows per INSERT: ~30 columns each keeps a statement well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 100;
/** Tries of an upsert that loses a race with a concurrent call (duplicate key, deadlock). */
const WRITE_ATTEMPTS = 5;

export interface UpsertOrdersResult {
  /** Every order of the call, in the order sent. */
  orders: OrderEntity[];
  /** Orders that did not exist. */
  created: number;
  /** Existing orders whose content was replaced (not counting queued/posted orders that were only flagged). */
  updated: number;
}

/** Columns a re-send replaces (everything that comes from the channel, and when it changed). */
const CONTENT_COLUMNS: Array<keyof OrderContent | 'updatedAt'> = [
  'orderNumber',
  'orderDate',
  'currency',
  'exchangeRate',
  'customerName',
  'customerEmail',
  'customer',
  'lines',
  'charges',
  'discountTotal',
  'taxTotal',
  'total',
  'paymentMethod',
  'notes',
  'contentHash',
  'updatedAt',
];

/**
 * The write path of `OrderService.upsert`: validates a call's orders, then stores them in one transaction with
 * bulk statements, running the call again when it loses a race with a concurrent one.
 */
export class OrderIngest {
  private readonly connections: Repository<ConnectionEntity>;
  private readonly lockRows: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.connections = dataSource.getRepository(ConnectionEntity);
    // SQLite has one writer at a time and no row locks; MySQL needs FOR UPDATE to read-then-write safely.
    this.lockRows = dialectOf(dataSource) === 'mysql';
  }

  /**
   * Creates or updates a channel's orders, idempotent by (connection, channel, externalId). One transaction: any
   * invalid order rejects the whole call with BAD_USER_INPUT naming `orders.<index>.<field>`, and nothing is
   * written. Re-sending the same content writes nothing; different content replaces a NEW, FAILED or ARCHIVED
   * order and only flags (`modifiedAfterPosting`) a QUEUED, POSTING or POSTED one, which QuickBooks keeps as posted.
   * Costs a constant number of statements per 100 orders, never one per order.
   */
  async upsert(
    tenantId: string,
    connectionId: string,
    channel: string,
    inputs: readonly OrderInputData[],
  ): Promise<UpsertOrdersResult> {
    if (inputs.length > MAX_ORDERS_PER_CALL) {
      throw badInput(
        'orders',
        `at most ${MAX_ORDERS_PER_CALL} orders a call (got ${inputs.length}); split the call`,
      );
    }
    checkChannel(channel);
    const connection = await this.connections.findOneBy({ id: connectionId, tenantId });
    if (!connection) throw notFound('Connection', connectionId);
    const prepared = prepareOrders(inputs);
    if (prepared.length === 0) return { orders: [], created: 0, updated: 0 };

    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.writeOrders(tenantId, connectionId, channel, prepared);
      } catch (error) {
        // Another call stored one of these orders between our read and our insert (a duplicate key), or MySQL
        // chose us as a deadlock victim: run again, now seeing the other call's rows.
        const conflict = writeConflict(error);
        if (!conflict) throw error;
        if (attempt >= WRITE_ATTEMPTS) {
          throw new AppError(
            'CONFLICT',
            conflict === 'duplicate'
              ? 'orders: the same orders are being stored by another call at this moment, or two external ids ' +
                  'differ only in letter case or trailing spaces (which this database treats as equal)'
              : 'orders: other calls are storing orders of this channel at this moment',
            { field: 'orders', hint: 'send the call again' },
          );
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  private async writeOrders(
    tenantId: string,
    connectionId: string,
    channel: string,
    prepared: PreparedOrder[],
  ): Promise<UpsertOrdersResult> {
    // READ COMMITTED on MySQL: no gap locks on the ids we look up and do not find, so concurrent calls inserting
    // neighbouring orders do not deadlock; a real race ends in a duplicate key, which upsert() retries.
    const run = (work: (manager: EntityManager) => Promise<UpsertOrdersResult>) =>
      this.lockRows ? this.dataSource.transaction('READ COMMITTED', work) : this.dataSource.transaction(work);
    return run(async (manager) => {
      const existing = await this.existingOrders(manager, connectionId, channel, prepared);
      const now = new Date();
      const inserts: OrderEntity[] = [];
      const replacements: OrderEntity[] = [];
      const flagged: string[] = [];
      const results = prepared.map((order): OrderEntity => {
        const current = existing.get(order.externalId);
        if (!current) {
          const row: OrderEntity = {
            id: newId('order'),
            tenantId,
            connectionId,
            channel,
            externalId: order.externalId,
            ...order.content,
            status: 'NEW',
            postedTransaction: null,
            postedTransactionId: null,
            postedAt: null,
            modifiedAfterPosting: false,
            lastError: null,
            postingGeneration: 0,
            postingBatchId: null,
            sentAt: null,
            statusBeforeUndo: null,
            createdAt: now,
            updatedAt: now,
          };
          inserts.push(row);
          return row;
        }
        if (current.contentHash === order.content.contentHash) return current;
        if (REPLACEABLE.has(current.status)) {
          // An order already in QuickBooks keeps its transaction and is flagged: postOrders brings QuickBooks up to date.
          const modifiedAfterPosting = current.modifiedAfterPosting || current.postedTransaction !== null;
          const row: OrderEntity = { ...current, ...order.content, modifiedAfterPosting, updatedAt: now };
          replacements.push(row);
          return row;
        }
        // Queued or being posted: only flagged (re-send it once the posting is done to bring the new content).
        if (!current.modifiedAfterPosting) flagged.push(current.id);
        return { ...current, modifiedAfterPosting: true };
      });

      // The same order of keys in every call: concurrent calls lock rows in the same sequence.
      inserts.sort(byExternalId);
      replacements.sort(byExternalId);
      for (let start = 0; start < inserts.length; start += INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(OrderEntity)
          .values(inserts.slice(start, start + INSERT_CHUNK))
          .updateEntity(false)
          .execute();
      }
      // Replacements are written as inserts that collide on the primary key and update the content columns:
      // one statement per chunk on both dialects (ON DUPLICATE KEY UPDATE / ON CONFLICT DO UPDATE).
      for (let start = 0; start < replacements.length; start += INSERT_CHUNK) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(OrderEntity)
          .values(replacements.slice(start, start + INSERT_CHUNK))
          .orUpdate([...CONTENT_COLUMNS, 'modifiedAfterPosting'], ['id'])
          .updateEntity(false)
          .execute();
      }
      if (flagged.length > 0) {
        await manager
          .createQueryBuilder()
          .update(OrderEntity)
          .set({ modifiedAfterPosting: true })
          .where('id IN (:...ids)', { ids: flagged })
          .execute();
      }
      return { orders: results, created: inserts.length, updated: replacements.length };
    });
  }

  /** The call's orders that already exist, by external id, in one statement (locked on MySQL). */
  private async existingOrders(
    manager: EntityManager,
    connectionId: string,
    channel: string,
    prepared: PreparedOrder[],
  ): Promise<Map<string, OrderEntity>> {
    const query = manager
      .createQueryBuilder(OrderEntity, 'o')
      .where(
        'o.connectionId = :connectionId AND o.channel = :channel AND o.externalId IN (:...externalIds)',
        {
          connectionId,
          channel,
          externalIds: prepared.map((order) => order.externalId),
        },
      );
    if (this.lockRows) query.setLock('pessimistic_write');
    const rows = await query.getMany();
    const byExternalId = new Map(rows.map((row) => [row.externalId, row]));
    // MySQL's case-insensitive collation can match an id that differs in case: refuse rather than guess.
    for (const row of rows) {
      if (prepared.some((order) => order.externalId === row.externalId)) continue;
      const order = prepared.find((candidate) => sameUnderCollation(candidate.externalId, row.externalId));
      throw badInput(
        order ? `orders.${order.index}.externalId` : 'orders',
        `equals the existing order's external id "${row.externalId}" apart from letter case, accents or trailing ` +
          'spaces, which this database does not tell apart',
      );
    }
    return byExternalId;
  }
}

/** Roughly what utf8mb4_unicode_ci considers equal: letter case, accents and trailing spaces ignored. */
function sameUnderCollation(a: string, b: string): boolean {
  return a.trimEnd().localeCompare(b.trimEnd(), undefined, { sensitivity: 'base' }) === 0;
}

const byExternalId = (a: OrderEntity, b: OrderEntity): number =>
  a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

import type { DataSource } from 'typeorm';
import { OrderEntity } from '../entities';
import {
  containsPattern,
  decodeCursor,
  encodeCursor,
  pageSize,
  type Page,
  type PageArgs,
} from './pagination';

/** The columns an API page of orders shows (no content hash, notes, payment method or posting bookkeeping). */
const PAGE_COLUMNS = [
  'id',
  'connectionId',
  'channel',
  'externalId',
  'orderNumber',
  'orderDate',
  'currency',
  'exchangeRate',
  'customer',
  'lines',
  'charges',
  'discountTotal',
  'taxTotal',
  'total',
  'status',
  'postedTransaction',
  'postedAt',
  'modifiedAfterPosting',
  'lastError',
] as const satisfies ReadonlyArray<keyof OrderEntity>;

/** An order as a page shows it: what `toOrderType` reads. */
export type OrderPageRow = Pick<OrderEntity, (typeof PAGE_COLUMNS)[number]>;

export interface OrderPageQuery {
  tenantId: string;
  connectionId?: string | null;
  /** Undefined: any status; empty: none. */
  statuses?: readonly string[];
  search?: string | null;
  orderDateFrom?: Date | null;
  orderDateTo?: Date | null;
}

/**
 * The orders list, newest first, as two plain statements (the page, one row more than asked, and the count) on the
 * page's columns, hydrated with the columns' own conversions (JSON, money, dates, booleans). The hottest read of the
 * API: TypeORM's query builder and entity hydration cost more here than the database (bench/api).
 */
export class OrderPageReader {
  private readonly columns;

  constructor(private readonly dataSource: DataSource) {
    const metadata = dataSource.getMetadata(OrderEntity);
    this.columns = PAGE_COLUMNS.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`orders has no column for ${property}`);
      return { property, name: column.databaseName, column };
    });
  }

  async page(query: OrderPageQuery, args: PageArgs): Promise<Page<OrderPageRow>> {
    const size = pageSize(args.first, 50);
    const driver = this.dataSource.driver;
    const column = (property: string) => this.columns.find((c) => c.property === property)!.column;
    const where = ['`tenantId` = ?'];
    const params: unknown[] = [query.tenantId];
    if (query.connectionId) {
      where.push('`connectionId` = ?');
      params.push(query.connectionId);
    }
    if (query.statuses) {
      if (query.statuses.length === 0) where.push('1 = 0');
      else {
        where.push(`\`status\` IN (${query.statuses.map(() => '?').join(', ')})`);
        params.push(...query.statuses);
      }
    }
    const search = query.search?.trim();
    if (search) {
      const like = containsPattern(search);
      where.push(
        "(`orderNumber` LIKE ? ESCAPE '!' OR `customerName` LIKE ? ESCAPE '!' OR `customerEmail` LIKE ? ESCAPE '!')",
      );
      params.push(like, like, like);
    }
    if (query.orderDateFrom) {
      where.push('`orderDate` >= ?');
      params.push(driver.preparePersistentValue(query.orderDateFrom, column('orderDate')));
    }
    if (query.orderDateTo) {
      where.push('`orderDate` <= ?');
      params.push(driver.preparePersistentValue(query.orderDateTo, column('orderDate')));
    }
    const filtered = where.join(' AND ');
    const pageWhere = args.after ? `${filtered} AND \`id\` < ?` : filtered;
    const pageParams = args.after ? [...params, decodeCursor(args.after)] : params;
    const select = this.columns.map((c) => `\`${c.name}\``).join(', ');
    const [rows, counted] = await Promise.all([
      this.dataSource.query<Array<Record<string, unknown>>>(
        `SELECT ${select} FROM \`orders\` WHERE ${pageWhere} ORDER BY \`id\` DESC LIMIT ${size + 1}`,
        pageParams,
      ),
      this.dataSource.query<Array<{ count: number | string }>>(
        `SELECT COUNT(*) AS \`count\` FROM \`orders\` WHERE ${filtered}`,
        params,
      ),
    ]);
    const nodes = rows.slice(0, size).map((raw) => {
      const row: Record<string, unknown> = {};
      for (const c of this.columns) row[c.property] = driver.prepareHydratedValue(raw[c.name], c.column);
      return row as OrderPageRow;
    });
    return {
      nodes,
      cursors: nodes.map((node) => encodeCursor(node.id)),
      hasNextPage: rows.length > size,
      hasPreviousPage: Boolean(args.after),
      totalCount: Number(counted[0]?.count ?? 0),
    };
  }
}

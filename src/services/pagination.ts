import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { AppError } from '../errors';

/** One page of a list ordered by id (ids are time-ordered, so this is creation order and cursors are stable). */
export interface Page<T> {
  nodes: T[];
  /** Cursor of each node, in order. */
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export const MAX_PAGE_SIZE = 500;

/**
 * A pattern for `LIKE :like ESCAPE '!'` that matches values containing `text` literally. '!' is the escape character
 * because a backslash means different things in MySQL and SQLite string literals.
 */
export const containsPattern = (text: string): string => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

export const encodeCursor = (id: string): string => Buffer.from(`c:${id}`).toString('base64url');

export function decodeCursor(cursor: string, field = 'after'): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c:') || text.length < 3)
    throw new AppError('BAD_USER_INPUT', `${field}: not a cursor of this list`, { field });
  return text.slice(2);
}

export function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `first: must be between 0 and ${MAX_PAGE_SIZE}`, { field: 'first' });
  }
  return size;
}

/**
 * Pages a query builder by `<alias>.id` ascending (or descending). Two statements: the page (one row more than asked,
 * to know whether another page follows) and the total count of the filtered list.
 */
export async function paginate<T extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<T>,
  args: PageArgs,
  options: { defaultSize: number; descending?: boolean },
): Promise<Page<T>> {
  const size = pageSize(args.first, options.defaultSize);
  const alias = query.alias;
  const totalCount = await query.clone().getCount();
  const pageQuery = query.clone();
  if (args.after) {
    pageQuery.andWhere(`${alias}.id ${options.descending ? '<' : '>'} :afterId`, {
      afterId: decodeCursor(args.after),
    });
  }
  const rows = await pageQuery
    .orderBy(`${alias}.id`, options.descending ? 'DESC' : 'ASC')
    .take(size + 1)
    .getMany();
  const nodes = rows.slice(0, size);
  return {
    nodes,
    cursors: nodes.map((node) => encodeCursor(node.id)),
    hasNextPage: rows.length > size,
    hasPreviousPage: Boolean(args.after),
    totalCount,
  };
}

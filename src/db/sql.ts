import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Raw SQL for the hot paths (posting writes a few rows per order; TypeORM's query builder costs more than the
 * database there). Everything here is portable between MySQL/MariaDB and SQLite: positional `?` parameters,
 * identifiers in backticks (SQLite accepts them too; `lines` is reserved in MySQL), CASE instead of upserts.
 */
export type Dialect = 'mysql' | 'sqlite';

export function dialectOf(dataSource: DataSource): Dialect {
  const { type } = dataSource.options;
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'better-sqlite3') return 'sqlite';
  throw new Error(`unsupported database type ${type}`);
}

/**
 * A time as a query parameter. MySQL gets the `Date` (mysql2 writes it in the connection's time zone, 'Z'); SQLite
 * gets the exact text TypeORM writes for DATETIME columns, because SQLite compares these times as strings.
 */
export function toDbTime(dialect: Dialect, date: Date): Date | string {
  if (dialect === 'mysql') return date;
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Rows of an entity by primary key, as entities: one plain statement on every column, hydrated with the columns' own
 * conversions (JSON, money, dates, booleans). TypeORM's `findBy` runs the same statement, but its generic hydration
 * (aliases, relation joins) costs more than SQLite's work for wide rows, on the event loop: posting and invoice sending
 * read 300 orders a window this way. Ids not found are left out; order is the database's.
 */
export async function findByIds<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  ids: readonly string[],
): Promise<T[]> {
  if (ids.length === 0) return [];
  const metadata = dataSource.getMetadata(entity);
  const [primary] = metadata.primaryColumns;
  const driver = dataSource.driver;
  const select = metadata.columns.map((column) => id(column.databaseName)).join(', ');
  const found: T[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows = await dataSource.query<Array<Record<string, unknown>>>(
      `SELECT ${select} FROM ${id(metadata.tableName)} WHERE ${id(primary.databaseName)} IN (${placeholders(chunk.length)})`,
      chunk,
    );
    for (const raw of rows) {
      const entityRow = metadata.create() as T;
      for (const column of metadata.columns) {
        column.setEntityValue(entityRow, driver.prepareHydratedValue(raw[column.databaseName], column));
      }
      found.push(entityRow);
    }
  }
  return found;
}

export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');

/** An identifier, quoted for both dialects. */
export const id = (name: string): string => `\`${name}\``;

/**
 * `UPDATE <table> SET <constant columns>, <col> = CASE <key> WHEN ? THEN ? ... ELSE <col> END ... WHERE <key> IN (...)
 * [AND <extra>]`: many rows with their own values in one statement.
 */
export async function updateEach<R>(
  manager: EntityManager,
  table: string,
  key: string,
  rows: readonly R[],
  keyOf: (row: R) => string | number,
  perRow: Record<string, (row: R) => unknown>,
  constant: Record<string, unknown> = {},
  extraWhere?: { sql: string; params: unknown[] },
): Promise<void> {
  if (rows.length === 0) return;
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of Object.entries(constant)) {
    sets.push(`${id(column)} = ?`);
    params.push(value);
  }
  for (const [column, valueOf] of Object.entries(perRow)) {
    sets.push(
      `${id(column)} = CASE ${id(key)} ${rows.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${id(column)} END`,
    );
    for (const row of rows) params.push(keyOf(row), valueOf(row));
  }
  params.push(...rows.map(keyOf));
  const where = `${id(key)} IN (${placeholders(rows.length)})${extraWhere ? ` AND ${extraWhere.sql}` : ''}`;
  if (extraWhere) params.push(...extraWhere.params);
  await manager.query(`UPDATE ${id(table)} SET ${sets.join(', ')} WHERE ${where}`, params);
}

/** A multi-row INSERT of plain values (JSON and times already converted). */
export async function insertRows(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<void> {
  if (rows.length === 0) return;
  const row = `(${placeholders(columns.length)})`;
  await manager.query(
    `INSERT INTO ${id(table)} (${columns.map(id).join(', ')}) VALUES ${rows.map(() => row).join(', ')}`,
    rows.flat(),
  );
}

/**
 * A multi-row INSERT that updates `update` of the rows whose `conflict` key exists already (values converted, as for
 * insertRows). MySQL's ON DUPLICATE KEY and SQLite's ON CONFLICT say the same thing here: the only unique keys
 * besides `conflict` are new ids.
 */
export async function upsertRows(
  manager: EntityManager,
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  conflict: readonly string[],
  update: readonly string[],
): Promise<void> {
  if (rows.length === 0) return;
  const row = `(${placeholders(columns.length)})`;
  const onConflict =
    dialect === 'mysql'
      ? `ON DUPLICATE KEY UPDATE ${update.map((c) => `${id(c)} = VALUES(${id(c)})`).join(', ')}`
      : `ON CONFLICT (${conflict.map(id).join(', ')}) DO UPDATE SET ${update.map((c) => `${id(c)} = excluded.${id(c)}`).join(', ')}`;
  await manager.query(
    `INSERT INTO ${id(table)} (${columns.map(id).join(', ')}) VALUES ${rows.map(() => row).join(', ')} ${onConflict}`,
    rows.flat(),
  );
}

/** Runs a write inside the caller's transaction and returns how many rows it changed. */
export async function execute(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('execute() needs a transaction manager');
  const result = (await runner.query(sql, params, true)) as { affected?: number };
  return result.affected ?? 0;
}

/** A write that lost a race with another call: worth running again. */
export function writeConflict(error: unknown): 'duplicate' | 'deadlock' | undefined {
  const code =
    (error as { driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  if (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  ) {
    return 'duplicate';
  }
  if (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT') return 'deadlock';
  return undefined;
}

/**
 * Runs a statement outside any transaction again when MySQL chose it as a deadlock victim (concurrent multi-row
 * upserts on one unique index can lock each other's gaps; InnoDB rolled the statement back, so running it again is
 * safe when it is idempotent). Inside a transaction the whole transaction was rolled back: the caller must retry it.
 */
export async function retryDeadlocks<T>(manager: EntityManager, statement: () => Promise<T>): Promise<T> {
  const inTransaction = manager.queryRunner?.isTransactionActive ?? false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await statement();
    } catch (error) {
      if (inTransaction || attempt >= DEADLOCK_ATTEMPTS || writeConflict(error) !== 'deadlock') throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

const DEADLOCK_ATTEMPTS = 5;

import type { DataSource, EntityManager } from 'typeorm';

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

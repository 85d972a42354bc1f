/**
 * The one TypeORM DataSource of the gateway. `DATABASE_URL=mysql://...` uses MySQL/MariaDB through mysql2; no
 * `DATABASE_URL` uses an embedded SQLite file (better-sqlite3). Migrations are committed per dialect and imported
 * explicitly (no globs), so they load the same way from `ts-jest` and from `dist/`. `synchronize` is always off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource, type Logger as TypeOrmLogger, type QueryRunner } from 'typeorm';
import type { DatabaseConfig } from './src/config';
import { ENTITIES } from './src/entities';
import { MYSQL_MIGRATIONS } from './src/migrations/mysql';
import { SQLITE_MIGRATIONS } from './src/migrations/sqlite';
import { BACKSTOP_PAGES, startSqliteUpkeep } from './src/db/sqlite-upkeep';

/** MySQL or MariaDB: TypeORM needs to know which, or it misreads MariaDB's column defaults. */
export type MysqlFlavor = 'mysql' | 'mariadb';

/**
 * Asks the server what it is and refuses versions without `SELECT ... FOR UPDATE SKIP LOCKED` (MySQL 8.0.1,
 * MariaDB 10.6), which the job queue needs.
 */
export async function detectMysqlFlavor(url: string): Promise<MysqlFlavor> {
  const connection = await createConnection(url);
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    const version = String((rows as Array<{ version: string }>)[0]?.version ?? '');
    const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
    const flavor: MysqlFlavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    const supported = flavor === 'mariadb' ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
    if (!supported) {
      throw new Error(
        `${flavor} ${version} is too old: the gateway needs MySQL 8.0.1+ or MariaDB 10.6+ (SKIP LOCKED)`,
      );
    }
    return flavor;
  } finally {
    await connection.end();
  }
}

/** Creates and initializes the DataSource (no migrations run here). */
export async function initializeDataSource(db: DatabaseConfig, logger?: TypeOrmLogger): Promise<DataSource> {
  const flavor = db.type === 'mysql' ? await detectMysqlFlavor(db.url) : undefined;
  const dataSource = await createDataSource(db, { flavor, logger }).initialize();
  if (db.type === 'sqlite') {
    serializeTransactions(dataSource);
    beginImmediate(dataSource);
    if (db.url !== ':memory:') upkeepOffThread(dataSource, db.url);
  }
  return dataSource;
}

/** The SQLite file's checkpoints and planner statistics run on a thread of their own (sqlite-upkeep.ts) until destroy(). */
function upkeepOffThread(dataSource: DataSource, file: string): void {
  const upkeep = startSqliteUpkeep(file, {
    // New statistics from the thread: this connection reloads them (cheap; see sqlite-upkeep.ts).
    onAnalyzed: () => void dataSource.query('ANALYZE sqlite_schema').catch(() => undefined),
  });
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await upkeep.stop();
    return destroy();
  };
}

/**
 * better-sqlite3 gives TypeORM one connection for everything, so two transactions started at once collide ("cannot
 * start a transaction within a transaction"). On SQLite, transactions therefore take turns. Code must not start a
 * transaction inside another's callback (pass the `EntityManager` down instead) and must not rely on `save()`'s
 * implicit transactions.
 */
function serializeTransactions(dataSource: DataSource): void {
  const manager = dataSource.manager;
  const original = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  manager.transaction = (...args: unknown[]) => {
    const run = tail.then(() => original(...args));
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * SQLite transactions take the write lock when they begin (`BEGIN IMMEDIATE`). A deferred transaction that read first
 * and writes later fails at once with SQLITE_BUSY ("database is locked", no busy wait) when the job worker's own
 * connection wrote in between; an immediate one waits its turn (busy_timeout) instead.
 */
function beginImmediate(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { createQueryRunner(mode?: unknown): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const patched = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: unknown) => {
    const runner = create(mode);
    if (!patched.has(runner)) {
      patched.add(runner);
      const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
      (runner as unknown as { query: typeof query }).query = (sql, ...rest) =>
        query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest);
    }
    return runner;
  };
}

export function createDataSource(
  db: DatabaseConfig,
  options: { flavor?: MysqlFlavor; logger?: TypeOrmLogger } = {},
): DataSource {
  const { logger } = options;
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    logger,
    logging: logger ? true : false,
  };
  if (db.type === 'mysql') {
    return new DataSource({
      ...common,
      type: options.flavor ?? 'mysql',
      url: db.url,
      migrations: MYSQL_MIGRATIONS,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      poolSize: 20,
      // Read DECIMAL as strings (exact money) and DATETIME as UTC.
      supportBigNumbers: true,
      bigNumberStrings: false,
      extra: { decimalNumbers: false },
    });
  }
  if (db.url !== ':memory:') fs.mkdirSync(path.dirname(db.url), { recursive: true });
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: db.url,
    migrations: SQLITE_MIGRATIONS,
    enableWAL: true,
    prepareDatabase: (conn: { pragma(sql: string): unknown }) => {
      conn.pragma('busy_timeout = 5000');
      conn.pragma('foreign_keys = ON');
      conn.pragma('synchronous = NORMAL');
      conn.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    },
  });
}

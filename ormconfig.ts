/**
 * The one TypeORM DataSource of the gateway. `DATABASE_URL=mysql://...` uses MySQL/MariaDB through mysql2; no
 * `DATABASE_URL` uses an embedded SQLite file (better-sqlite3). Migrations are committed per dialect and imported
 * explicitly (no globs), so they load the same way from `ts-jest` and from `dist/`. `synchronize` is always off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import type { DatabaseConfig } from './src/config';
import { ENTITIES } from './src/entities';
import { MYSQL_MIGRATIONS } from './src/migrations/mysql';
import { SQLITE_MIGRATIONS } from './src/migrations/sqlite';

export function createDataSource(db: DatabaseConfig, logger?: TypeOrmLogger): DataSource {
  const common = { entities: ENTITIES, synchronize: false, migrationsRun: false, logger, logging: logger ? true : false };
  if (db.type === 'mysql') {
    return new DataSource({
      ...common,
      type: 'mysql',
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
    },
  });
}

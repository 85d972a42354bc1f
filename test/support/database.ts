import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

export type Dialect = 'sqlite' | 'mysql';

/** SQLite always; MySQL/MariaDB too when TEST_DATABASE_URL is set (CI sets it). */
export const DIALECTS: Dialect[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestDatabase {
  dialect: Dialect;
  /** A DATABASE_URL for the gateway's config. */
  url: string;
  /** A scratch directory for the gateway's data dir. */
  dataDir: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database per call: a new SQLite file, or a uniquely named database on the TEST_DATABASE_URL server,
 * so test files running in parallel never share state.
 */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-test-'));
  if (dialect === 'sqlite') {
    const file = path.join(dataDir, 'gateway.sqlite');
    return {
      dialect,
      url: `sqlite:${file}`,
      dataDir,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `${new URL(base).pathname.slice(1) || 'test'}_${suffix}`.slice(0, 64);
  const server = await createConnection(base);
  await server.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await server.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    dataDir,
    drop: async () => {
      const conn = await createConnection(base);
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKSTOP_PAGES, startSqliteUpkeep } from '../../src/db/sqlite-upkeep';
import { until } from '../support/wait';

/** The few calls of better-sqlite3 used here (the package ships no types, and only this test needs them). */
interface Connection {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...values: unknown[]): unknown; get(): unknown; all(...values: unknown[]): unknown[] };
  transaction(work: () => void): () => void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS driver
const Database = require('better-sqlite3') as new (file: string) => Connection;

/** An app-like connection to a new file: WAL, and auto-checkpoints only at the backstop. */
function openFile(): { db: Connection; file: string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-upkeep-'));
  const file = path.join(dir, 'db.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  return { db, file, dispose: () => (db.close(), fs.rmSync(dir, { recursive: true, force: true })) };
}

describe('SQLite upkeep off the event loop', () => {
  it('copies the write-ahead log into the database file from its own thread, and stops', async () => {
    const { db, file, dispose } = openFile();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(500));
    })();
    const before = fs.statSync(file).size;
    const upkeep = startSqliteUpkeep(file, { checkpointEveryMs: 20 });
    try {
      // The rows reach the database file itself only through a checkpoint, and this connection runs none.
      await until(() => fs.statSync(file).size > before + 500_000);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2_000 });
    } finally {
      await upkeep.stop();
      dispose();
    }
  });

  it('keeps the planner statistics that make it look orders up by primary key, not walk a tenant', async () => {
    const { db, file, dispose } = openFile();
    db.exec(
      'CREATE TABLE orders (id VARCHAR(40) PRIMARY KEY, tenantId VARCHAR(40), status VARCHAR(16)); ' +
        'CREATE INDEX IDX_orders_tenant_status ON orders (tenantId, status)',
    );
    const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(`ord_${i}`, 'ten_1', 'NEW');
    })();
    // postOrders' claim asks for 1,000 orders of a tenant at a time.
    const ids = Array.from({ length: 1_000 }, (_, i) => `ord_${i}`);
    const plan = () =>
      JSON.stringify(
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT id FROM orders WHERE tenantId = ? AND id IN (${ids.map(() => '?').join(', ')})`,
          )
          .all('ten_1', ...ids),
      );
    // Without statistics SQLite takes the tenant's index (it guesses an equality there is selective).
    expect(plan()).toContain('IDX_orders_tenant_status');
    let analyzed = 0;
    const upkeep = startSqliteUpkeep(file, {
      optimizeEveryMs: 20,
      onAnalyzed: () => {
        analyzed++;
        db.exec('ANALYZE sqlite_schema'); // what the app's connection does (ormconfig.ts)
      },
    });
    try {
      await until(() => analyzed > 0);
      // With the statistics it knows the tenant's 20,000 orders: 1,000 look-ups by primary key instead.
      expect(plan()).toContain('sqlite_autoindex_orders_1 (id=?)');
    } finally {
      await upkeep.stop();
      dispose();
    }
  });
});

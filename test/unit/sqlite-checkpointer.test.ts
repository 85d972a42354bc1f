import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The few calls of better-sqlite3 used here (the package ships no types, and only this test needs them). */
interface Connection {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...values: unknown[]): unknown; get(): unknown };
  transaction(work: () => void): () => void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS driver
const Database = require('better-sqlite3') as new (file: string) => Connection;
import { BACKSTOP_PAGES, startCheckpointer } from '../../src/sqlite-checkpointer';
import { until } from '../support/wait';

describe('SQLite checkpoints off the event loop', () => {
  it('copies the write-ahead log into the database file from its own thread, and stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-checkpoint-'));
    const file = path.join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`); // as the app's connections: this one never checkpoints here
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(500));
    })();
    const before = fs.statSync(file).size;
    const checkpointer = startCheckpointer(file, 20);
    try {
      // The rows reach the database file itself only through a checkpoint, and this connection runs none.
      await until(() => fs.statSync(file).size > before + 500_000);
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2_000 });
    } finally {
      await checkpointer.stop();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

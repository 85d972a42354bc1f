import fs from 'node:fs';
import path from 'node:path';

/** Owner-only: the data folder holds the database, emulator tokens and client secret, and keys. */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/**
 * Creates the data folder owner-only (0700), tightens it if it exists, and makes the files it holds owner-only
 * (0600), including ones left by an earlier version. With an SQLite database in it, the database file is created
 * 0600 before SQLite opens it (SQLite gives its -wal and -shm files the database file's permissions).
 */
export function secureDataDir(dataDir: string, sqliteFile?: string): void {
  if (process.platform === 'win32') return;
  fs.mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  fs.chmodSync(dataDir, DATA_DIR_MODE);
  if (
    sqliteFile &&
    sqliteFile !== ':memory:' &&
    path.dirname(path.resolve(sqliteFile)) === path.resolve(dataDir)
  ) {
    fs.closeSync(fs.openSync(sqliteFile, 'a', DATA_FILE_MODE));
  }
  for (const entry of fs.readdirSync(dataDir, { withFileTypes: true })) {
    if (entry.isFile()) fs.chmodSync(path.join(dataDir, entry.name), DATA_FILE_MODE);
  }
}

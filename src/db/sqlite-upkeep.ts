import { Worker } from 'node:worker_threads';

/**
 * Upkeep of the SQLite file, on a thread of its own with its own connection, so none of it runs on the event loop:
 *
 * - **Checkpoints.** The write-ahead log is copied back into the database file by checkpoints. By default the
 *   connection that commits the 1,000th page runs one, synchronously and with an fsync: on better-sqlite3 that is the
 *   event loop, and half of what commits cost in a posting run was this. Here a PASSIVE checkpoint (it never waits for
 *   or blocks readers and writers) runs every `checkpointEveryMs`; the app's connections keep auto-checkpointing only
 *   as a backstop, at BACKSTOP_PAGES (if this thread stopped, the log would still be bounded).
 * - **Planner statistics.** Without them SQLite guesses that any indexed equality is selective, so
 *   `tenantId = ? AND id IN (…1,000 ids)` walked every order of the tenant by (tenantId, status) instead of looking up
 *   1,000 primary keys: postOrders of 30,000 orders took 2.6 s instead of 1.0. `PRAGMA optimize=0x10002` (ANALYZE,
 *   sampled, of the tables whose size changed tenfold since) runs at start and every `optimizeEveryMs`; when it
 *   changed the statistics, `onAnalyzed` tells the app, whose connection must reload them (`ANALYZE sqlite_schema`:
 *   a read of the small statistics table, not an analysis) — a connection does not see another's new statistics.
 *
 * The thread's code is inline (`eval`), so it runs the same from `dist/` and under ts-jest.
 */
export const BACKSTOP_PAGES = 10_000;

const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// Busy (the app is writing) or closing: the next turn, or the backstop, does it.
const attempt = (pragma) => { try { db.pragma(pragma); } catch {} };
const statistics = () => {
  try { return JSON.stringify(db.prepare('SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx').all()); }
  catch { return ''; } // no statistics yet
};
let known = statistics();
const optimize = () => {
  attempt('optimize=0x10002');
  const now = statistics();
  if (now !== known) { known = now; parentPort.postMessage('analyzed'); }
};
optimize();
const timers = [
  setInterval(() => attempt('wal_checkpoint(PASSIVE)'), workerData.checkpointEveryMs),
  setInterval(optimize, workerData.optimizeEveryMs),
];
parentPort.on('message', () => { timers.forEach(clearInterval); db.close(); parentPort.close(); });
`;

export interface SqliteUpkeep {
  stop(): Promise<void>;
}

export function startSqliteUpkeep(
  file: string,
  {
    checkpointEveryMs = 500,
    optimizeEveryMs = 1_000,
    onAnalyzed,
  }: { checkpointEveryMs?: number; optimizeEveryMs?: number; onAnalyzed?: () => void } = {},
): SqliteUpkeep {
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { file, checkpointEveryMs, optimizeEveryMs, driver: require.resolve('better-sqlite3') },
  });
  worker.unref();
  if (onAnalyzed) worker.on('message', () => onAnalyzed());
  // A thread that cannot open the file (removed under us) leaves the backstop to do the work.
  worker.on('error', () => undefined);
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        // Held while it stops: an unref'd thread would let the process end with the caller's await unsettled.
        worker.ref();
        worker.postMessage('stop');
        // Should it not exit by itself (stuck on the file), it is ended.
        setTimeout(() => void worker.terminate(), 2_000).unref();
      })),
  };
}

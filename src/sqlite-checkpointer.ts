import { Worker } from 'node:worker_threads';

/**
 * SQLite's write-ahead log is copied back into the database file by checkpoints. By default the connection that
 * commits the 1,000th page runs one, synchronously and with an fsync: on better-sqlite3 that is the event loop, and
 * half of what commits cost in a posting run was this. Here a thread of its own, with its own connection, runs a
 * PASSIVE checkpoint (it never waits for or blocks readers and writers) every `everyMs`; the app's connections keep
 * auto-checkpointing only as a backstop, at BACKSTOP_PAGES (if this thread stopped, the log would still be bounded).
 *
 * The thread's code is inline (`eval`), so it runs the same from `dist/` and under ts-jest.
 */
export const BACKSTOP_PAGES = 10_000;

const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next turn, or the backstop */ }
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, everyMs = 500): Checkpointer {
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { file, everyMs, driver: require.resolve('better-sqlite3') },
  });
  worker.unref();
  // A thread that cannot open the file (removed under us) leaves the backstop to do the work.
  worker.on('error', () => undefined);
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        // Should it not exit by itself (stuck on the file), it is ended.
        setTimeout(() => void worker.terminate(), 2_000).unref();
      })),
  };
}

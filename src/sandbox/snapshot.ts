/**
 * The snapshot file (`dataFile` / `--data`): loaded at start when present, saved shortly after each change and on close,
 * so a developer's companies, apps and connections survive a restart of the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Marks the file so an unrelated JSON file is never taken for a snapshot. */
export const SNAPSHOT_FORMAT = 'qbo-sandbox-snapshot';
export const SNAPSHOT_VERSION = 1;

/** Saves are coalesced: at most one write per this many ms while changes keep coming. */
const DEBOUNCE_MS = 300;

/** A debounced, atomic (write to a temporary file, then rename) JSON file writer. */
export class SnapshotStore {
  private timer?: NodeJS.Timeout;
  private dirty = false;
  private saving?: Promise<void>;

  constructor(
    private readonly file: string,
    private readonly build: () => unknown,
    private readonly log: (line: string) => void,
  ) {}

  /** Reads the snapshot; undefined when the file does not exist. A file that is not a snapshot is an error. */
  load(): Record<string, unknown> | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const data = JSON.parse(text) as Record<string, unknown>;
    if (!data || data.format !== SNAPSHOT_FORMAT) {
      throw new Error(`${this.file} is not a sandbox snapshot (missing "format": "${SNAPSHOT_FORMAT}")`);
    }
    if (data.version !== SNAPSHOT_VERSION)
      throw new Error(`${this.file} has unsupported snapshot version ${String(data.version)}`);
    return data;
  }

  /** Schedules a save. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.saveNow().catch((err: unknown) =>
        this.log(`snapshot save failed: ${(err as Error).message}`),
      );
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  /** Writes now if anything changed since the last save (and waits for a save in progress). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.saveNow();
  }

  private async saveNow(): Promise<void> {
    while (this.saving) await this.saving;
    if (!this.dirty) return;
    this.dirty = false;
    const text = JSON.stringify({
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      ...(this.build() as object),
    });
    this.saving = (async () => {
      // Owner-only: the snapshot holds tokens and the apps' client secrets.
      await fs.promises.mkdir(path.dirname(path.resolve(this.file)), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.promises.writeFile(tmp, text, { mode: 0o600 });
      await fs.promises.rename(tmp, this.file);
    })();
    try {
      await this.saving;
    } finally {
      this.saving = undefined;
    }
  }
}

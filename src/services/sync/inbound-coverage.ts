/**
 * What this process's CDC reads already cover, per connection and entity, so a webhook event whose change an earlier
 * read returned needs no QuickBooks call at all.
 *
 * A CDC answer for `since` given at QuickBooks time T holds the current version of every object changed in
 * [since, T): such a change is older than the answer (MetaData has whole seconds, so only seconds before T's second
 * count). Reads that touch or overlap join into one interval. An event is covered when its time lies in the interval
 * and the read returned its object at that second or later (a safety net against an event stamped later than its
 * change: anything else is read by id). Entries are kept for `keepMs` behind the newest read; only committed applies
 * are recorded, so a failed round never covers anything.
 */
const SECOND = 1000;

const floorSecond = (ms: number): number => Math.floor(ms / SECOND) * SECOND;

interface Interval {
  from: number;
  until: number;
  /** Object id → LastUpdatedTime (ms) of the newest version a covering read returned. */
  versions: Map<string, number>;
}

export interface CoverageRead {
  entity: string;
  /** The `changedSince` sent (ms). */
  since: number;
  /** QuickBooks time of the answer (ms); only seconds before its second are complete. */
  answeredAt: number;
  /** (id, LastUpdatedTime ms) of every object returned. */
  objects: Array<[string, number]>;
}

export class CdcCoverage {
  private readonly byKey = new Map<string, Interval>();

  constructor(private readonly keepMs = 120_000) {}

  /** Records a read whose objects are now in the mirror (or held for approval). */
  record(connectionId: string, read: CoverageRead): void {
    const key = `${connectionId}\u0000${read.entity}`;
    const from = floorSecond(read.since);
    const until = floorSecond(read.answeredAt);
    if (!(until > from)) return;
    let interval = this.byKey.get(key);
    if (!interval || from > interval.until || until < interval.from) {
      // Disjoint: the newer read wins (an old gap says nothing about what lies between).
      if (interval && until < interval.from) return;
      interval = { from, until, versions: new Map() };
      this.byKey.set(key, interval);
    } else {
      interval.from = Math.min(interval.from, from);
      interval.until = Math.max(interval.until, until);
    }
    for (const [id, ms] of read.objects) {
      if ((interval.versions.get(id) ?? -1) < ms) interval.versions.set(id, ms);
    }
    // Forget what lies far behind the newest read.
    const floor = interval.until - this.keepMs;
    if (interval.from < floor) {
      interval.from = floor;
      for (const [id, ms] of interval.versions) if (ms < floor - SECOND) interval.versions.delete(id);
    }
  }

  /** Whether a change of `id` reported at `occurredAt` was returned by a covering read. */
  covers(connectionId: string, entity: string, id: string, occurredAt: Date | null): boolean {
    if (occurredAt === null) return false;
    const interval = this.byKey.get(`${connectionId}\u0000${entity}`);
    if (!interval) return false;
    const at = occurredAt.getTime();
    if (at < interval.from + SECOND || at >= interval.until) return false;
    const version = interval.versions.get(id);
    return version !== undefined && version >= floorSecond(at) - SECOND;
  }

  /**
   * Where the next read of `entity` can start when its oldest uncovered change is at `oldest` (ms): at the end of the
   * covered interval when that lies between, so reads chain without reading seconds twice.
   */
  nextSince(connectionId: string, entity: string, oldest: number): number {
    const wanted = floorSecond(oldest) - SECOND;
    const interval = this.byKey.get(`${connectionId}\u0000${entity}`);
    if (!interval || wanted < interval.from || wanted >= interval.until) return wanted;
    return interval.until;
  }

  /** Whether every change of `entity` from `since` (ms) up to the covered end is known (the same-second re-read). */
  coveredAfter(connectionId: string, entity: string, since: number): boolean {
    const interval = this.byKey.get(`${connectionId}\u0000${entity}`);
    return !!interval && floorSecond(since) >= interval.from && floorSecond(since) < interval.until;
  }

  forget(connectionId: string): void {
    for (const key of this.byKey.keys()) if (key.startsWith(`${connectionId}\u0000`)) this.byKey.delete(key);
  }
}

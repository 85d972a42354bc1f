/**
 * Stores a signed QuickBooks delivery and its normalized events in one transaction (shared with the deliveries that
 * arrived meanwhile: group commit), and queues their processing. The request answers as soon as this commits; nothing
 * here calls QuickBooks.
 */
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  QuickBooksChangeEventEntity,
  QuickBooksWebhookDeliveryEntity,
  type QuickBooksDeliveryStatus,
  type QuickBooksPayloadFormat,
} from '../entities';
import { newId } from '../ids';
import { dialectOf, execute, insertRows, placeholders, toDbTime } from '../db/sql';
import type { JobEnqueuer } from '../job-catalogue';
import type { Logger } from '../logger';
import type { NormalizedChange, ParsedPayload } from './payload';

/** Statuses whose connections still own their realm's notifications (a lapsed authorization catches up later). */
const LISTENING = ['CONNECTED', 'NEEDS_REAUTHORIZATION'];
const KEY_MAX = 191;
const EVENT_COLUMNS = [
  'id',
  'dedupeKey',
  'deliveryId',
  'tenantId',
  'connectionId',
  'realmId',
  'entityName',
  'entityId',
  'operation',
  'deletedId',
  'occurredAt',
  'status',
  'createdAt',
] as const;
const DELIVERY_COLUMNS = [
  'id',
  'status',
  'format',
  'bodySha256',
  'bodyBytes',
  'eventCount',
  'storedCount',
  'reason',
  'intuitTid',
  'receivedAt',
] as const;

export interface IntakeResult {
  deliveryId: string;
  status: QuickBooksDeliveryStatus;
  eventCount: number;
  storedCount: number;
  reason: string | null;
}

export interface IntakeOptions {
  /** Events arriving within one window share one processing job per connection. */
  coalesceMs: number;
}

interface Pending {
  delivery: Omit<QuickBooksWebhookDeliveryEntity, 'format' | 'status' | 'storedCount'> & {
    format: QuickBooksPayloadFormat;
  };
  rows: QuickBooksChangeEventEntity[];
  resolve(stored: number): void;
  reject(error: unknown): void;
}

/** Deliveries written in one transaction at most, and transactions written at once. */
const GROUP_MAX = 100;
const GROUPS_IN_FLIGHT = 4;
const OWNERS_TTL_MS = 1000;

export class WebhookIntake {
  /** The last coalescing window a job was queued for, per connection (this process). */
  private readonly scheduled = new Map<string, number>();
  private readonly owners = new Map<
    string,
    { owners: Array<{ id: string; tenantId: string }>; at: number }
  >();
  private readonly queue: Pending[] = [];
  private writing = 0;
  private scheduledFlush = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobEnqueuer,
    private readonly options: IntakeOptions,
    private readonly logger?: Logger,
  ) {}

  async store(
    body: Buffer,
    parsed: ParsedPayload,
    meta: { intuitTid?: string | null },
  ): Promise<IntakeResult> {
    const deliveryId = newId('quickbooksDelivery');
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    const base = {
      id: deliveryId,
      bodySha256,
      bodyBytes: body.length,
      intuitTid: meta.intuitTid?.slice(0, 100) ?? null,
      receivedAt: new Date(),
    };
    if (!parsed.ok) {
      await this.insertDelivery(this.dataSource.manager, {
        ...base,
        status: 'REJECTED',
        format: parsed.format,
        eventCount: 0,
        storedCount: 0,
        reason: parsed.reason,
      });
      return { deliveryId, status: 'REJECTED', eventCount: 0, storedCount: 0, reason: parsed.reason };
    }
    const { changes, format } = parsed;
    const owners = await this.ownersOf([...new Set(changes.map((c) => c.realmId))]);
    const now = new Date();
    const rows: QuickBooksChangeEventEntity[] = [];
    const seen = new Set<string>();
    let unowned = 0;
    for (const change of changes) {
      const connections = owners.get(change.realmId);
      if (!connections) {
        unowned++;
        continue;
      }
      for (const connection of connections) {
        const dedupeKey = eventKey(connection.id, change);
        if (seen.has(dedupeKey)) continue;
        seen.add(dedupeKey);
        rows.push(toRow(deliveryId, connection, change, dedupeKey, now));
      }
    }
    const reason =
      unowned > 0
        ? `${unowned} event(s) for a company no connection owns${parsed.skipped ? `; ${parsed.skipped} unreadable` : ''}`
        : parsed.skipped
          ? `${parsed.skipped} unreadable event(s) skipped`
          : null;
    const storedCount = await new Promise<number>((resolve, reject) => {
      this.queue.push({
        delivery: { ...base, format, eventCount: changes.length + parsed.skipped, reason },
        rows,
        resolve,
        reject,
      });
      this.flushSoon();
    });
    const status: QuickBooksDeliveryStatus =
      storedCount > 0 ? 'ACCEPTED' : rows.length > 0 ? 'DUPLICATE' : 'IGNORED';
    const connections = storedCount > 0 ? [...new Set(rows.map((r) => r.connectionId))] : [];
    for (const connectionId of connections) await this.scheduleProcessing(connectionId);
    return { deliveryId, status, eventCount: changes.length, storedCount, reason };
  }

  /**
   * The connections listening to these realms. Realms with owners are remembered for a second (the hot path reads
   * nothing then); a realm nobody owns is asked again each time, so a new connection hears its first delivery.
   */
  private async ownersOf(realms: string[]): Promise<Map<string, Array<{ id: string; tenantId: string }>>> {
    const out = new Map<string, Array<{ id: string; tenantId: string }>>();
    const now = Date.now();
    const ask: string[] = [];
    for (const realm of realms) {
      const cached = this.owners.get(realm);
      if (cached && now - cached.at < OWNERS_TTL_MS) out.set(realm, cached.owners);
      else ask.push(realm);
    }
    if (ask.length === 0) return out;
    const rows = await this.dataSource.query<Array<{ id: string; tenantId: string; realmId: string }>>(
      `SELECT id, tenantId, realmId FROM connections WHERE realmId IN (${placeholders(ask.length)}) AND status IN (${placeholders(LISTENING.length)})`,
      [...ask, ...LISTENING],
    );
    const found = new Map<string, Array<{ id: string; tenantId: string }>>();
    for (const row of rows)
      found.set(row.realmId, [...(found.get(row.realmId) ?? []), { id: row.id, tenantId: row.tenantId }]);
    for (const [realm, owners] of found) {
      this.owners.set(realm, { owners, at: now });
      out.set(realm, owners);
    }
    if (this.owners.size > 10_000) this.owners.clear();
    return out;
  }

  /**
   * Group commit: up to GROUPS_IN_FLIGHT transactions are written at once; deliveries that arrive while all are busy
   * wait and go together into the next one (nothing waits when the intake is idle). Under load this turns ~5
   * statements and a commit per delivery into ~5 per group.
   */
  private flushSoon(): void {
    if (this.scheduledFlush || this.queue.length === 0 || this.writing >= GROUPS_IN_FLIGHT) return;
    this.scheduledFlush = true;
    setImmediate(() => {
      this.scheduledFlush = false;
      while (this.queue.length > 0 && this.writing < GROUPS_IN_FLIGHT) {
        const group = this.queue.splice(0, GROUP_MAX);
        this.writing++;
        void this.writeGroup(group).finally(() => {
          this.writing--;
          this.flushSoon();
        });
      }
    });
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    const dialect = dialectOf(this.dataSource);
    const time = (date: Date | null) => (date === null ? null : toDbTime(dialect, date));
    try {
      const stored = await this.dataSource.transaction(async (manager) => {
        const rows = group.flatMap((g) => g.rows);
        let inserted = 0;
        for (let i = 0; i < rows.length; i += 200) {
          const chunk = rows.slice(i, i + 200);
          const values = chunk.map((r) => [
            r.id,
            r.dedupeKey,
            r.deliveryId,
            r.tenantId,
            r.connectionId,
            r.realmId,
            r.entityName,
            r.entityId,
            r.operation,
            r.deletedId,
            time(r.occurredAt),
            r.status,
            time(r.createdAt),
          ]);
          // A redelivered event hits the unique dedupe key and is skipped.
          inserted += await execute(
            manager,
            `INSERT ${dialect === 'mysql' ? 'IGNORE' : 'OR IGNORE'} INTO quickbooks_change_events (${EVENT_COLUMNS.map((c) => `\`${c}\``).join(', ')}) VALUES ${values.map(() => `(${placeholders(EVENT_COLUMNS.length)})`).join(', ')}`,
            values.flat(),
          );
        }
        // Which rows went in (ids are new, so present means inserted): only asked when some were duplicates.
        let kept: Set<string> | undefined;
        if (inserted < rows.length) {
          kept = new Set();
          for (let i = 0; i < rows.length; i += 500) {
            const ids = rows.slice(i, i + 500).map((r) => r.id);
            const found = await manager.query<Array<{ id: string }>>(
              `SELECT id FROM quickbooks_change_events WHERE id IN (${placeholders(ids.length)})`,
              ids,
            );
            for (const row of found) kept.add(row.id);
          }
        }
        const counts = group.map((g) => (kept ? g.rows.filter((r) => kept.has(r.id)).length : g.rows.length));
        await insertRows(
          manager,
          'quickbooks_webhook_deliveries',
          DELIVERY_COLUMNS,
          group.map((g, n) => {
            const row = {
              ...g.delivery,
              status: (counts[n] > 0
                ? 'ACCEPTED'
                : g.rows.length > 0
                  ? 'DUPLICATE'
                  : 'IGNORED') as QuickBooksDeliveryStatus,
              storedCount: counts[n],
            };
            return DELIVERY_COLUMNS.map((column) =>
              column === 'receivedAt' ? toDbTime(dialect, row.receivedAt) : row[column],
            );
          }),
        );
        return counts;
      });
      group.forEach((g, n) => g.resolve(stored[n]));
    } catch (error) {
      for (const g of group) g.reject(error);
    }
  }

  /**
   * One `quickbooks.changes` job per connection and coalescing window, enqueued after the events commit (in the
   * delivery's transaction, every concurrent delivery would wait on the job's dedupe key). Should this process stop
   * between the commit and here, the events stay PENDING until the next delivery or the next CDC catch-up, which
   * sweeps them.
   */
  private async scheduleProcessing(connectionId: string): Promise<void> {
    const window = Math.max(1, this.options.coalesceMs);
    const slot = Math.floor(Date.now() / window);
    if (this.scheduled.get(connectionId) === slot) return;
    this.scheduled.set(connectionId, slot);
    try {
      await this.jobs.enqueue(
        'quickbooks.changes',
        { connectionId },
        { dedupeKey: `qbo-changes:${connectionId}:${slot}`, runAt: new Date((slot + 1) * window) },
      );
    } catch (error) {
      this.scheduled.delete(connectionId);
      this.logger?.error(
        { err: error, connectionId },
        'could not queue QuickBooks change processing; the next catch-up sweeps it',
      );
    }
  }

  private async insertDelivery(
    manager: EntityManager,
    row: Omit<QuickBooksWebhookDeliveryEntity, 'format'> & { format: QuickBooksPayloadFormat },
  ): Promise<void> {
    const dialect = dialectOf(this.dataSource);
    await insertRows(manager, 'quickbooks_webhook_deliveries', DELIVERY_COLUMNS, [
      DELIVERY_COLUMNS.map((column) =>
        column === 'receivedAt' ? toDbTime(dialect, row.receivedAt) : row[column],
      ),
    ]);
  }
}

function eventKey(connectionId: string, change: NormalizedChange): string {
  const key = `${connectionId}:${change.key}`;
  return key.length <= KEY_MAX
    ? key
    : `${connectionId}:h:${createHash('sha256').update(change.key).digest('hex')}`;
}

function toRow(
  deliveryId: string,
  connection: { id: string; tenantId: string },
  change: NormalizedChange,
  dedupeKey: string,
  now: Date,
): QuickBooksChangeEventEntity {
  return {
    id: newId('webhookEvent'),
    dedupeKey,
    deliveryId,
    tenantId: connection.tenantId,
    connectionId: connection.id,
    realmId: change.realmId,
    entityName: change.entityName,
    entityId: change.entityId,
    operation: change.operation,
    deletedId: change.deletedId,
    occurredAt: change.occurredAt,
    status: 'PENDING',
    claimedBy: null,
    claimedAt: null,
    processedAt: null,
    outcome: null,
    createdAt: now,
  };
}

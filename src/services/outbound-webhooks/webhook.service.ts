import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import {
  WEBHOOK_EVENT_TYPES,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
  type WebhookDeliveryStatus,
  type WebhookEventType,
} from '../../entities';
import { badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { JobEnqueuer } from '../../job-catalogue';
import { defaultHttpSend } from '../../quickbooks/http-transport';
import type { Logger } from '../../logger';
import type { TokenCipher } from '../../security/token-cipher';
import { dialectOf, execute, insertRows, toDbTime, type Dialect } from '../../db/sql';
import { paginate, type Page, type PageArgs } from '../pagination';

/** One event for partners: `type` and its `data` (ids and facts, never secrets). */
export interface WebhookEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
}

/** The outbox API other services call, inside the transaction of the change that causes the event. */
export interface WebhookEmitter {
  emit(
    manager: EntityManager,
    tenantId: string,
    events: WebhookEvent | readonly WebhookEvent[],
  ): Promise<void>;
}

export interface WebhookSettings {
  /** Delays before each retry of a failed delivery (the last repeats). */
  retryScheduleMs: readonly number[];
  /** An endpoint failing for this long without one success is disabled. */
  disableAfterMs: number;
  /** A delivery not answered within this is a failure. */
  timeoutMs: number;
  /** Plain http:// URLs allowed (local development); production needs https. */
  allowHttp: boolean;
}

/** A secret as Standard Webhooks writes it: `whsec_` + base64 of 32 random bytes (verified by the reference libraries). */
const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
/** Deliveries read at a time while an endpoint catches up. */
const PAGE = 100;
/** How long the previous secret keeps signing after a rotation, so receivers can switch over. */
const ROTATION_OVERLAP_MS = 24 * 60 * 60_000;
const MAX_ERROR = 500;

/**
 * Partner webhooks, outbound (the Standard Webhooks specification, signed with the `standardwebhooks` package):
 * endpoints a tenant registers (ADMIN), an outbox of deliveries written in the transaction of the change that causes
 * them (`emit`), and delivery from the job queue.
 *
 * Delivery is at least once with stable ids (`webhook-id` is the delivery's id on every attempt), in order of creation
 * per endpoint: one job at a time holds an endpoint (its lease carries the job id, so a job re-run after its worker
 * died takes its endpoint back), a failed delivery holds back the later ones until it succeeds (retried on
 * `retryScheduleMs`), and an endpoint that keeps failing for `disableAfterMs` is disabled.
 */
export class WebhookService implements WebhookEmitter {
  private readonly endpoints: Repository<WebhookEndpointEntity>;
  private readonly deliveries: Repository<WebhookDeliveryEntity>;
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: TokenCipher,
    private readonly jobs: JobEnqueuer,
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
  ) {
    this.endpoints = dataSource.getRepository(WebhookEndpointEntity);
    this.deliveries = dataSource.getRepository(WebhookDeliveryEntity);
    this.dialect = dialectOf(dataSource);
  }

  // ------------------------------------------------------------------------------------------- endpoints (ADMIN)

  /** Registers an endpoint; the secret is returned here and never again (rotate to get a new one). */
  async createEndpoint(
    tenantId: string,
    input: { url: string; events: readonly string[]; description?: string | null },
  ): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
    const url = this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const secret = newSecret();
    const id = newId('webhookEndpoint');
    const sealed = this.cipher.seal(secret, id);
    const endpoint: WebhookEndpointEntity = {
      id,
      tenantId,
      url,
      events,
      description: checkDescription(input.description),
      status: 'ACTIVE',
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      previousSecretCiphertext: null,
      previousSecretKeyId: null,
      previousSecretUntil: null,
      failingSince: null,
      disabledAt: null,
      lastDeliveryAt: null,
      leaseToken: null,
      leaseUntil: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    await this.endpoints.insert(endpoint);
    return { endpoint, secret };
  }

  async listEndpoints(tenantId: string): Promise<WebhookEndpointEntity[]> {
    return this.endpoints.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async getEndpoint(tenantId: string, id: string): Promise<WebhookEndpointEntity> {
    const endpoint = await this.endpoints.findOneBy({ id, tenantId });
    if (!endpoint) throw notFound('Webhook endpoint', id);
    return endpoint;
  }

  /** Deletes an endpoint and whatever it had not received yet. */
  async deleteEndpoint(tenantId: string, id: string): Promise<WebhookEndpointEntity> {
    const endpoint = await this.getEndpoint(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(WebhookDeliveryEntity, { endpointId: id });
      await manager.delete(WebhookEndpointEntity, { id });
    });
    return endpoint;
  }

  /**
   * A new secret (returned once). The previous one keeps signing beside it for a day, so a receiver can switch without
   * losing a delivery. A disabled endpoint is enabled again: rotating is what one does after fixing a receiver.
   */
  async rotateSecret(
    tenantId: string,
    id: string,
  ): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
    const endpoint = await this.getEndpoint(tenantId, id);
    const secret = newSecret();
    const sealed = this.cipher.seal(secret, id);
    const patch: Partial<WebhookEndpointEntity> = {
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      previousSecretCiphertext: endpoint.secretCiphertext,
      previousSecretKeyId: endpoint.secretKeyId,
      previousSecretUntil: new Date(Date.now() + ROTATION_OVERLAP_MS),
      status: 'ACTIVE',
      disabledAt: null,
      failingSince: null,
    };
    await this.endpoints.update({ id }, patch);
    if (endpoint.status === 'DISABLED') await this.jobs.enqueue('webhooks.deliver', { endpointId: id });
    return { endpoint: { ...endpoint, ...patch }, secret };
  }

  /** An endpoint's deliveries, newest first, optionally of one status. */
  async listDeliveries(
    tenantId: string,
    endpointId: string,
    filter: { status?: WebhookDeliveryStatus | null },
    args: PageArgs,
  ): Promise<Page<WebhookDeliveryEntity>> {
    const query = this.deliveries
      .createQueryBuilder('d')
      .where('d.tenantId = :tenantId AND d.endpointId = :endpointId', { tenantId, endpointId });
    if (filter.status) query.andWhere('d.status = :status', { status: filter.status });
    return paginate(query, args, { defaultSize: 50, descending: true });
  }

  // ------------------------------------------------------------------------------------------------- the outbox

  /**
   * Writes the events for every active endpoint of the tenant subscribed to them, in the caller's transaction, and
   * queues their delivery (the jobs become visible when the transaction commits). Events are delivered in the order
   * emitted. Costs one SELECT, plus one INSERT when some endpoint wants the events.
   */
  async emit(
    manager: EntityManager,
    tenantId: string,
    events: WebhookEvent | readonly WebhookEvent[],
  ): Promise<void> {
    const list = Array.isArray(events) ? (events as readonly WebhookEvent[]) : [events as WebhookEvent];
    if (list.length === 0) return;
    // A shared lock on MySQL (SQLite runs one writer at a time anyway): a delivery job cannot let go of an endpoint
    // between our look at its lease and our commit, so a job is queued exactly when no job will see these rows.
    const endpoints = await manager.query<Array<{ id: string; events: string; free: number | string }>>(
      'SELECT `id`, `events`, CASE WHEN `leaseToken` IS NULL OR `leaseUntil` < ? THEN 1 ELSE 0 END AS `free` ' +
        "FROM `webhook_endpoints` WHERE `tenantId` = ? AND `status` = 'ACTIVE'" +
        (this.dialect === 'mysql' ? ' LOCK IN SHARE MODE' : ''),
      [toDbTime(this.dialect, new Date()), tenantId],
    );
    if (endpoints.length === 0) return;
    const now = new Date();
    const timestamp = now.toISOString();
    const rows: unknown[][] = [];
    const woken = new Set<string>();
    const free = new Set(endpoints.filter((e) => Number(e.free) === 1).map((e) => e.id));
    for (const event of list) {
      const payload = JSON.stringify({ type: event.type, timestamp, data: event.data });
      for (const endpoint of endpoints) {
        if (!(JSON.parse(endpoint.events) as string[]).includes(event.type)) continue;
        if (free.has(endpoint.id)) woken.add(endpoint.id);
        rows.push([
          newId('webhookMessage'),
          tenantId,
          endpoint.id,
          event.type,
          payload,
          'PENDING',
          0,
          toDbTime(this.dialect, now),
          toDbTime(this.dialect, now),
        ]);
      }
    }
    for (let i = 0; i < rows.length; i += 200) {
      await insertRows(
        manager,
        'webhook_deliveries',
        [
          'id',
          'tenantId',
          'endpointId',
          'eventType',
          'payload',
          'status',
          'attempts',
          'nextAttemptAt',
          'createdAt',
        ],
        rows.slice(i, i + 200),
      );
    }
    for (const endpointId of woken) await this.jobs.enqueue('webhooks.deliver', { endpointId }, { manager });
  }

  // ------------------------------------------------------------------------------------------------- delivery

  /**
   * The job: delivers the endpoint's due deliveries in order, while this job holds the endpoint. A failure schedules
   * the next attempt (another job at that time) and stops, so later events wait for the one that failed.
   */
  async deliver(endpointId: string, jobId: string): Promise<void> {
    if (!(await this.acquire(endpointId, jobId))) return;
    this.renewedAt = Date.now();
    try {
      for (;;) {
        const endpoint = await this.endpoints.findOneBy({ id: endpointId });
        if (!endpoint || endpoint.status !== 'ACTIVE') return;
        const batch = await this.deliveries.find({
          where: { endpointId, status: 'PENDING' },
          order: { id: 'ASC' },
          take: PAGE,
        });
        if (batch.length === 0) return;
        for (const delivery of batch) {
          if (delivery.nextAttemptAt.getTime() > Date.now()) {
            // Waiting to retry: a job is already queued for then.
            return;
          }
          await this.renew(endpointId, jobId);
          const ok = await this.attempt(endpoint, delivery);
          if (!ok) return;
        }
      }
    } finally {
      await this.release(endpointId, jobId);
    }
  }

  /** One attempt: signed POST; records the outcome. False when it failed (later deliveries must wait). */
  private async attempt(endpoint: WebhookEndpointEntity, delivery: WebhookDeliveryEntity): Promise<boolean> {
    const sentAt = new Date();
    let status: number | null = null;
    let failure: string | null = null;
    try {
      // node:http with keep-alive (the QuickBooks client's transport): a fraction of fetch's cost per request.
      const response = await defaultHttpSend({
        method: 'POST',
        url: new URL(endpoint.url),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'quickbooks-gateway-webhooks/1',
          ...this.headers(endpoint, delivery, sentAt),
        },
        body: delivery.payload,
        timeoutMs: this.settings.timeoutMs,
      });
      status = response.status;
      if (response.status < 200 || response.status >= 300) {
        failure = `the endpoint answered HTTP ${response.status}`;
      }
    } catch (error) {
      failure = `no answer: ${error instanceof Error ? error.message : String(error)}`;
    }
    const attempts = delivery.attempts + 1;
    if (!failure) {
      await this.dataSource.transaction(async (manager) => {
        await manager.update(
          WebhookDeliveryEntity,
          { id: delivery.id },
          {
            status: 'DELIVERED',
            attempts,
            lastAttemptAt: sentAt,
            lastStatusCode: status,
            lastError: null,
            deliveredAt: new Date(),
          },
        );
        // The endpoint's own row only when it changes (a recovery), or now and then (lastDeliveryAt).
        const stale = !endpoint.lastDeliveryAt || Date.now() - endpoint.lastDeliveryAt.getTime() > 1000;
        if (endpoint.failingSince || stale) {
          endpoint.lastDeliveryAt = new Date();
          await manager.update(
            WebhookEndpointEntity,
            { id: endpoint.id },
            { failingSince: null, lastDeliveryAt: endpoint.lastDeliveryAt },
          );
        }
      });
      endpoint.failingSince = null;
      return true;
    }
    const failingSince = endpoint.failingSince ?? sentAt;
    const disable = sentAt.getTime() - failingSince.getTime() >= this.settings.disableAfterMs;
    const schedule = this.settings.retryScheduleMs;
    const nextAttemptAt = new Date(sentAt.getTime() + schedule[Math.min(attempts - 1, schedule.length - 1)]);
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        WebhookDeliveryEntity,
        { id: delivery.id },
        {
          attempts,
          lastAttemptAt: sentAt,
          lastStatusCode: status,
          lastError: failure.slice(0, MAX_ERROR),
          nextAttemptAt,
        },
      );
      await manager.update(WebhookEndpointEntity, { id: endpoint.id }, {
        failingSince,
        ...(disable ? { status: 'DISABLED', disabledAt: sentAt } : {}),
      } as never);
      if (!disable) {
        await this.jobs.enqueue(
          'webhooks.deliver',
          { endpointId: endpoint.id },
          { manager, runAt: nextAttemptAt },
        );
      }
    });
    endpoint.failingSince = failingSince;
    if (disable) {
      this.logger.warn(
        { endpointId: endpoint.id, since: failingSince },
        'webhook endpoint disabled after failing',
      );
    }
    return false;
  }

  /** `webhook-id`, `webhook-timestamp`, `webhook-signature` (both secrets' signatures during a rotation). */
  private headers(
    endpoint: WebhookEndpointEntity,
    delivery: WebhookDeliveryEntity,
    at: Date,
  ): Record<string, string> {
    const secrets = [
      this.cipher.open({ keyId: endpoint.secretKeyId, ciphertext: endpoint.secretCiphertext }, endpoint.id),
    ];
    if (
      endpoint.previousSecretCiphertext &&
      endpoint.previousSecretKeyId &&
      endpoint.previousSecretUntil &&
      endpoint.previousSecretUntil.getTime() > at.getTime()
    ) {
      secrets.push(
        this.cipher.open(
          { keyId: endpoint.previousSecretKeyId, ciphertext: endpoint.previousSecretCiphertext },
          endpoint.id,
        ),
      );
    }
    return {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': secrets
        .map((secret) => new Webhook(secret).sign(delivery.id, at, delivery.payload))
        .join(' '),
    };
  }

  /**
   * Takes the endpoint for this job: free, already this job's (a re-run of the same job after its worker died), or
   * abandoned (its lease ran out). A job that finds another running job on it leaves: that one looks again before it
   * lets go.
   */
  private async acquire(endpointId: string, jobId: string): Promise<boolean> {
    const now = Date.now();
    const taken = await this.write(
      'UPDATE `webhook_endpoints` SET `leaseToken` = ?, `leaseUntil` = ? ' +
        'WHERE `id` = ? AND (`leaseToken` IS NULL OR `leaseToken` = ? OR `leaseUntil` < ?)',
      [jobId, this.time(now + this.leaseMs()), endpointId, jobId, this.time(now)],
    );
    return taken > 0;
  }

  /** When the lease was last written by this process (renewed once half of it is used up). */
  private renewedAt = 0;

  private async renew(endpointId: string, jobId: string): Promise<void> {
    if (Date.now() - this.renewedAt < this.leaseMs() / 2) return;
    this.renewedAt = Date.now();
    await this.write('UPDATE `webhook_endpoints` SET `leaseUntil` = ? WHERE `id` = ? AND `leaseToken` = ?', [
      this.time(Date.now() + this.leaseMs()),
      endpointId,
      jobId,
    ]);
  }

  /**
   * Lets go, then looks once more: a delivery written while we held the endpoint queued no job (see `emit`), so if one
   * is due now, a job is queued for it.
   */
  private async release(endpointId: string, jobId: string): Promise<void> {
    await this.write(
      'UPDATE `webhook_endpoints` SET `leaseToken` = NULL, `leaseUntil` = NULL WHERE `id` = ? AND `leaseToken` = ?',
      [endpointId, jobId],
    );
    const endpoint = await this.endpoints.findOneBy({ id: endpointId });
    const head = await this.deliveries.findOne({
      where: { endpointId, status: 'PENDING' },
      order: { id: 'ASC' },
    });
    if (endpoint?.status === 'ACTIVE' && head && head.nextAttemptAt.getTime() <= Date.now()) {
      await this.jobs.enqueue('webhooks.deliver', { endpointId });
    }
  }

  private async write(sql: string, params: unknown[]): Promise<number> {
    return this.dataSource.transaction((manager) => execute(manager, sql, params));
  }

  private time(ms: number): Date | string {
    return toDbTime(this.dialect, new Date(ms));
  }

  /** The endpoint lease outlives the slowest attempt several times over. */
  private leaseMs(): number {
    return Math.max(60_000, this.settings.timeoutMs * 3);
  }

  private checkUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw badInput('url', 'must be an absolute http(s) URL');
    }
    if (url.protocol !== 'https:' && !(this.settings.allowHttp && url.protocol === 'http:')) {
      throw badInput('url', 'must be an https:// URL', 'webhooks carry business data: receive them over TLS');
    }
    if (url.username || url.password) throw badInput('url', 'must not carry credentials');
    if (raw.length > 2000) throw badInput('url', 'must be at most 2000 characters');
    return url.toString();
  }
}

function checkDescription(description: string | null | undefined): string | null {
  if (description && description.length > 255)
    throw badInput('description', 'must be at most 255 characters');
  return description ?? null;
}

function checkEvents(events: readonly string[]): WebhookEventType[] {
  if (events.length === 0) throw badInput('events', 'must name at least one event');
  if (events.length > 50) throw badInput('events', 'must name at most 50 events');
  const unique = [...new Set(events)];
  unique.forEach((event, index) => {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event)) {
      throw badInput(`events.${index}`, `"${event}" is not an event (${WEBHOOK_EVENT_TYPES.join(', ')})`);
    }
  });
  return unique as WebhookEventType[];
}

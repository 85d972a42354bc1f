import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { QuickBooksConfig } from '../../config';
import {
  ConnectionEntity,
  DEFAULT_CONNECTION_SETTINGS,
  OAuthStateEntity,
  ReferenceEntityRow,
  type ConnectionSettingsData,
  type QuickBooksEnvironment,
} from '../../entities';
import { AppError, badInput, notFound } from '../../errors';
import { newId } from '../../ids';
import type { Logger } from '../../logger';
import {
  QUICKBOOKS_BASE_URLS,
  QuickBooksClient,
  type AttemptInfo,
  type GovernorRegistry,
  type RetryOptions,
} from '../../quickbooks';
import type { ConnectionEvents } from '../connection-events';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import { OAuthGrantError, type IntuitOAuth } from './intuit-oauth';
import type { ReferenceService } from '../reference.service';
import { syncScope, type SyncLogService } from '../sync-log.service';
import type { TokenCustodian } from './token-custodian';
import {
  assertReady,
  notReadyError,
  readinessOf,
  type Readiness,
  type ReadinessNeeds,
  type ReadinessPurpose,
} from './readiness';
import { applySettings, REFERENCE_SETTINGS, type SettingsInput } from './settings';
import { allowedReturnUrl } from './return-url';
import { companyCurrencyOf } from '../posting/currency';

const STATE_TTL_MS = 10 * 60_000;
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** What GET /oauth/callback reports to the person who just clicked Connect. */
export interface AuthorizationOutcome {
  ok: boolean;
  /** HTTP status to answer with. */
  status: number;
  message: string;
  connectionId?: string;
  realmId?: string;
  companyName?: string;
  importBatchId?: string;
  /** Where to send the person: connect's returnUrl with `connectionId`, `outcome` and `message` added. */
  returnUrl?: string;
}

/**
 * Connection lifecycle: connect (Intuit's consent, bound to tenant and connection by a single-use state), disconnect
 * (revoke and forget tokens), settings checked against the mirrored lists, and the QuickBooks client of a connection.
 * Every method that takes a tenant id only sees that tenant's connections.
 */
export class ConnectionService {
  private readonly connections: Repository<ConnectionEntity>;
  private readonly states: Repository<OAuthStateEntity>;
  private readonly references: Repository<ReferenceEntityRow>;
  private readonly clients = new Map<string, QuickBooksClient>();
  private referenceService?: ReferenceService;
  private webhooks?: WebhookEmitter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Readonly<QuickBooksConfig>,
    private readonly oauth: IntuitOAuth,
    private readonly custodian: TokenCustodian,
    private readonly events: ConnectionEvents,
    private readonly syncLogs: SyncLogService,
    private readonly governors: GovernorRegistry,
    private readonly logger: Logger,
    private readonly onAttempt?: (info: AttemptInfo) => void,
    /** Retry policy of the QuickBooks clients (tests shorten the waits). */
    private readonly retry?: Partial<RetryOptions>,
    /** Origins a person may be sent back to after consent (CORS_ORIGINS). */
    private readonly returnOrigins: readonly string[] = [],
  ) {
    this.connections = dataSource.getRepository(ConnectionEntity);
    this.states = dataSource.getRepository(OAuthStateEntity);
    this.references = dataSource.getRepository(ReferenceEntityRow);
  }

  /** QuickBooks Desktop connections get a Web Connector user instead of OAuth (src/desktop); wired at start-up. */
  desktop?: {
    credentials(
      manager: EntityManager,
      connection: ConnectionEntity,
      existing: boolean,
    ): Promise<{ password: string; qwcUrl: string }>;
  };

  /** Called once a connection is (re)connected: the inbound sync catches up (src/services/sync); wired at start-up. */
  afterConnected?: (connection: ConnectionEntity) => Promise<void>;

  /** The reference service needs clients from here and this needs it to start imports: wired after construction. */
  attachReferenceService(service: ReferenceService): void {
    this.referenceService = service;
  }

  /** Partner webhooks (connection.status_changed) are written with status changes; wired after construction. */
  attachWebhooks(webhooks: WebhookEmitter): void {
    this.webhooks = webhooks;
  }

  /** Writes a connection's new state and its connection.status_changed webhook in one transaction. */
  private async saveStatus(
    connection: ConnectionEntity,
    previousStatus: string,
    message: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(ConnectionEntity, { id: connection.id }, pickState(connection));
      if (previousStatus === connection.status) return;
      await this.webhooks?.emit(manager, connection.tenantId, {
        type: 'connection.status_changed',
        data: { connectionId: connection.id, status: connection.status, previousStatus, message },
      });
    });
  }

  /** The environment this gateway's Intuit app talks to. */
  get environment(): QuickBooksEnvironment {
    return this.config.mode === 'local' ? 'LOCAL' : this.config.mode === 'sandbox' ? 'SANDBOX' : 'PRODUCTION';
  }

  async list(tenantId: string): Promise<ConnectionEntity[]> {
    return this.connections.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async get(tenantId: string, id: string): Promise<ConnectionEntity> {
    const connection = await this.connections.findOneBy({ id, tenantId });
    if (!connection) throw notFound('Connection', id);
    return connection;
  }

  /** For loaders: connections by id, restricted to the tenant. */
  async getMany(tenantId: string, ids: readonly string[]): Promise<ConnectionEntity[]> {
    if (ids.length === 0) return [];
    return this.connections
      .createQueryBuilder('c')
      .where('c.tenantId = :tenantId AND c.id IN (:...ids)', { tenantId, ids: [...ids] })
      .getMany();
  }

  /**
   * Starts connecting: a new connection (or, with `connectionId`, an existing one being reconnected) and Intuit's
   * authorization URL. The connection becomes CONNECTED at GET /oauth/callback.
   */
  async connect(
    tenantId: string,
    input: {
      name: string;
      environment?: QuickBooksEnvironment | null;
      connectionId?: string | null;
      returnUrl?: string | null;
    },
  ): Promise<{ connection: ConnectionEntity; authorizationUrl: string; webConnectorPassword?: string }> {
    const reconnecting = input.connectionId
      ? await this.connections.findOneBy({ id: input.connectionId, tenantId })
      : null;
    const environment =
      input.environment ?? (reconnecting?.environment === 'DESKTOP' ? 'DESKTOP' : this.environment);
    // Desktop: no OAuth; the Web Connector authenticates with a user and password of the connection's own.
    const desktop = environment === 'DESKTOP' ? this.desktop : undefined;
    if (reconnecting && (reconnecting.environment === 'DESKTOP') !== (environment === 'DESKTOP')) {
      throw badInput('input.environment', `connection ${reconnecting.id} is ${reconnecting.environment}`);
    }
    if (environment !== this.environment && !desktop) {
      throw badInput(
        'input.environment',
        `this gateway is configured for ${this.environment}`,
        'set QBO_MODE and the Intuit app credentials for the other environment, or omit environment',
      );
    }
    const name = input.name.trim();
    if (!name) throw badInput('input.name', 'must not be empty');
    const returnUrl = input.returnUrl ? allowedReturnUrl(input.returnUrl, this.returnOrigins) : undefined;
    if (input.returnUrl && !returnUrl) {
      throw badInput(
        'input.returnUrl',
        'must be an http(s) URL on an origin listed in CORS_ORIGINS',
        "add the partner app's origin to CORS_ORIGINS on the gateway",
      );
    }
    const state = randomBytes(32).toString('base64url');
    const connection = await this.dataSource.transaction(async (manager) => {
      let row: ConnectionEntity;
      if (input.connectionId) {
        const existing = await manager.findOneBy(ConnectionEntity, { id: input.connectionId, tenantId });
        if (!existing) throw notFound('Connection', input.connectionId);
        existing.name = name;
        await manager.update(ConnectionEntity, { id: existing.id }, { name });
        row = existing;
      } else {
        row = manager.create(ConnectionEntity, {
          id: newId('connection'),
          tenantId,
          name,
          environment,
          status: 'PENDING_AUTHORIZATION',
          realmId: null,
          companyName: null,
          connectedAt: null,
          disconnectedAt: null,
          accessTokenExpiresAt: null,
          refreshTokenExpiresAt: null,
          refreshTokenHardExpiresAt: null,
          lastReferenceSyncAt: null,
          lastError: null,
          settings: { ...DEFAULT_CONNECTION_SETTINGS },
          tokenCiphertext: null,
          tokenKeyId: null,
          tokenVersion: 0,
        });
        await manager.insert(ConnectionEntity, row);
      }
      if (desktop) return { row, ...(await desktop.credentials(manager, row, Boolean(input.connectionId))) };
      await manager.insert(OAuthStateEntity, {
        id: newId('oauthState'),
        stateHash: sha256(state),
        tenantId,
        connectionId: row.id,
        expiresAt: new Date(Date.now() + STATE_TTL_MS),
        usedAt: null,
        returnUrl: returnUrl?.toString() ?? null,
      });
      return { row, password: undefined, qwcUrl: undefined };
    });
    if (connection.qwcUrl)
      return {
        connection: connection.row,
        authorizationUrl: connection.qwcUrl,
        webConnectorPassword: connection.password,
      };
    return { connection: connection.row, authorizationUrl: this.oauth.authorizationUrl(state) };
  }

  /**
   * Finishes GET /oauth/callback. The state must be known, unused and unexpired (it is spent whatever happens next);
   * a denial or a failed exchange stores nothing and leaves the connection's status as it was.
   */
  async completeAuthorization(query: Record<string, unknown>): Promise<AuthorizationOutcome> {
    const outcome = await this.finishAuthorization(query);
    // Back to the partner's app when connect named a return URL (only a state bound to this connection has one).
    const state = typeof query.state === 'string' ? query.state : undefined;
    const record = state ? await this.states.findOneBy({ stateHash: sha256(state) }) : null;
    if (!record?.returnUrl || !outcome.connectionId || record.connectionId !== outcome.connectionId)
      return outcome;
    const back = new URL(record.returnUrl);
    back.searchParams.set('connectionId', outcome.connectionId);
    back.searchParams.set('outcome', outcome.ok ? 'connected' : outcome.status === 403 ? 'denied' : 'error');
    back.searchParams.set('message', outcome.message);
    return { ...outcome, returnUrl: back.toString() };
  }

  private async finishAuthorization(query: Record<string, unknown>): Promise<AuthorizationOutcome> {
    const param = (name: string): string | undefined =>
      typeof query[name] === 'string' ? query[name] : undefined;
    const state = param('state');
    if (!state) return { ok: false, status: 400, message: 'The authorization response carries no state.' };
    const spent = await this.states
      .createQueryBuilder()
      .update()
      .set({ usedAt: new Date() })
      .where('stateHash = :hash AND usedAt IS NULL AND expiresAt > :now', {
        hash: sha256(state),
        now: new Date(),
      })
      .execute();
    const record = await this.states.findOneBy({ stateHash: sha256(state) });
    if (!record || !spent.affected) {
      return {
        ok: false,
        status: 400,
        message:
          'This authorization link is unknown, was already used or has expired. Start connecting again.',
      };
    }
    const connection = await this.connections.findOneBy({
      id: record.connectionId,
      tenantId: record.tenantId,
    });
    if (!connection) return { ok: false, status: 404, message: 'The connection no longer exists.' };

    const error = param('error');
    if (error) {
      const denied = error === 'access_denied';
      return {
        ok: false,
        status: denied ? 403 : 400,
        connectionId: connection.id,
        message: denied
          ? 'Access to QuickBooks was declined. Nothing was connected; start again to connect.'
          : `QuickBooks reported an authorization error (${error}). Nothing was connected.`,
      };
    }
    const code = param('code');
    const realmId = param('realmId');
    if (!code || !realmId) {
      return {
        ok: false,
        status: 400,
        connectionId: connection.id,
        message: 'The authorization response lacks a code or company id.',
      };
    }

    let tokens;
    try {
      tokens = await this.oauth.exchange(
        `${this.config.redirectUri}?${new URLSearchParams(query as Record<string, string>).toString()}`,
      );
    } catch (failure) {
      const reason =
        failure instanceof OAuthGrantError
          ? `${failure.error}: ${failure.message}`
          : 'the token request failed';
      this.logger.warn({ connectionId: connection.id, reason }, 'OAuth code exchange failed');
      return {
        ok: false,
        status: 502,
        connectionId: connection.id,
        message: `QuickBooks did not issue tokens (${reason}). Nothing was connected.`,
      };
    }

    if (connection.realmId && connection.realmId !== realmId) {
      await this.oauth.revoke(tokens.refreshToken).catch(() => undefined);
      return {
        ok: false,
        status: 409,
        connectionId: connection.id,
        message: `This connection belongs to QuickBooks company ${connection.realmId}, not ${realmId}. Its postings and settings refer to that company: reconnect it to the same company, or create a new connection for the other one.`,
      };
    }
    const clash = await this.connections.findOne({ where: { tenantId: connection.tenantId, realmId } });
    if (clash && clash.id !== connection.id) {
      await this.oauth.revoke(tokens.refreshToken).catch(() => undefined);
      return {
        ok: false,
        status: 409,
        connectionId: connection.id,
        message: `QuickBooks company ${realmId} is already connected as "${clash.name}". Reconnect that connection instead.`,
      };
    }

    const wasStatus = connection.status;
    connection.realmId = realmId;
    connection.status = 'CONNECTED';
    connection.connectedAt = new Date();
    connection.disconnectedAt = null;
    connection.lastError = null;
    this.custodian.applyTokens(connection, tokens);
    await this.saveStatus(connection, wasStatus, `${wasStatus} → CONNECTED`);
    this.clients.delete(connection.id);

    let companyName: string | undefined;
    const client = this.clientFor(connection);
    const read = <T>(entityType: string, call: () => Promise<T>) =>
      syncScope.run(
        { tenantId: connection.tenantId, connectionId: connection.id, entityType, action: 'READ' },
        call,
      );
    // The company's name and its home currency (its first posting then creates customers without waiting for it).
    const [info, preferences] = await Promise.allSettled([
      read('CompanyInfo', () => client.companyInfo()),
      read('Preferences', () => client.preferences()),
    ]);
    if (info.status === 'fulfilled') {
      companyName = typeof info.value.CompanyName === 'string' ? info.value.CompanyName : undefined;
      if (companyName) await this.connections.update({ id: connection.id }, { companyName });
    } else {
      this.logger.warn(
        { err: info.reason, connectionId: connection.id },
        'could not read CompanyInfo after connecting',
      );
    }
    if (preferences.status === 'fulfilled') {
      await this.rememberHomeCurrency(connection, companyCurrencyOf(preferences.value).home);
    }
    const batch = await this.referenceService?.startImport(connection);
    await this.afterConnected?.(connection);
    this.events.publish(connection.id, 'STATUS_CHANGED', { message: `${wasStatus} → CONNECTED` });
    return {
      ok: true,
      status: 200,
      connectionId: connection.id,
      realmId,
      companyName,
      importBatchId: batch?.id,
      message: `Connected to ${companyName ?? `QuickBooks company ${realmId}`}. Reference data is being imported.`,
    };
  }

  /**
   * Keeps the company's home currency as its preferences last said (on connecting, and whenever a posting reads
   * them): a posting creates home-currency customers before its own read of the preferences answers.
   */
  async rememberHomeCurrency(connection: ConnectionEntity, homeCurrency: string): Promise<void> {
    if (connection.homeCurrency === homeCurrency) return;
    await this.connections.update({ id: connection.id }, { homeCurrency });
    connection.homeCurrency = homeCurrency;
  }

  /** Revokes the grant at Intuit (best effort), forgets the tokens, and marks the connection DISCONNECTED. */
  async disconnect(tenantId: string, id: string): Promise<ConnectionEntity> {
    const connection = await this.get(tenantId, id);
    const refreshToken = this.custodian.refreshTokenOf(connection);
    if (refreshToken) {
      await this.oauth.revoke(refreshToken).catch((error: unknown) => {
        this.logger.warn(
          { err: error, connectionId: id },
          'revoking the QuickBooks grant failed; tokens are erased anyway',
        );
      });
    }
    this.custodian.clearTokens(connection);
    const wasStatus = connection.status;
    connection.refreshTokenExpiresAt = null;
    connection.refreshTokenHardExpiresAt = null;
    connection.status = 'DISCONNECTED';
    connection.disconnectedAt = new Date();
    await this.saveStatus(connection, wasStatus, 'DISCONNECTED');
    this.clients.delete(id);
    this.events.publish(id, 'STATUS_CHANGED', { message: 'DISCONNECTED' });
    return connection;
  }

  /** Applies the given settings (null clears), checking every reference against the mirrored lists. */
  async updateSettings(tenantId: string, id: string, input: SettingsInput): Promise<ConnectionEntity> {
    const connection = await this.get(tenantId, id);
    const next = await applySettings(this.references, connection, input);
    connection.settings = next;
    await this.connections.update({ id }, { settings: next });
    return connection;
  }

  /** The connection, if posting to it is possible now; CONNECTION_NOT_READY with what to do otherwise. */
  async requireReady(tenantId: string, id: string): Promise<ConnectionEntity> {
    const connection = await this.get(tenantId, id);
    assertReady(connection);
    return connection;
  }

  /**
   * Everything that stops the connection from doing this work, at once (status, integrations off, missing settings,
   * references that no longer hold in the mirror). `Connection.readiness` shows it for posting orders.
   */
  async readiness(
    connection: ConnectionEntity,
    purpose: ReadinessPurpose = 'POST_ORDERS',
    needs: ReadinessNeeds = {},
  ): Promise<Readiness> {
    const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
    const ids = Object.keys(REFERENCE_SETTINGS)
      .map((key) => settings[key as keyof ConnectionSettingsData])
      .filter((value): value is string => typeof value === 'string' && value !== '');
    const rows =
      ids.length === 0
        ? []
        : await this.references
            .createQueryBuilder('r')
            .where('r.connectionId = :connectionId AND r.quickbooksId IN (:...ids)', {
              connectionId: connection.id,
              ids: [...new Set(ids)],
            })
            .getMany();
    return readinessOf(connection, purpose, needs, REFERENCE_SETTINGS, (type, id) =>
      rows.find((row) => row.type === type && row.quickbooksId === id),
    );
  }

  /**
   * The connection, if it can do this work now; otherwise CONNECTION_NOT_READY naming every problem (message, hints,
   * `extensions.problems`). Call it before queueing work (postOrders, sendInvoice, refundOrder), so that nothing is
   * queued for a connection that would fail it.
   */
  async assertReady(
    tenantId: string,
    connectionId: string,
    purpose: ReadinessPurpose,
    needs: ReadinessNeeds = {},
  ): Promise<ConnectionEntity> {
    const connection = await this.get(tenantId, connectionId);
    const readiness = await this.readiness(connection, purpose, needs);
    if (!readiness.ready) throw notReadyError(connection, purpose, readiness);
    return connection;
  }

  /** The QuickBooks client of a connection (one per connection; all share the realm's governor). */
  clientFor(connection: ConnectionEntity): QuickBooksClient {
    const cached = this.clients.get(connection.id);
    if (cached) return cached;
    if (!connection.realmId)
      throw new AppError('CONNECTION_NOT_READY', `connection ${connection.id} has no QuickBooks company yet`);
    const connectionId = connection.id;
    const client = new QuickBooksClient({
      baseUrl: this.baseUrl(connection.environment),
      realmId: connection.realmId,
      governors: this.governors,
      tokens: {
        getAccessToken: () => this.custodian.getAccessToken(connectionId),
        refreshAfterUnauthorized: (rejected) =>
          this.custodian.refreshAfterUnauthorized(connectionId, rejected),
      },
      onAttempt: (info) => this.recordAttempt(connectionId, info),
      retry: this.retry,
    });
    this.clients.set(connectionId, client);
    return client;
  }

  private recordAttempt(connectionId: string, info: AttemptInfo): void {
    this.onAttempt?.(info);
    // A 401 that survived the client's refresh-and-retry means the grant is gone.
    if (info.httpStatus === 401 && info.retryInMs === undefined && info.attempt > 1) {
      void this.custodian.markNeedsReauthorization(
        connectionId,
        'QuickBooks refused the access token after a refresh',
      );
    }
    const scope = syncScope.getStore();
    if (!scope || info.operation === 'batch') return; // batch calls are logged per item by their caller
    const log = {
      tenantId: scope.tenantId,
      connectionId: scope.connectionId,
      batchId: scope.batchId ?? null,
      direction:
        info.operation === 'query' ||
        info.operation === 'read' ||
        info.operation === 'cdc' ||
        info.operation === 'companyinfo' ||
        info.operation === 'preferences'
          ? ('FROM_QUICKBOOKS' as const)
          : ('TO_QUICKBOOKS' as const),
      action: scope.action,
      entityType: info.entity ?? scope.entityType,
      entityId: scope.entityId ?? null,
      label: scope.label ?? null,
      status: info.ok ? ('SUCCEEDED' as const) : ('FAILED' as const),
      code: info.error?.quickbooksCode ?? (info.httpStatus && !info.ok ? String(info.httpStatus) : null),
      message: info.error?.message ?? null,
      attempt: info.attempt,
      requestId: info.requestId ?? null,
      durationMs: Math.round(info.durationMs),
    };
    this.syncLogs
      .record(log)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'writing a sync log failed'));
  }

  private baseUrl(environment: QuickBooksEnvironment): string {
    if (environment === 'LOCAL') {
      if (!this.config.sandboxUrl)
        throw new AppError('CONNECTION_NOT_READY', 'the QuickBooks emulator is not running');
      return this.config.sandboxUrl;
    }
    return environment === 'SANDBOX' ? QUICKBOOKS_BASE_URLS.sandbox : QUICKBOOKS_BASE_URLS.production;
  }
}

/** The columns connect and disconnect change (`update` rather than `save`: no implicit transaction, no extra read). */
function pickState(c: ConnectionEntity) {
  return {
    status: c.status,
    realmId: c.realmId,
    connectedAt: c.connectedAt,
    disconnectedAt: c.disconnectedAt,
    lastError: c.lastError,
    tokenCiphertext: c.tokenCiphertext,
    tokenKeyId: c.tokenKeyId,
    tokenVersion: c.tokenVersion,
    accessTokenExpiresAt: c.accessTokenExpiresAt,
    refreshTokenExpiresAt: c.refreshTokenExpiresAt,
    refreshTokenHardExpiresAt: c.refreshTokenHardExpiresAt,
  } as never;
}

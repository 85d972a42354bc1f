import type { DataSource, Repository } from 'typeorm';
import { ConnectionEntity, type StoredSyncError } from '../../entities';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { QuickBooksError } from '../../quickbooks';
import type { TokenCipher } from '../../security/token-cipher';
import type { ConnectionEvents } from '../connection-events';
import type { WebhookEmitter } from '../outbound-webhooks/webhook.service';
import { OAuthGrantError, type IntuitOAuth, type TokenSet } from './intuit-oauth';

export const REAUTHORIZE_HINT = 'QuickBooks authorization expired or was revoked: reconnect this connection';
/** Refresh this long before the access token expires, so no call is sent with a token about to lapse. */
const PROACTIVE_REFRESH_MS = 5 * 60_000;
const LOCK_WAIT_SECONDS = 30;
/** Longest an opened access token is reused without looking at the row again. */
const CACHE_MS = 60_000;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/**
 * Custody of a connection's tokens: sealed at rest, opened only to make a call, refreshed single-flight. In one
 * process, concurrent callers share one refresh; across processes on MySQL a named lock (GET_LOCK) serializes
 * refreshers, and each re-reads the row after locking, so whoever comes second uses the token the first one stored.
 * The rotated refresh token is persisted before the new access token is handed out.
 */
export class TokenCustodian {
  private readonly connections: Repository<ConnectionEntity>;
  private readonly inflight = new Map<string, Promise<string>>();
  /**
   * Opened access tokens by connection, until shortly before they expire: a posting makes hundreds of calls and each
   * would otherwise read and decrypt the row. Safe across processes: a refresh elsewhere does not invalidate the old
   * access token, and a revoked one comes back as 401, which goes through refreshAfterUnauthorized and the row.
   */
  private readonly cache = new Map<string, { token: string; freshUntil: number }>();
  private readonly useNamedLock: boolean;
  private webhooks?: WebhookEmitter;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: TokenCipher,
    private readonly oauth: IntuitOAuth,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
  ) {
    this.connections = dataSource.getRepository(ConnectionEntity);
    this.useNamedLock = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  }

  /** Seals a fresh token set onto a connection row (does not save). */
  applyTokens(connection: ConnectionEntity, tokens: TokenSet, now = new Date()): void {
    this.cache.delete(connection.id);
    const sealed = this.cipher.seal(
      JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } satisfies Tokens),
      connection.id,
    );
    connection.tokenCiphertext = sealed.ciphertext;
    connection.tokenKeyId = sealed.keyId;
    connection.tokenVersion += 1;
    connection.accessTokenExpiresAt = new Date(now.getTime() + tokens.expiresIn * 1000);
    connection.refreshTokenExpiresAt = new Date(now.getTime() + tokens.refreshExpiresIn * 1000);
    if (tokens.hardExpiresIn)
      connection.refreshTokenHardExpiresAt = new Date(now.getTime() + tokens.hardExpiresIn * 1000);
  }

  /** Removes every trace of the tokens from a row (does not save). */
  clearTokens(connection: ConnectionEntity): void {
    this.cache.delete(connection.id);
    connection.tokenCiphertext = null;
    connection.tokenKeyId = null;
    connection.tokenVersion += 1;
    connection.accessTokenExpiresAt = null;
  }

  /** The refresh token, for revocation at disconnect. */
  refreshTokenOf(connection: ConnectionEntity): string | undefined {
    return connection.tokenCiphertext ? this.open(connection).refreshToken : undefined;
  }

  /** A valid access token for the connection, refreshed first when it is close to expiry. */
  async getAccessToken(connectionId: string): Promise<string> {
    const cached = this.cache.get(connectionId);
    if (cached && cached.freshUntil > Date.now()) return cached.token;
    const connection = await this.load(connectionId);
    const tokens = this.open(connection);
    if (this.fresh(connection))
      return this.remember(connectionId, tokens.accessToken, connection.accessTokenExpiresAt);
    return this.refresh(connectionId, tokens.accessToken);
  }

  /** Forgets the cached access token (disconnect, reconnect). */
  forget(connectionId: string): void {
    this.cache.delete(connectionId);
  }

  private remember(connectionId: string, token: string, expiresAt: Date | null): string {
    const freshUntil = Math.min((expiresAt?.getTime() ?? 0) - PROACTIVE_REFRESH_MS, Date.now() + CACHE_MS);
    this.cache.set(connectionId, { token, freshUntil });
    return token;
  }

  /** QuickBooks refused `rejected` (401): refresh, unless someone already has. */
  async refreshAfterUnauthorized(connectionId: string, rejected: string): Promise<string> {
    this.cache.delete(connectionId);
    return this.refresh(connectionId, rejected);
  }

  /** Marks the connection as needing the user to reconnect, with the hint, and tells subscribers. */
  /** Partner webhooks (connection.status_changed) are written with the status change; wired after construction. */
  attachWebhooks(webhooks: WebhookEmitter): void {
    this.webhooks = webhooks;
  }

  async markNeedsReauthorization(connectionId: string, reason: string): Promise<void> {
    this.cache.delete(connectionId);
    const lastError: StoredSyncError = {
      code: 'invalid_grant',
      message: reason,
      detail: null,
      hint: REAUTHORIZE_HINT,
      direction: 'TO_QUICKBOOKS',
      at: new Date().toISOString(),
    };
    const result = await this.dataSource.transaction(async (manager) => {
      const changed = await manager.update(ConnectionEntity, { id: connectionId, status: 'CONNECTED' }, {
        status: 'NEEDS_REAUTHORIZATION',
        lastError,
      } as never);
      if (changed.affected) {
        const { tenantId } = await manager.findOneByOrFail(ConnectionEntity, { id: connectionId });
        await this.webhooks?.emit(manager, tenantId, {
          type: 'connection.status_changed',
          data: {
            connectionId,
            status: 'NEEDS_REAUTHORIZATION',
            previousStatus: 'CONNECTED',
            message: reason,
          },
        });
      }
      return changed;
    });
    if (result.affected) {
      this.logger.warn({ connectionId }, 'QuickBooks authorization lost: connection needs reauthorization');
      this.events.publish(connectionId, 'STATUS_CHANGED', {
        message: `NEEDS_REAUTHORIZATION: ${REAUTHORIZE_HINT}`,
      });
    }
  }

  private refresh(connectionId: string, stale: string): Promise<string> {
    const running = this.inflight.get(connectionId);
    if (running) return running;
    const work = this.withLock(connectionId, () => this.refreshLocked(connectionId, stale))
      .then(({ token, expiresAt }) => this.remember(connectionId, token, expiresAt))
      .finally(() => {
        this.inflight.delete(connectionId);
      });
    this.inflight.set(connectionId, work);
    return work;
  }

  private async refreshLocked(
    connectionId: string,
    stale: string,
  ): Promise<{ token: string; expiresAt: Date | null }> {
    const connection = await this.load(connectionId);
    const tokens = this.open(connection);
    // Someone (another process, or an earlier caller here) refreshed while we waited for the lock.
    if (tokens.accessToken !== stale && this.fresh(connection)) {
      return { token: tokens.accessToken, expiresAt: connection.accessTokenExpiresAt };
    }

    let next: TokenSet;
    try {
      next = await this.oauth.refresh(tokens.refreshToken);
    } catch (error) {
      if (error instanceof OAuthGrantError && error.grantRevoked) {
        await this.markNeedsReauthorization(
          connectionId,
          `QuickBooks refused the refresh token: ${error.message}`,
        );
        throw new QuickBooksError({
          httpStatus: 400,
          quickbooksCode: 'invalid_grant',
          quickbooksMessage: error.message,
          intuitTid: error.intuitTid,
          category: 'NEEDS_REAUTHORIZATION',
          hint: REAUTHORIZE_HINT,
        });
      }
      throw error;
    }
    // Persist the rotated refresh token before anyone uses the new access token: if we crashed after using it but
    // before saving, the old refresh token could already be invalid and the connection would be lost.
    const previousVersion = connection.tokenVersion;
    this.applyTokens(connection, next);
    const saved = await this.connections.update(
      { id: connectionId, tokenVersion: previousVersion },
      {
        tokenCiphertext: connection.tokenCiphertext,
        tokenKeyId: connection.tokenKeyId,
        tokenVersion: connection.tokenVersion,
        accessTokenExpiresAt: connection.accessTokenExpiresAt,
        refreshTokenExpiresAt: connection.refreshTokenExpiresAt,
        refreshTokenHardExpiresAt: connection.refreshTokenHardExpiresAt,
      },
    );
    if (!saved.affected)
      throw new AppError('CONFLICT', "the connection's tokens changed during refresh; retry");
    return { token: next.accessToken, expiresAt: connection.accessTokenExpiresAt };
  }

  private async withLock<T>(connectionId: string, work: () => Promise<T>): Promise<T> {
    if (!this.useNamedLock) return work(); // SQLite: one process; the in-process single flight is the lock
    const runner = this.dataSource.createQueryRunner();
    const name = `qbg:refresh:${connectionId}`;
    try {
      await runner.connect();
      const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [
        name,
        LOCK_WAIT_SECONDS,
      ])) as Array<{
        acquired: number | string | null;
      }>;
      if (Number(row?.acquired) !== 1) {
        throw new AppError(
          'RATE_LIMITED',
          "another process is refreshing this connection's tokens; retry shortly",
        );
      }
      try {
        return await work();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    } finally {
      await runner.release();
    }
  }

  private fresh(connection: ConnectionEntity): boolean {
    const expiresAt = connection.accessTokenExpiresAt?.getTime() ?? 0;
    return expiresAt - Date.now() > PROACTIVE_REFRESH_MS;
  }

  private async load(connectionId: string): Promise<ConnectionEntity> {
    const connection = await this.connections.findOneBy({ id: connectionId });
    if (!connection || connection.status !== 'CONNECTED' || !connection.tokenCiphertext) {
      const status = connection?.status ?? 'missing';
      throw new AppError('CONNECTION_NOT_READY', `connection ${connectionId} is ${status}`, {
        hint: status === 'PENDING_AUTHORIZATION' ? 'finish connecting it to QuickBooks' : REAUTHORIZE_HINT,
      });
    }
    return connection;
  }

  private open(connection: ConnectionEntity): Tokens {
    if (!connection.tokenCiphertext || !connection.tokenKeyId) {
      throw new AppError('CONNECTION_NOT_READY', `connection ${connection.id} holds no tokens`, {
        hint: REAUTHORIZE_HINT,
      });
    }
    return JSON.parse(
      this.cipher.open(
        { keyId: connection.tokenKeyId, ciphertext: connection.tokenCiphertext },
        connection.id,
      ),
    ) as Tokens;
  }
}

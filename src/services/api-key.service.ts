import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IsNull, type DataSource, type Repository } from 'typeorm';
import { AppError } from '../errors';
import { ApiKeyEntity, API_SCOPES, TenantEntity, type ApiScope } from '../entities';
import { newId } from '../ids';

/** Who is calling: resolved from an API key on every request and WebSocket connection. */
export interface Principal {
  tenantId: string;
  tenantName: string;
  apiKeyId: string;
  scopes: ApiScope[];
}

export interface CreatedApiKey {
  /** The key itself; shown once and never stored. */
  key: string;
  apiKey: ApiKeyEntity;
}

/** `qbg_<prefix>_<secret>`: the prefix is public (it names the key in lists and logs), the secret is 256 random bits. */
const KEY_PATTERN = /^qbg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** Writing lastUsedAt on every request would turn reads into writes; once a minute is precise enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export class ApiKeyService {
  private readonly keys: Repository<ApiKeyEntity>;
  private readonly tenants: Repository<TenantEntity>;

  constructor(dataSource: DataSource) {
    this.keys = dataSource.getRepository(ApiKeyEntity);
    this.tenants = dataSource.getRepository(TenantEntity);
  }

  /** Creates a key for a tenant. `key` is returned once and cannot be recovered. */
  async create(tenantId: string, name: string, scopes: ApiScope[] = [...API_SCOPES]): Promise<CreatedApiKey> {
    const invalid = scopes.filter((scope) => !API_SCOPES.includes(scope));
    if (invalid.length > 0 || scopes.length === 0) {
      throw new AppError('BAD_USER_INPUT', `scopes must be a non-empty subset of ${API_SCOPES.join(', ')}`, {
        field: 'scopes',
      });
    }
    const prefix = randomBytes(9)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0')
      .slice(0, 12);
    const key = `qbg_${prefix}_${randomBytes(32).toString('base64url')}`;
    return { key, apiKey: await this.store(tenantId, name, key, prefix, scopes) };
  }

  /** Registers a key chosen by the operator (`GATEWAY_API_KEY`); idempotent. */
  async ensureKnownKey(tenantId: string, name: string, key: string): Promise<ApiKeyEntity> {
    const prefix = `env${sha256(key).toString('hex').slice(0, 9)}`;
    const existing = await this.keys.findOne({ where: { prefix } });
    if (existing) return existing;
    return this.store(tenantId, name, key, prefix, [...API_SCOPES]);
  }

  /**
   * Resolves a bearer key to its principal, or undefined for anything unknown, malformed or revoked. Hashes are
   * compared in constant time.
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    const prefix = KEY_PATTERN.exec(key)?.[1] ?? `env${sha256(key).toString('hex').slice(0, 9)}`;
    const row = await this.keys.findOne({
      where: { prefix, revokedAt: IsNull() },
      relations: { tenant: true },
    });
    if (!row || !row.tenant) return undefined;
    if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), sha256(key))) return undefined;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.keys.update({ id: row.id }, { lastUsedAt: new Date() });
    }
    return { tenantId: row.tenantId, tenantName: row.tenant.name, apiKeyId: row.id, scopes: row.scopes };
  }

  /**
   * Revokes an active key by its public prefix; returns false when there is none. With a tenant, only that tenant's
   * keys are considered (the API path); without one, any (the operator's CLI).
   */
  async revoke(prefix: string, tenantId?: string): Promise<boolean> {
    const where = { prefix, revokedAt: IsNull(), ...(tenantId ? { tenantId } : {}) };
    const result = await this.keys.update(where, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  async list(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  private async store(
    tenantId: string,
    name: string,
    key: string,
    prefix: string,
    scopes: ApiScope[],
  ): Promise<ApiKeyEntity> {
    if (!(await this.tenants.existsBy({ id: tenantId })))
      throw new AppError('NOT_FOUND', `tenant ${tenantId} was not found`);
    const row = this.keys.create({
      id: newId('apiKey'),
      tenantId,
      name,
      prefix,
      hash: sha256(key).toString('hex'),
      scopes,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: new Date(),
    });
    await this.keys.insert(row);
    return row;
  }
}

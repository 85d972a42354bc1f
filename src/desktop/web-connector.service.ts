import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { XMLBuilder } from 'fast-xml-parser';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { ConnectionEntity, DesktopRequestEntity, WebConnectorEntity } from '../entities';
import { notFound } from '../errors';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

/** What the API shows of a connection's Web Connector (`Connection.webConnector`). */
export interface WebConnectorInfo {
  appName: string;
  userName: string;
  qwcUrl: string;
  lastPollAt: Date | null;
  pendingRequests: number;
}

const qwcBuilder = new XMLBuilder({ format: true, processEntities: true, suppressEmptyNode: false });

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A guess costs the same time whether or not the user exists. */
const DUMMY_HASH = `scrypt$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

/**
 * The Web Connector's credentials and .qwc file of DESKTOP connections: one user per connection, its password shown
 * once (stored as a scrypt hash), the .qwc served to ADMIN keys at `qwcUrl`.
 */
export class WebConnectorService {
  private readonly rows: Repository<WebConnectorEntity>;

  constructor(
    private readonly dataSource: DataSource,
    /** The gateway's public base URL (the .qwc AppURL is `<publicUrl>/qbwc`). */
    private readonly publicUrl: string,
  ) {
    this.rows = dataSource.getRepository(WebConnectorEntity);
  }

  get appUrl(): string {
    return `${this.publicUrl}/qbwc`;
  }

  /** Creates the Web Connector user of a new DESKTOP connection; returns it with the password (shown once). */
  async create(
    manager: EntityManager,
    connection: ConnectionEntity,
  ): Promise<{ userName: string; password: string }> {
    const password = randomBytes(18).toString('base64url');
    const userName = `qbg-${randomBytes(6).toString('hex')}`;
    await manager.insert(WebConnectorEntity, {
      connectionId: connection.id,
      tenantId: connection.tenantId,
      userName,
      passwordHash: await hashPassword(password),
      ownerId: `{${randomUUID()}}`,
      fileId: `{${randomUUID()}}`,
      companyFile: null,
      lastPollAt: null,
      lastError: null,
    });
    return { userName, password };
  }

  /** A new password for the connection's Web Connector (reconnecting); the old one stops working. */
  async rotatePassword(
    manager: EntityManager,
    connectionId: string,
  ): Promise<{ userName: string; password: string }> {
    const password = randomBytes(18).toString('base64url');
    await manager.update(
      WebConnectorEntity,
      { connectionId },
      { passwordHash: await hashPassword(password) },
    );
    const row = await manager.findOneByOrFail(WebConnectorEntity, { connectionId });
    return { userName: row.userName, password };
  }

  /** The Web Connector row for these credentials, or undefined (compared in constant time). */
  async verify(userName: string, password: string): Promise<WebConnectorEntity | undefined> {
    const row = await this.rows.findOneBy({ userName });
    const ok = await passwordMatches(password, row?.passwordHash ?? DUMMY_HASH);
    return row && ok ? row : undefined;
  }

  async forConnection(connectionId: string): Promise<WebConnectorEntity | null> {
    return this.rows.findOneBy({ connectionId });
  }

  async recordPoll(connectionId: string, patch: Partial<WebConnectorEntity>): Promise<void> {
    await this.rows.update({ connectionId }, { lastPollAt: new Date(), ...patch });
  }

  qwcUrl(connectionId: string): string {
    return `${this.publicUrl}/qbwc/connections/${connectionId}.qwc`;
  }

  /** What the API shows; null for connections that are not DESKTOP (or not the tenant's). */
  async info(
    tenantId: string,
    connection: Pick<ConnectionEntity, 'id' | 'name' | 'environment'>,
  ): Promise<WebConnectorInfo | null> {
    if (connection.environment !== 'DESKTOP') return null;
    const row = await this.rows.findOneBy({ connectionId: connection.id, tenantId });
    if (!row) return null;
    const pendingRequests = await this.dataSource
      .getRepository(DesktopRequestEntity)
      .createQueryBuilder('r')
      .where("r.connectionId = :id AND r.status IN ('PENDING', 'SENT')", { id: connection.id })
      .getCount();
    return {
      appName: appName(connection),
      userName: row.userName,
      qwcUrl: this.qwcUrl(connection.id),
      lastPollAt: row.lastPollAt,
      pendingRequests,
    };
  }

  /** The .qwc file the person adds to the Web Connector (tenant-scoped: another tenant's connection is NOT_FOUND). */
  async qwcFile(tenantId: string, connectionId: string): Promise<{ fileName: string; xml: string }> {
    const connection = await this.dataSource
      .getRepository(ConnectionEntity)
      .findOneBy({ id: connectionId, tenantId });
    const row = connection?.environment === 'DESKTOP' ? await this.forConnection(connectionId) : null;
    if (!connection || !row) throw notFound('Desktop connection', connectionId);
    const xml = qwcBuilder.build({
      QBWCXML: {
        AppName: appName(connection),
        AppID: '',
        AppURL: this.appUrl,
        AppDescription: `Sends orders and reads lists for "${connection.name}" through QuickBooks Gateway`,
        AppSupport: this.publicUrl,
        UserName: row.userName,
        OwnerID: row.ownerId,
        FileID: row.fileId,
        QBType: 'QBFS',
        Scheduler: { RunEveryNMinutes: '5' },
        IsReadOnly: 'false',
      },
    });
    const safe = connection.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'connection';
    return { fileName: `quickbooks-gateway-${safe}.qwc`, xml: `<?xml version="1.0"?>\n${xml}` };
  }
}

export const appName = (connection: Pick<ConnectionEntity, 'name'>): string =>
  `QuickBooks Gateway - ${connection.name}`.slice(0, 100);

import fs from 'node:fs';
import path from 'node:path';
import { ensureBootstrapKeys } from '../../../src/bootstrap';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { openDatabase } from '../../../src/core';
import { ApiKeyService } from '../../../src/services/api-key.service';
import { TenantService } from '../../../src/services/tenant.service';
import type { DataSource } from 'typeorm';

describe('start-up keys', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let services: { tenants: TenantService; apiKeys: ApiKeyService };
  const logger = createLogger('silent');
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    const config = loadConfig({ DATABASE_URL: database.url }, database.dataDir);
    dataSource = await openDatabase(config, logger);
    services = { tenants: new TenantService(dataSource), apiKeys: new ApiKeyService(dataSource) };
  });
  afterEach(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('turns GATEWAY_API_KEY into an all-scopes key of the default tenant, once', async () => {
    const key = 'operator-chosen-key-with-enough-entropy-123';
    const config = loadConfig({ DATABASE_URL: database.url, GATEWAY_API_KEY: key }, database.dataDir);
    expect(await ensureBootstrapKeys(config, services, logger)).toEqual({});
    expect(await ensureBootstrapKeys(config, services, logger)).toEqual({});
    const principal = await services.apiKeys.authenticate(key);
    expect(principal).toMatchObject({ tenantName: 'default', scopes: ['READ', 'WRITE', 'ADMIN'] });
    expect(await services.apiKeys.list(principal!.tenantId)).toHaveLength(1);
  });

  it('creates a demo key in local mode, keeps it owner-only in the data folder, and reuses it on restart', async () => {
    const config = loadConfig({ DATABASE_URL: database.url }, database.dataDir);
    const first = await ensureBootstrapKeys(config, services, logger);
    expect(first.demoKey).toMatch(/^qbg_/);
    const file = path.join(config.dataDir, 'demo-api-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = await ensureBootstrapKeys(config, services, logger);
    expect(again.demoKey).toBe(first.demoKey);
    expect(await services.apiKeys.authenticate(first.demoKey!)).toMatchObject({ tenantName: 'demo' });
  });
});

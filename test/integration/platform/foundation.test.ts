import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { initializeDataSource } from '../../../ormconfig';
import { ApiKeyEntity } from '../../../src/entities';
import { DIALECTS, createTestDatabase } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { loadConfig } from '../../../src/config';

describe.each(DIALECTS)('foundation on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers viewer for a key and UNAUTHENTICATED without one or with a wrong one', async () => {
    const { key, tenantId } = await t.newTenantKey(['READ']);
    const ok = await t.graphql(key, '{ viewer { tenantId tenantName scopes } }');
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ viewer: { tenantId, tenantName: expect.any(String), scopes: ['READ'] } });

    for (const bad of [undefined, 'qbg_aaaaaaaaaaaa_' + 'x'.repeat(43), 'nonsense']) {
      const denied = await t.graphql(bad, '{ viewer { tenantName } }');
      expect(denied.data).toBeNull();
      expect(denied.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('stores only a hash of each key and stops accepting a revoked key', async () => {
    const { key, tenantId } = await t.newTenantKey();
    const rows = await t.gateway.dataSource.getRepository(ApiKeyEntity).findBy({ tenantId });
    expect(rows).toHaveLength(1);
    const row = rows[0];
    // The secret is everything after `qbg_<prefix>_` (it may itself contain underscores).
    expect(JSON.stringify(row)).not.toContain(key.slice(`qbg_${row.prefix}_`.length));
    expect(row.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(key.startsWith(`qbg_${row.prefix}_`)).toBe(true);

    expect((await t.graphql(key, '{ viewer { tenantId } }')).errors).toBeUndefined();
    expect(await t.gateway.services.apiKeys.revoke(row.prefix)).toBe(true);
    expect(await t.gateway.services.apiKeys.revoke(row.prefix)).toBe(false);
    const after = await t.graphql(key, '{ viewer { tenantId } }');
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('enforces scopes: READ and WRITE keys cannot call ADMIN mutations, ADMIN can', async () => {
    const mutation =
      'mutation { createApiKey(input: { name: "ci", scopes: [READ] }) { key apiKey { scopes } } }';
    for (const scopes of [['READ'], ['WRITE']] as const) {
      const { key } = await t.newTenantKey([...scopes]);
      const denied = await t.graphql(key, mutation);
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const { key: admin } = await t.newTenantKey(['ADMIN']);
    const created = await t.graphql<{ createApiKey: { key: string } }>(admin, mutation);
    expect(created.errors).toBeUndefined();
    const newKey = created.data!.createApiKey.key;
    // ADMIN implies READ; the new key is READ only and works at once.
    expect((await t.graphql(newKey, '{ viewer { scopes } }')).data).toEqual({ viewer: { scopes: ['READ'] } });
  });

  it("keeps tenants apart: a tenant cannot revoke or list another tenant's keys", async () => {
    const a = await t.newTenantKey(['ADMIN']);
    const b = await t.newTenantKey(['ADMIN']);
    const [rowA] = await t.gateway.dataSource.getRepository(ApiKeyEntity).findBy({ tenantId: a.tenantId });
    const attempt = await t.graphql(b.key, 'mutation($p: String!) { revokeApiKey(prefix: $p) }', {
      p: rowA.prefix,
    });
    expect(attempt.data).toEqual({ revokeApiKey: false });
    const list = await t.graphql<{ apiKeys: Array<{ prefix: string }> }>(b.key, '{ apiKeys { prefix } }');
    expect(list.data!.apiKeys.map((k) => k.prefix)).not.toContain(rowA.prefix);
    expect((await t.graphql(a.key, '{ viewer { tenantId } }')).errors).toBeUndefined();
  });

  it('reports BAD_USER_INPUT with the field path for invalid input and writes nothing', async () => {
    const { key, tenantId } = await t.newTenantKey(['ADMIN']);
    const result = await t.graphql(
      key,
      'mutation { createApiKey(input: { name: "", scopes: [READ] }) { key } }',
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const keys = await t.gateway.dataSource.getRepository(ApiKeyEntity).countBy({ tenantId });
    expect(keys).toBe(1);
  });

  it('authenticates graphql-ws in connection_init: a good key is acknowledged, a bad one closed with 4403', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const wsUrl = `${t.url.replace('http', 'ws')}/graphql`;

    const good = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    const result = await new Promise<unknown>((resolve, reject) => {
      good.subscribe(
        { query: '{ viewer { scopes } }' },
        { next: resolve, error: reject, complete: () => undefined },
      );
    });
    expect(result).toEqual({ data: { viewer: { scopes: ['READ'] } } });
    await good.dispose();

    const closeCode = await new Promise<number>((resolve) => {
      const bad = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer wrong' },
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      bad.subscribe(
        { query: '{ viewer { scopes } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    expect(closeCode).toBe(4403);
  });

  it('serves /healthz, /readyz and /metrics, and echoes the request id', async () => {
    const health = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'req-123' } });
    expect(health.status).toBe(200);
    expect(health.headers.get('x-request-id')).toBe('req-123');
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    await t.graphql(undefined, '{ viewer { tenantId } }');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('http_request_duration_seconds_bucket');
    expect(metrics).toMatch(/graphql_operation_duration_seconds_count\{[^}]*type="query"/);
  });

  it('applies every migration from an empty database and leaves nothing for the entities to change', async () => {
    const database = await createTestDatabase(dialect);
    const config = loadConfig({ DATABASE_URL: database.url }, database.dataDir);
    const dataSource = await initializeDataSource(config.database);
    try {
      const applied = await dataSource.runMigrations();
      expect(applied.length).toBeGreaterThan(0);
      expect(await dataSource.showMigrations()).toBe(false);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

import { createGateway, type Gateway, type GatewayOptions } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { ApiScope } from '../../src/entities';
import { createTestDatabase, type Dialect, type TestDatabase } from './database';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  database: TestDatabase;
  /** Creates a tenant (unique name) and a key with these scopes; returns the key and tenant id. */
  newTenantKey(scopes?: ApiScope[], tenantName?: string): Promise<{ key: string; tenantId: string }>;
  /** POSTs a GraphQL document with a bearer key; returns the parsed body. */
  graphql<T = Record<string, unknown>>(
    key: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  close(): Promise<void>;
}

let tenantCounter = 0;

/**
 * A real gateway on a fresh database (or a shared one) and random ports, with its QuickBooks emulator in-process
 * unless QBO_SANDBOX_URL points at another.
 */
export async function startTestGateway(
  dialect: Dialect,
  env: Record<string, string> = {},
  options: { database?: TestDatabase; gatewayOptions?: GatewayOptions } = {},
): Promise<TestGateway> {
  const shared = options.database;
  const database = shared ?? (await createTestDatabase(dialect));
  const config = loadConfig(
    {
      PORT: '0',
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      ...env,
    },
    database.dataDir,
  );
  const gateway = await createGateway(config, {
    logger: createLogger((process.env.TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent'),
    collectDefaultMetrics: false,
    worker: { pollMs: 100 },
    ...options.gatewayOptions,
  });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    database,
    async newTenantKey(scopes, tenantName) {
      const tenant = await gateway.services.tenants.create(
        tenantName ?? `tenant-${process.pid}-${++tenantCounter}`,
      );
      const { key } = await gateway.services.apiKeys.create(tenant.id, 'test', scopes);
      return { key, tenantId: tenant.id };
    },
    async graphql(key, query, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async close() {
      await gateway.close();
      if (!shared) await database.drop();
    },
  };
}

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { LessThanOrEqual } from 'typeorm';
import { ConnectionEntity, JobEntity } from '../../../src/entities';
import type { ChildMessage, ParentMessage } from '../../fixtures/gateway-process';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { until } from '../../support/wait';

const ROOT = path.join(__dirname, '..', '..', '..');

function startChild(env: Record<string, string>): { child: ChildProcess; next: () => Promise<ChildMessage> } {
  const child = fork(path.join(ROOT, 'test/fixtures/gateway-process.ts'), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: ChildMessage[] = [];
  const waiters: Array<(m: ChildMessage) => void> = [];
  child.on('message', (message: ChildMessage) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  return {
    child,
    next: () => new Promise((resolve) => (inbox.length ? resolve(inbox.shift()!) : waiters.push(resolve))),
  };
}

describe.each(DIALECTS)('token custody on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function connected(name: string) {
    const { key } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: name });
    const { connectionId } = await connectCompany(t, key, { realmId, name });
    // The jobs connecting starts (the reference import, the change catch-up) finish first: a test that revokes the
    // grant must be the one to find out, not a job still calling QuickBooks in the background.
    await until(
      async () =>
        (await t.gateway.dataSource
          .getRepository(JobEntity)
          .countBy([{ status: 'RUNNING' }, { status: 'QUEUED', runAt: LessThanOrEqual(new Date()) }])) === 0,
    );
    const connection = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    return { key, connectionId, connection, client: t.gateway.services.connections.clientFor(connection) };
  }

  it('refreshes once for 50 concurrent calls whose access token QuickBooks considers expired', async () => {
    const { client, connectionId } = await connected('Fifty Co');
    const sandbox = t.gateway.sandbox!;
    sandbox.advanceClock(3700); // the emulator now rejects the access token; the gateway does not know yet
    const before = sandbox.stats().tokenGrants.refresh_token;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => client.query('SELECT COUNT(*) FROM Account')),
    );
    expect(results.every((r) => (r.totalCount ?? 0) > 0)).toBe(true);
    expect(sandbox.stats().tokenGrants.refresh_token - before).toBe(1);
    expect(sandbox.stats().maxConcurrentByRealm[client.realmId]).toBeLessThanOrEqual(10);

    const row = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    expect(row.tokenVersion).toBe(2); // connect + one refresh
  });

  // Cross-process single flight needs a shared database server, so this one runs on MySQL/MariaDB only.
  if (dialect === 'mysql') {
    it('makes exactly one refresh grant across two gateway processes for 2 × 25 concurrent calls on an expired token', async () => {
      const { key } = await t.newTenantKey(['ADMIN']);
      const realmId = t.gateway.sandbox!.createRealm({ companyName: 'Two Process Co' });
      const { connectionId } = await connectCompany(t, key, { realmId });
      const other = startChild({
        DATABASE_URL: t.database.url,
        QBO_SANDBOX_URL: t.gateway.config.quickbooks.sandboxUrl!,
        GATEWAY_DATA_DIR: t.database.dataDir,
        LOG_LEVEL: 'silent',
        PORT: '0',
      });
      try {
        expect(await other.next()).toEqual({ type: 'ready' });
        const sandbox = t.gateway.sandbox!;
        sandbox.advanceClock(3700);
        const before = sandbox.stats().tokenGrants.refresh_token;
        const connection = await t.gateway.dataSource
          .getRepository(ConnectionEntity)
          .findOneByOrFail({ id: connectionId });
        const client = t.gateway.services.connections.clientFor(connection);
        other.child.send({ type: 'query', connectionId, count: 25 } satisfies ParentMessage);
        const here = await Promise.all(
          Array.from({ length: 25 }, () => client.query('SELECT COUNT(*) FROM Account')),
        );
        const there = await other.next();
        expect(here).toHaveLength(25);
        expect(there).toEqual({ type: 'done', ok: 25, failed: [] });
        expect(sandbox.stats().tokenGrants.refresh_token - before).toBe(1);
      } finally {
        other.child.send({ type: 'exit' } satisfies ParentMessage);
        await new Promise((resolve) => other.child.once('exit', resolve));
      }
    });
  }

  it('marks a revoked grant NEEDS_REAUTHORIZATION with the hint and tells subscribers', async () => {
    const { key, connectionId, client, connection } = await connected('Revoked Co');
    const sandbox = t.gateway.sandbox!;
    const refreshToken = t.gateway.services.custodian.refreshTokenOf(connection)!;
    const revoked = await fetch(`${sandbox.url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${sandbox.demoApp.clientId}:${sandbox.demoApp.clientSecret}`).toString('base64')}`,
      },
      body: JSON.stringify({ token: refreshToken }),
    });
    expect(revoked.status).toBe(200);

    const events = t.gateway.services.events.subscribe(connectionId);
    const firstEvent = events[Symbol.asyncIterator]().next();
    await expect(client.query('SELECT * FROM Term')).rejects.toMatchObject({
      category: 'NEEDS_REAUTHORIZATION',
    });
    const event = await firstEvent;
    expect(event.value).toMatchObject({ kind: 'STATUS_CHANGED' });
    await events.return();

    const view = await t.graphql<{
      connection: { status: string; lastError: { hint: string; code: string } };
    }>(key, 'query($id: ID!) { connection(id: $id) { status lastError { code message hint } } }', {
      id: connectionId,
    });
    expect(view.data!.connection).toMatchObject({
      status: 'NEEDS_REAUTHORIZATION',
      lastError: { hint: 'QuickBooks authorization expired or was revoked: reconnect this connection' },
    });
    const refused = await t.graphql(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id) { id } }',
      { id: connectionId },
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'CONNECTION_NOT_READY',
      hint: expect.stringContaining('reconnect'),
    });

    // Reconnecting reuses the same connection.
    const again = await connectCompany(t, key, {
      realmId: connection.realmId!,
      connectionId,
      name: 'Revoked Co',
    });
    expect(again.body).toMatchObject({ ok: true, connectionId });
    const after = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    expect(after.status).toBe('CONNECTED');
  });

  it('disconnects: revokes at Intuit, erases tokens, and refuses work with CONNECTION_NOT_READY', async () => {
    const { key, connectionId } = await connected('Bye Co');
    const sandbox = t.gateway.sandbox!;
    const revocations = sandbox.stats().revocations;
    const result = await t.graphql<{ disconnect: { status: string } }>(
      key,
      'mutation($id: ID!) { disconnect(connectionId: $id) { status disconnectedAt } }',
      { id: connectionId },
    );
    expect(result.data!.disconnect.status).toBe('DISCONNECTED');
    expect(sandbox.stats().revocations).toBe(revocations + 1);
    const row = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    expect(row.tokenCiphertext).toBeNull();
    const refused = await t.graphql(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id) { id } }',
      { id: connectionId },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONNECTION_NOT_READY');
  });

  it('checks settings against the mirrored lists: wrong kinds and unknown ids are BAD_USER_INPUT naming the field', async () => {
    const { key, connectionId } = await connected('Settings Co');
    const batch = await t.graphql<{ syncReferenceData: { id: string } }>(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id) { id } }',
      { id: connectionId },
    );
    await waitForBatch(t, key, batch.data!.syncReferenceData.id);
    const accounts = await t.graphql<{
      connection: {
        referenceData: { edges: Array<{ node: { quickbooksId: string; data: { AccountType: string } } }> };
      };
    }>(
      key,
      'query($id: ID!) { connection(id: $id) { referenceData(type: ACCOUNT, first: 200) { edges { node { quickbooksId data } } } } }',
      { id: connectionId },
    );
    const byType = (type: string) =>
      accounts.data!.connection.referenceData.edges.find((e) => e.node.data.AccountType === type)!.node
        .quickbooksId;
    const mutation =
      'mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(connectionId: $id, input: $input) { settings { incomeAccountId postOrdersAs } } }';

    const wrongKind = await t.graphql(key, mutation, {
      id: connectionId,
      input: { incomeAccountId: byType('Bank') },
    });
    expect(wrongKind.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.incomeAccountId',
    });
    const unknown = await t.graphql(key, mutation, {
      id: connectionId,
      input: { inventoryAssetAccountId: '999999' },
    });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.inventoryAssetAccountId',
    });
    const unchanged = await t.graphql<{ connection: { settings: { incomeAccountId: string | null } } }>(
      key,
      'query($id: ID!) { connection(id: $id) { settings { incomeAccountId } } }',
      { id: connectionId },
    );
    expect(unchanged.data!.connection.settings.incomeAccountId).toBeNull();

    const ok = await t.graphql<{
      updateConnectionSettings: { settings: { incomeAccountId: string; postOrdersAs: string } };
    }>(key, mutation, {
      id: connectionId,
      input: { incomeAccountId: byType('Income'), postOrdersAs: 'INVOICE' },
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.updateConnectionSettings.settings).toEqual({
      incomeAccountId: byType('Income'),
      postOrdersAs: 'INVOICE',
    });
  });
});

async function waitForBatch(t: TestGateway, key: string, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const result = await t.graphql<{ batch: { status: string } }>(
      key,
      'query($id: ID!) { batch(id: $id) { status } }',
      { id },
    );
    if (['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(result.data!.batch.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`batch ${id} did not finish`);
}

import { ConnectionEntity, OAuthStateEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';

interface Progress {
  batchProgress: {
    status: string;
    processed: number;
    total: number;
    succeeded: number;
    item: { label: string; status: string } | null;
  };
}

describe.each(DIALECTS)('connections on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('connects over real OAuth, streams the reference import to completion, and serves the mirrored accounts', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId, callback, body } = await connectCompany(t, key);
    expect(callback.status).toBe(200);
    expect(body).toMatchObject({ ok: true, connectionId, realmId: t.gateway.sandbox!.defaultRealmId });

    const status = await t.graphql<{
      connection: {
        status: string;
        companyName: string;
        homeCurrency: string;
        refreshTokenExpiresAt: string;
      };
    }>(
      key,
      'query($id: ID!) { connection(id: $id) { status companyName homeCurrency refreshTokenExpiresAt refreshTokenHardExpiresAt } }',
      { id: connectionId },
    );
    // The company's name and home currency, read from QuickBooks when connecting.
    expect(status.data!.connection).toMatchObject({
      status: 'CONNECTED',
      companyName: expect.any(String),
      homeCurrency: 'USD',
    });

    const client = wsClient(t, key);
    const events = await collect<Progress>(
      client,
      'subscription($id: ID!) { batchProgress(batchId: $id) { status processed total succeeded item { label status } } }',
      { id: body.importBatchId },
    );
    await client.dispose();
    expect(events.length).toBeGreaterThanOrEqual(1);
    const last = events[events.length - 1].batchProgress;
    expect(last).toMatchObject({ status: 'COMPLETED', processed: 9, total: 9, succeeded: 9 });
    const counts = events.map((e) => e.batchProgress.processed);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);

    const accounts = await t.graphql<{
      connection: {
        lastReferenceSyncAt: string;
        referenceData: {
          totalCount: number;
          edges: Array<{ node: { name: string; data: { AccountType: string } } }>;
        };
      };
    }>(
      key,
      'query($id: ID!) { connection(id: $id) { lastReferenceSyncAt referenceData(type: ACCOUNT, first: 200) { totalCount edges { node { name quickbooksId data } } } } }',
      { id: connectionId },
    );
    const ref = accounts.data!.connection;
    expect(ref.lastReferenceSyncAt).toEqual(expect.any(String));
    const types = ref.referenceData.edges.map((e) => e.node.data.AccountType);
    expect(types).toEqual(
      expect.arrayContaining(['Income', 'Cost of Goods Sold', 'Other Current Asset', 'Bank']),
    );
    expect(ref.referenceData.totalCount).toBe(ref.referenceData.edges.length);
  });

  it('keeps tokens encrypted at rest', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: 'Cipher Co' });
    const { connectionId } = await connectCompany(t, key, { realmId });
    const row = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    const grants = t.gateway.sandbox!.stats();
    expect(row.tokenCiphertext).toMatch(/^v1\./);
    expect(row.tokenKeyId).toMatch(/^[0-9a-f]{16}$/);
    const accessToken = await t.gateway.services.custodian.getAccessToken(connectionId);
    expect(accessToken.length).toBeGreaterThan(10);
    expect(JSON.stringify(row)).not.toContain(accessToken);
    expect(grants).toBeDefined();
  });

  it('refuses a denied consent and a reused state, storing nothing', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const denied = await connectCompany(t, key, { consent: 'deny' });
    expect(denied.callback.status).toBe(403);
    expect(denied.body).toMatchObject({ ok: false });
    const row = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: denied.connectionId });
    expect(row).toMatchObject({ status: 'PENDING_AUTHORIZATION', tokenCiphertext: null, realmId: null });

    const again = await fetch(`${t.url}/oauth/callback?state=nonsense&code=x&realmId=1`, {
      headers: { accept: 'application/json' },
    });
    expect(again.status).toBe(400);
    const html = await (await fetch(`${t.url}/oauth/callback?state=nonsense&code=x&realmId=1`)).text();
    expect(html).toContain('Not connected');
  });

  it('refuses an expired state and a second use of a state, storing nothing', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    // Expired: the state is older than its ten minutes when the person comes back.
    const started = await t.graphql<{ connect: { connection: { id: string }; authorizationUrl: string } }>(
      key,
      'mutation { connect(input: { name: "Late" }) { connection { id } authorizationUrl } }',
    );
    const { connection, authorizationUrl } = started.data!.connect;
    await t.gateway.dataSource
      .getRepository(OAuthStateEntity)
      .update({ connectionId: connection.id }, { expiresAt: new Date(Date.now() - 1000) });
    const consent = new URL(authorizationUrl);
    consent.searchParams.set('sandbox_consent', 'approve');
    const redirect = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!);
    const late = await fetch(`${t.url}${redirect.pathname}${redirect.search}`, {
      headers: { accept: 'application/json' },
    });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ ok: false, message: expect.stringContaining('expired') });
    const row = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connection.id });
    expect(row).toMatchObject({ status: 'PENDING_AUTHORIZATION', tokenCiphertext: null });

    // Reused: the same callback URL a second time, after it connected once.
    const realmId = t.gateway.sandbox!.createRealm({ companyName: 'Replay Co' });
    const first = await connectCompany(t, key, { realmId });
    expect(first.body.ok).toBe(true);
    const consentAgain = new URL(first.authorizationUrl);
    consentAgain.searchParams.set('sandbox_consent', 'approve');
    consentAgain.searchParams.set('sandbox_realm', realmId);
    const again = new URL((await fetch(consentAgain, { redirect: 'manual' })).headers.get('location')!);
    const replay = await fetch(`${t.url}${again.pathname}${again.search}`, {
      headers: { accept: 'application/json' },
    });
    expect(replay.status).toBe(400);
  });

  it('does not connect one realm twice for a tenant (CONFLICT message), and hides connections across tenants', async () => {
    const a = await t.newTenantKey(['ADMIN']);
    const b = await t.newTenantKey(['ADMIN']);
    const realmId = t.gateway.sandbox!.createRealm({ companyName: 'Twice Co' });
    const first = await connectCompany(t, a.key, { realmId });
    expect(first.body.ok).toBe(true);
    const second = await connectCompany(t, a.key, { realmId, name: 'Again' });
    expect(second.callback.status).toBe(409);

    const other = await t.graphql(b.key, 'query($id: ID!) { connection(id: $id) { id } }', {
      id: first.connectionId,
    });
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await t.graphql<{ connections: unknown[] }>(b.key, '{ connections { id } }');
    expect(list.data!.connections).toEqual([]);
    const node = await t.graphql(b.key, 'query($id: ID!) { node(id: $id) { id } }', {
      id: first.connectionId,
    });
    expect(node.data).toEqual({ node: null });
  });
});

/**
 * The admin API around the accounting half, reset, and the snapshot file that survives a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox';
import { QUERY_PATH, admin, api, connectDemo, startSandbox } from './platform-helpers';

describe('sandbox admin API', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('registers apps, creates companies and lists entities', async () => {
    const info = (await admin(sandbox, 'GET', '')).json;
    expect(info.demoApp.clientId).toBe(sandbox.demoApp.clientId);
    expect(info.defaultRealmId).toBe(sandbox.defaultRealmId);

    const created = await admin(sandbox, 'POST', '/apps', {
      clientId: 'partner',
      clientSecret: 'partner-secret',
      redirectUris: ['https://partner.example.com/cb'],
      webhookFormat: 'cloudevents',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      clientId: 'partner',
      webhookFormat: 'cloudevents',
      allowLoopbackRedirects: false,
    });
    expect(
      (await admin(sandbox, 'GET', '/apps')).json.items.map((a: { clientId: string }) => a.clientId),
    ).toContain('partner');
    expect((await admin(sandbox, 'POST', '/apps', { clientId: 'x' })).status).toBe(400);
    const patched = await admin(sandbox, 'PATCH', `/apps/${sandbox.demoApp.clientId}`, {
      webhookUrl: 'http://127.0.0.1:9/hook',
    });
    expect(patched.json.webhookUrl).toBe('http://127.0.0.1:9/hook');
    expect(sandbox.demoApp.webhookUrl).toBe('http://127.0.0.1:9/hook');

    const realm = await admin(sandbox, 'POST', '/realms', { companyName: 'Admin Made Co' });
    expect(realm.status).toBe(201);
    const realmId = realm.json.realmId as string;
    expect((await admin(sandbox, 'GET', '/realms')).json.items).toContainEqual({
      realmId,
      companyName: 'Admin Made Co',
    });

    const change = await admin(sandbox, 'POST', `/realms/${realmId}/changes`, {
      entity: 'Customer',
      operation: 'create',
      data: { DisplayName: 'Listed Customer' },
    });
    expect(change.status).toBe(200);
    const listed = await admin(sandbox, 'GET', `/realms/${realmId}/entities/Customer`);
    expect(listed.json.items.map((c: { DisplayName: string }) => c.DisplayName)).toContain('Listed Customer');
    expect((await admin(sandbox, 'GET', '/realms/nope/entities/Customer')).status).toBe(404);
    expect(
      (
        await admin(sandbox, 'POST', `/realms/${realmId}/changes`, {
          entity: 'Customer',
          operation: 'explode',
        })
      ).status,
    ).toBe(400);
    expect((await admin(sandbox, 'GET', '/nothing-here')).status).toBe(404);
  });

  it('moves the clock only forward and resets counters', async () => {
    const before = Date.parse((await admin(sandbox, 'GET', '/clock')).json.now);
    const moved = await admin(sandbox, 'POST', '/clock', { advanceSeconds: 7200 });
    expect(moved.json.offsetSeconds).toBe(7200);
    expect(Date.parse(moved.json.now) - before).toBeGreaterThanOrEqual(7200_000);
    expect((await admin(sandbox, 'POST', '/clock', { advanceSeconds: -1 })).status).toBe(400);

    const { realmId, tokens } = await connectDemo(sandbox);
    await api(sandbox, tokens.access_token, realmId, 'GET', QUERY_PATH);
    const stats = (await admin(sandbox, 'GET', '/stats')).json;
    expect(stats.requests).toMatchObject({
      total: 1,
      byStatus: { '200': 1 },
      byRealm: { [realmId]: 1 },
      byOperation: { 'Customer.query': 1 },
    });
    expect((await admin(sandbox, 'POST', '/stats/reset')).json.requests.total).toBe(0);
    await api(sandbox, tokens.access_token, realmId, 'GET', QUERY_PATH);
    expect((await admin(sandbox, 'DELETE', '/stats')).json.requests.total).toBe(0);
  });

  it('forgets everything but the demo app on reset', async () => {
    const { realmId, tokens } = await connectDemo(sandbox);
    await api(sandbox, tokens.access_token, realmId, 'POST', 'customer', { DisplayName: 'Before Reset' });
    sandbox.registerApp({ clientId: 'temp', clientSecret: 't', redirectUris: ['http://localhost:1/cb'] });
    const extra = sandbox.createRealm({ companyName: 'Temporary Co' });
    sandbox.setLimits({ perMinute: 1 });
    sandbox.advanceClock(60);

    const reset = await admin(sandbox, 'POST', '/reset');
    expect(reset.status).toBe(200);
    expect(reset.json.defaultRealmId).toBe(sandbox.defaultRealmId);
    expect((await api(sandbox, tokens.access_token, realmId, 'GET', QUERY_PATH)).status).toBe(401);
    expect(
      (await admin(sandbox, 'GET', '/apps')).json.items.map((a: { clientId: string }) => a.clientId),
    ).toEqual([sandbox.demoApp.clientId]);
    const realms = (await admin(sandbox, 'GET', '/realms')).json.items.map(
      (r: { realmId: string }) => r.realmId,
    );
    expect(realms).toEqual([sandbox.defaultRealmId]);
    expect(realms).not.toContain(extra);
    const customers = sandbox.accounting.adminEntities(sandbox.defaultRealmId, 'Customer') as Array<{
      DisplayName: string;
    }>;
    expect(customers.map((c) => c.DisplayName)).not.toContain('Before Reset');
    expect((await admin(sandbox, 'GET', '/limits')).json.perMinute).toBe(500);
    expect((await admin(sandbox, 'GET', '/clock')).json.offsetSeconds).toBe(0);
    expect(sandbox.stats().tokenGrants.authorization_code).toBe(0);
  });
});

describe('sandbox snapshot file', () => {
  it('keeps companies, apps and connections across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-snapshot-'));
    const dataFile = path.join(dir, 'nested', 'sandbox.json');
    try {
      const first = await startSandbox({ dataFile });
      const { realmId, tokens } = await connectDemo(first);
      const created = await api(first, tokens.access_token, realmId, 'POST', 'customer', {
        DisplayName: 'Survivor Inc',
      });
      expect(created.status).toBe(200);
      first.registerApp({ clientId: 'kept', clientSecret: 'k', redirectUris: ['http://localhost:2/cb'] });
      first.updateApp(first.demoApp.clientId, { webhookUrl: 'http://127.0.0.1:9/kept-hook' });
      const second = first.createRealm({ companyName: 'Persisted Co' });
      await first.close();
      const saved = JSON.parse(fs.readFileSync(dataFile, 'utf8'));
      expect(saved.format).toBe('qbo-sandbox-snapshot');

      const again = await startSandbox({ dataFile });
      try {
        const names = (
          again.accounting.adminEntities(realmId, 'Customer') as Array<{ DisplayName: string }>
        ).map((c) => c.DisplayName);
        expect(names).toContain('Survivor Inc');
        expect(again.accounting.hasRealm(second)).toBe(true);
        // The gateway's stored tokens keep working after the emulator restarts.
        expect((await api(again, tokens.access_token, realmId, 'GET', QUERY_PATH)).status).toBe(200);
        const refresh = await fetch(again.endpoints.tokenEndpoint, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${again.demoApp.clientId}:${again.demoApp.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokens.refresh_token)}`,
        });
        expect(refresh.status).toBe(200);
        expect((await admin(again, 'GET', '/apps/kept')).status).toBe(200);
        expect(again.demoApp.webhookUrl).toBe('http://127.0.0.1:9/kept-hook');
      } finally {
        await again.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is not a snapshot', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-snapshot-'));
    const dataFile = path.join(dir, 'other.json');
    fs.writeFileSync(dataFile, JSON.stringify({ hello: 'world' }));
    try {
      await expect(startSandbox({ dataFile })).rejects.toThrow(/not a sandbox snapshot/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

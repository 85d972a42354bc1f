/**
 * OAuth 2.0 against the emulator, driven by Intuit's own client (`intuit-oauth`) over real HTTP: consent, code
 * exchange, refresh with rotation and grace, hard expiry, revocation, and the bearer checks of the accounting API.
 */
import OAuthClient from 'intuit-oauth';
import type { Sandbox } from '../../src/sandbox';
import { QUERY_PATH, admin, api, connectDemo, startSandbox } from './platform-helpers';

interface OAuthFailure {
  error: string;
  error_description: string;
}

function clientFor(
  sandbox: Sandbox,
  extra: { clientSecret?: string; includeRefreshTokenHardExpiresIn?: boolean } = {},
) {
  const app = sandbox.demoApp;
  const client = new OAuthClient({
    clientId: app.clientId,
    clientSecret: extra.clientSecret ?? app.clientSecret,
    environment: 'sandbox',
    redirectUri: 'http://localhost:4000/oauth/callback',
    includeRefreshTokenHardExpiresIn: extra.includeRefreshTokenHardExpiresIn,
  });
  // The endpoints are static properties of OAuthClient: this points every client in this test file at the emulator.
  client.setAuthorizeURLs(sandbox.endpoints);
  return client;
}

/** Follows the consent page with `sandbox_consent=approve` and returns the callback URL the browser would land on. */
async function approve(authUri: string, extra = ''): Promise<URL> {
  const res = await fetch(`${authUri}&sandbox_consent=approve${extra}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function rejection(promise: Promise<unknown>): Promise<OAuthFailure> {
  try {
    await promise;
  } catch (err) {
    return err as OAuthFailure;
  }
  throw new Error('expected the call to fail');
}

describe('sandbox OAuth with intuit-oauth', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('connects, calls the API, rotates refresh tokens with a grace period, and revokes the grant', async () => {
    const client = clientFor(sandbox);
    const authUri = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'csrf-123' });
    expect(authUri.startsWith(`${sandbox.url}/connect/oauth2?`)).toBe(true);

    const callback = await approve(authUri);
    expect(`${callback.origin}${callback.pathname}`).toBe('http://localhost:4000/oauth/callback');
    expect(callback.searchParams.get('state')).toBe('csrf-123');
    expect(callback.searchParams.get('realmId')).toBe(sandbox.defaultRealmId);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const created = await client.createToken(callback.toString());
    const first = created.getJson();
    expect(first).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8726400,
    });
    expect(first).not.toHaveProperty('x_refresh_token_hard_expires_in');
    expect(created.headers().intuit_tid).toBeTruthy();
    expect(client.getToken().realmId).toBe(sandbox.defaultRealmId);

    const ok = await api(sandbox, first.access_token, sandbox.defaultRealmId, 'GET', QUERY_PATH);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('intuit_tid')).toBeTruthy();

    // Refresh: a new refresh token, and the old one keeps working during the grace period.
    const oldRefresh = first.refresh_token;
    const refreshed = (await client.refresh()).getJson();
    expect(refreshed.refresh_token).not.toBe(oldRefresh);
    expect(refreshed.access_token).not.toBe(first.access_token);
    const viaOld = (await client.refreshUsingToken(oldRefresh)).getJson();
    expect(viaOld.access_token).toBeTruthy();
    const current = viaOld.refresh_token;

    // Past the 24 h grace the superseded token is refused; the current one still works.
    expect((await admin(sandbox, 'POST', '/clock', { advanceSeconds: 86_400 + 60 })).status).toBe(200);
    const stale = await rejection(client.refreshUsingToken(oldRefresh));
    expect(stale.error).toBe('invalid_grant');
    expect(stale.error_description).toBe('Token invalid');
    // The access tokens issued a day ago have expired by the emulator clock.
    const expired = await api(sandbox, viaOld.access_token, sandbox.defaultRealmId, 'GET', QUERY_PATH);
    expect(expired.status).toBe(401);
    expect(expired.json.fault.error[0]).toMatchObject({ code: '3200', detail: 'Token expired' });
    const fresh = (await client.refreshUsingToken(current)).getJson();

    const stats = (await admin(sandbox, 'GET', '/stats')).json;
    expect(stats.tokenGrants).toEqual({ authorization_code: 1, refresh_token: 3 });
    expect(stats.tokenErrors.invalid_grant).toBe(1);

    // Revoking the refresh token ends the whole grant: the access token stops working too.
    await client.revoke({ refresh_token: fresh.refresh_token });
    const after = await api(sandbox, fresh.access_token, sandbox.defaultRealmId, 'GET', QUERY_PATH);
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({
      warnings: null,
      intuitObject: null,
      fault: {
        error: [
          {
            message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
            code: '3200',
            element: null,
          },
        ],
        type: 'AUTHENTICATION',
      },
    });
    expect(typeof after.json.time).toBe('number');
    const gone = await rejection(client.refreshUsingToken(fresh.refresh_token));
    expect(gone.error).toBe('invalid_grant');
  });

  it('redirects a denied consent with access_denied and the state', async () => {
    const client = clientFor(sandbox);
    const authUri = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'st-9' });
    const res = await fetch(`${authUri}&sandbox_consent=deny`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const target = new URL(res.headers.get('location')!);
    expect(target.searchParams.get('error')).toBe('access_denied');
    expect(target.searchParams.get('state')).toBe('st-9');
    expect(target.searchParams.get('code')).toBeNull();
  });

  it('shows a consent page listing the companies, and refuses unknown clients and redirect URIs', async () => {
    const second = sandbox.createRealm({ companyName: 'Second Books LLC' });
    const client = clientFor(sandbox);
    const authUri = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' });
    const page = await fetch(authUri);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('Second Books LLC');
    expect(html).toContain(second);
    expect(html).toContain('value="approve"');

    const callback = await approve(authUri, `&sandbox_realm=${second}`);
    expect(callback.searchParams.get('realmId')).toBe(second);

    const unknownClient = await fetch(authUri.replace(/client_id=[^&]+/, 'client_id=nobody'), {
      redirect: 'manual',
    });
    expect(unknownClient.status).toBe(400);
    const evil = encodeURIComponent('https://evil.example.com/cb');
    const badRedirect = await fetch(
      `${authUri.replace(/redirect_uri=[^&]+/, `redirect_uri=${evil}`)}&sandbox_consent=approve`,
      {
        redirect: 'manual',
      },
    );
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();

    // The demo app accepts any loopback redirect (test gateways listen on random ports)...
    const loopback = encodeURIComponent('http://127.0.0.1:53123/oauth/callback');
    const ok = await fetch(
      `${authUri.replace(/redirect_uri=[^&]+/, `redirect_uri=${loopback}`)}&sandbox_consent=approve`,
      {
        redirect: 'manual',
      },
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:53123\/oauth\/callback\?code=/);
    // ...a registered app only its registered list.
    sandbox.registerApp({
      clientId: 'strict',
      clientSecret: 's3cret',
      redirectUris: ['https://app.example.com/cb'],
    });
    const strict = await fetch(
      `${sandbox.url}/connect/oauth2?client_id=strict&redirect_uri=${loopback}&response_type=code&scope=com.intuit.quickbooks.accounting&state=x&sandbox_consent=approve`,
      { redirect: 'manual' },
    );
    expect(strict.status).toBe(400);
  });

  it('refuses a reused code and bad client credentials', async () => {
    const client = clientFor(sandbox);
    const callback = await approve(
      client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' }),
    );
    await client.createToken(callback.toString());
    const reused = await rejection(client.createToken(callback.toString()));
    expect(reused.error).toBe('invalid_grant');

    const bad = clientFor(sandbox, { clientSecret: 'wrong' });
    const callback2 = await approve(bad.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' }));
    const failure = await rejection(bad.createToken(callback2.toString()));
    expect(failure.error).toBe('invalid_client');

    // Raw calls: the status codes and the other OAuth errors.
    const basic = `Basic ${Buffer.from(`${sandbox.demoApp.clientId}:${sandbox.demoApp.clientSecret}`).toString('base64')}`;
    const post = (body: string, authorization?: string) =>
      fetch(sandbox.endpoints.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(authorization ? { authorization } : {}),
        },
        body,
      });
    const noClient = await post('grant_type=refresh_token&refresh_token=x');
    expect(noClient.status).toBe(401);
    expect(await noClient.json()).toEqual({ error: 'invalid_client' });
    const badGrant = await post('grant_type=password&username=a', basic);
    expect(badGrant.status).toBe(400);
    expect(((await badGrant.json()) as OAuthFailure).error).toBe('unsupported_grant_type');
    const missing = await post('grant_type=authorization_code', basic);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as OAuthFailure).error).toBe('invalid_request');
    // Client credentials in the form (client_secret_post) are accepted too.
    const formAuth = await post(
      `grant_type=refresh_token&refresh_token=nope&client_id=${sandbox.demoApp.clientId}&client_secret=${sandbox.demoApp.clientSecret}`,
    );
    expect(formAuth.status).toBe(400);
    expect(await formAuth.json()).toEqual({ error: 'invalid_grant', error_description: 'Token invalid' });
  });

  it('adds the hard expiry only when asked, counting down from five years', async () => {
    const plain = clientFor(sandbox);
    const withHard = clientFor(sandbox, { includeRefreshTokenHardExpiresIn: true });
    const c1 = await approve(plain.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' }));
    expect((await plain.createToken(c1.toString())).getJson()).not.toHaveProperty(
      'x_refresh_token_hard_expires_in',
    );

    const c2 = await approve(withHard.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' }));
    const granted = (await withHard.createToken(c2.toString())).getJson();
    const fiveYears = 5 * 365 * 86_400;
    expect(granted.x_refresh_token_hard_expires_in).toBeGreaterThan(fiveYears - 5);
    expect(granted.x_refresh_token_hard_expires_in).toBeLessThanOrEqual(fiveYears);

    sandbox.advanceClock(100_000);
    const later = (await withHard.refresh()).getJson();
    expect(later.x_refresh_token_hard_expires_in).toBeLessThanOrEqual(fiveYears - 100_000);
    expect(later.x_refresh_token_hard_expires_in).toBeGreaterThan(fiveYears - 100_010);
  });

  it('revokes through a form-encoded body and answers 403 for another company', async () => {
    const other = sandbox.createRealm({ companyName: 'Other Co' });
    const { realmId, tokens } = await connectDemo(sandbox);
    const forbidden = await api(sandbox, tokens.access_token, other, 'GET', QUERY_PATH);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.fault.error[0]).toMatchObject({
      code: '3100',
      message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
    });
    const missing = await api(sandbox, undefined, realmId, 'GET', QUERY_PATH);
    expect(missing.status).toBe(401);
    expect(missing.json.fault.error[0].code).toBe('3200');

    const basic = `Basic ${Buffer.from(`${sandbox.demoApp.clientId}:${sandbox.demoApp.clientSecret}`).toString('base64')}`;
    const res = await fetch(sandbox.endpoints.revokeEndpoint, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(tokens.access_token)}`,
    });
    expect(res.status).toBe(200);
    expect((await api(sandbox, tokens.access_token, realmId, 'GET', QUERY_PATH)).status).toBe(401);
    const refresh = await fetch(sandbox.endpoints.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokens.refresh_token)}`,
    });
    expect(refresh.status).toBe(400);
  });
});

describe('sandbox OAuth with rotation every 24 hours', () => {
  it('hands back the same refresh token with a shrinking lifetime until it rotates', async () => {
    const sandbox = await startSandbox({ rotateRefreshTokens: 24 });
    try {
      const client = clientFor(sandbox);
      const callback = await approve(
        client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's' }),
      );
      const first = (await client.createToken(callback.toString())).getJson();
      sandbox.advanceClock(3600);
      const same = (await client.refresh()).getJson();
      expect(same.refresh_token).toBe(first.refresh_token);
      expect(same.x_refresh_token_expires_in).toBeLessThanOrEqual(8_726_400 - 3600);
      expect(same.x_refresh_token_expires_in).toBeGreaterThan(8_726_400 - 3610);
      sandbox.advanceClock(24 * 3600);
      const rotated = (await client.refresh()).getJson();
      expect(rotated.refresh_token).not.toBe(first.refresh_token);
      expect(rotated.x_refresh_token_expires_in).toBe(8_726_400);
    } finally {
      await sandbox.close();
    }
  });
});

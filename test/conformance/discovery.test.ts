/**
 * OpenID Connect discovery: the documents Intuit's libraries fetch when a client is set up (node-quickbooks'
 * `setOauthVersion('2.0', useSandbox)`, Intuit's Python `intuit-oauth` `AuthClient`), served by the emulator with its
 * own endpoints, and the userinfo endpoint they point at, which answers by the granted OpenID scopes.
 */
import { createRequire } from 'node:module';
import OAuthClient from 'intuit-oauth';
import QuickBooks from 'node-quickbooks';
import { startConformance, type Conformance, type Json } from './helpers';

let c: Conformance;

beforeAll(async () => {
  c = await startConformance();
});

afterAll(async () => {
  await c.close();
});

/** Follows the consent page with the given scopes and exchanges the code with intuit-oauth. */
async function connect(scopes: string[]): Promise<Json> {
  const app = c.sandbox.demoApp;
  const oauth = new OAuthClient({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    environment: 'sandbox',
    redirectUri: app.redirectUris[0],
  });
  oauth.setAuthorizeURLs(c.sandbox.endpoints);
  const consent = await fetch(
    `${oauth.authorizeUri({ scope: scopes, state: 's' })}&sandbox_consent=approve`,
    {
      redirect: 'manual',
    },
  );
  await oauth.createToken(consent.headers.get('location')!);
  return oauth;
}

describe('OpenID discovery', () => {
  it.each([
    '/.well-known/openid_sandbox_configuration/',
    '/.well-known/openid_configuration/',
    '/.well-known/openid_sandbox_configuration',
    '/.well-known/openid-configuration',
  ])('serves %s pointing at the emulator', async (path) => {
    const res = await fetch(`${c.sandbox.url}${path}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Json;
    expect(doc).toMatchObject({
      authorization_endpoint: c.sandbox.endpoints.authorizeEndpoint,
      token_endpoint: c.sandbox.endpoints.tokenEndpoint,
      revocation_endpoint: c.sandbox.endpoints.revokeEndpoint,
      userinfo_endpoint: c.sandbox.endpoints.userInfoEndpoint,
      jwks_uri: `${c.sandbox.url}/op/v1/jwks`,
      response_types_supported: ['code'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    });
    const keys = (await (await fetch(doc.jwks_uri)).json()) as Json;
    expect(keys).toEqual({ keys: [] });
  });

  it("configures node-quickbooks' OAuth 2.0 endpoints from the sandbox document", async () => {
    // node-quickbooks fetches Intuit's fixed discovery URL with its axios; the transport is pointed at the emulator
    // (as a proxy or hosts entry would), the library itself is unchanged.
    const axios = createRequire(require.resolve('node-quickbooks'))('axios') as Json;
    const interceptor = axios.interceptors.request.use((config: Json) => ({
      ...config,
      url: String(config.url).replace('https://developer.intuit.com', c.sandbox.url),
    }));
    try {
      const q = QuickBooks as Json;
      q.TOKEN_URL = 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer';
      q.setOauthVersion('2.0', true);
      for (let i = 0; i < 200 && q.AUTHORIZATION_URL !== c.sandbox.endpoints.authorizeEndpoint; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(q.TOKEN_URL).toBe(c.sandbox.endpoints.tokenEndpoint);
      expect(q.AUTHORIZATION_URL).toBe(c.sandbox.endpoints.authorizeEndpoint);
      expect(q.USER_INFO_URL).toBe(c.sandbox.endpoints.userInfoEndpoint);
      expect(q.REVOKE_URL).toBe(c.sandbox.endpoints.revokeEndpoint);
    } finally {
      axios.interceptors.request.eject(interceptor);
    }
  });
});

describe('userinfo', () => {
  it('answers the claims of the granted OpenID scopes', async () => {
    const oauth = await connect([
      OAuthClient.scopes.OpenId,
      OAuthClient.scopes.Email,
      OAuthClient.scopes.Profile,
    ]);
    const info = (await oauth.getUserInfo()).json;
    expect(info).toMatchObject({ sub: expect.any(String), email: expect.any(String), givenName: 'Demo' });
    expect(info.phoneNumber).toBeUndefined();
  });

  it('refuses a token without the openid scope', async () => {
    const oauth = await connect([OAuthClient.scopes.Accounting]);
    await expect(oauth.getUserInfo()).rejects.toBeDefined();
  });
});

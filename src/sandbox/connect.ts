/**
 * Scripted "Connect to QuickBooks" against a running emulator, over HTTP like a browser and an OAuth client would:
 * consent page with `sandbox_consent=approve`, then the code exchange at the token endpoint. Benchmarks, tests and
 * scripts use it to get tokens without driving a browser.
 */

/** Intuit's token response. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in?: number;
}

/** What `connectApp` needs. */
export interface ConnectOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** A specific company; the emulator's default company otherwise. */
  realmId?: string;
  /** Space-separated scopes; `com.intuit.quickbooks.accounting` by default. */
  scope?: string;
  /** Send `x-include-refresh-token-hard-expires-in: true`. */
  includeHardExpiry?: boolean;
}

/** Runs the consent and code exchange; returns the company's realm id and the tokens. */
export async function connectApp(
  baseUrl: string,
  opts: ConnectOptions,
): Promise<{ realmId: string; tokens: TokenResponse }> {
  const authorize = new URL('/connect/oauth2', baseUrl);
  authorize.search = new URLSearchParams({
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    response_type: 'code',
    scope: opts.scope ?? 'com.intuit.quickbooks.accounting',
    state: 'connect-app',
    sandbox_consent: 'approve',
    ...(opts.realmId ? { sandbox_realm: opts.realmId } : {}),
  }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) {
    throw new Error(`consent failed: HTTP ${consent.status} ${await consent.text()}`);
  }
  const callback = new URL(location);
  const code = callback.searchParams.get('code');
  const realmId = callback.searchParams.get('realmId') ?? '';
  if (!code) throw new Error(`consent failed: ${callback.searchParams.get('error') ?? 'no code'}`);

  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (opts.includeHardExpiry) headers['x-include-refresh-token-hard-expires-in'] = 'true';
  const tokenRes = await fetch(new URL('/oauth2/v1/tokens/bearer', baseUrl), {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: opts.redirectUri,
    }).toString(),
  });
  const json = (await tokenRes.json()) as TokenResponse & { error?: string };
  if (tokenRes.status !== 200)
    throw new Error(`token exchange failed: HTTP ${tokenRes.status} ${json.error ?? ''}`);
  return { realmId, tokens: json };
}

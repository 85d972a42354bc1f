import OAuthClient from 'intuit-oauth';
import type { QuickBooksConfig } from '../../config';

/** What a code exchange or refresh returns, in our terms. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Seconds. */
  expiresIn: number;
  /** Seconds until the refresh token's rolling expiry. */
  refreshExpiresIn: number;
  /** Seconds until the grant's absolute end, when Intuit reports it. */
  hardExpiresIn: number | null;
  realmId: string | null;
}

/** A token-endpoint failure: `invalid_grant` means the grant is gone and only reconnecting helps. */
export class OAuthGrantError extends Error {
  constructor(
    readonly error: string,
    message: string,
    readonly intuitTid?: string,
  ) {
    super(message);
    this.name = 'OAuthGrantError';
  }
  get grantRevoked(): boolean {
    return this.error === 'invalid_grant';
  }
}

/**
 * Intuit's OAuth 2.0 through the `intuit-oauth` package. A fresh OAuthClient per operation, because an OAuthClient
 * keeps the last token it saw and we hold tokens for many connections. In local mode the package's endpoints (static,
 * process-wide) point at the emulator.
 */
export class IntuitOAuth {
  constructor(private readonly config: QuickBooksConfig) {
    if (config.mode === 'local') {
      const base = config.sandboxUrl;
      if (!base) throw new Error('local mode needs the emulator URL');
      new OAuthClient(this.clientConfig()).setAuthorizeURLs({
        authorizeEndpoint: `${base}/connect/oauth2`,
        tokenEndpoint: `${base}/oauth2/v1/tokens/bearer`,
        revokeEndpoint: `${base}/v2/oauth2/tokens/revoke`,
        userInfoEndpoint: `${base}/v1/openid_connect/userinfo`,
      });
    }
  }

  /** Intuit's authorization URL for the accounting scope, carrying our `state`. */
  authorizationUrl(state: string): string {
    return new OAuthClient(this.clientConfig()).authorizeUri({
      scope: [OAuthClient.scopes.Accounting],
      state,
    });
  }

  /** Exchanges the code of a callback URL (the full URL Intuit redirected to) for tokens. */
  async exchange(callbackUrl: string): Promise<TokenSet> {
    const client = new OAuthClient(this.clientConfig());
    try {
      return toTokenSet((await client.createToken(callbackUrl)).getToken());
    } catch (error) {
      throw toGrantError(error);
    }
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    const client = new OAuthClient(this.clientConfig());
    try {
      return toTokenSet((await client.refreshUsingToken(refreshToken)).getToken());
    } catch (error) {
      throw toGrantError(error);
    }
  }

  /** Revokes the whole grant (Intuit revokes access and refresh tokens together). */
  async revoke(refreshToken: string): Promise<void> {
    const client = new OAuthClient(this.clientConfig());
    try {
      await client.revoke({ refresh_token: refreshToken });
    } catch (error) {
      throw toGrantError(error);
    }
  }

  private clientConfig() {
    return {
      clientId: this.config.clientId,
      clientSecret: this.config.clientSecret,
      environment: this.config.mode === 'production' ? ('production' as const) : ('sandbox' as const),
      redirectUri: this.config.redirectUri,
      logging: false,
      includeRefreshTokenHardExpiresIn: true,
    };
  }
}

function toTokenSet(token: {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  x_refresh_token_expires_in?: number;
  x_refresh_token_hard_expires_in?: number;
  realmId?: string;
}): TokenSet {
  if (!token.access_token || !token.refresh_token)
    throw new OAuthGrantError('invalid_response', 'Intuit returned no tokens');
  return {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    expiresIn: token.expires_in ?? 3600,
    refreshExpiresIn: token.x_refresh_token_expires_in ?? 8_726_400,
    hardExpiresIn: token.x_refresh_token_hard_expires_in ? token.x_refresh_token_hard_expires_in : null,
    realmId: token.realmId || null,
  };
}

/** intuit-oauth reports failures in several shapes depending on version and path; this reads them all. */
function toGrantError(error: unknown): OAuthGrantError {
  if (error instanceof OAuthGrantError) return error;
  const e = (error ?? {}) as {
    error?: string;
    error_description?: string;
    code?: string;
    message?: string;
    intuit_tid?: string;
    intuitTid?: string;
    authResponse?: { json?: { error?: string; error_description?: string } };
  };
  const json = e.authResponse?.json;
  const code =
    json?.error ?? e.error ?? (e.code && /^[a-z_]+$/.test(e.code) ? e.code : undefined) ?? 'oauth_failure';
  const description =
    json?.error_description ?? e.error_description ?? e.message ?? 'the token request failed';
  return new OAuthGrantError(
    /invalid_grant/.test(`${code} ${description}`) ? 'invalid_grant' : code,
    description,
    e.intuit_tid ?? e.intuitTid,
  );
}

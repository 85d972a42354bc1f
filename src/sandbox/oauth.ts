/**
 * OAuth 2.0 the way Intuit runs it (reference §1): consent page, single-use authorization codes, the token endpoint with
 * `authorization_code` and `refresh_token` grants, refresh-token rotation with a grace period for the previous token,
 * the optional hard-expiry field, revocation of a whole grant, and bearer checks for the accounting API.
 *
 * Tokens are opaque random strings bound to (app, realm, grant). Every expiry reads the emulator clock.
 */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AppRegistry, SandboxApp } from './apps';
import type { OffsetClock } from './clock';
import { escapeXml, jsonReply, mediaType, parseQuery, randomToken, type Reply } from './http-util';
import type { Stats } from './stats';

/** Intuit's lifetimes. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 8_726_400;
/** Refresh tokens have a hard lifetime of 5 years from the grant (Intuit's 2025 policy). */
export const HARD_EXPIRY_SECONDS = 5 * 365 * 86_400;
/** Authorization codes live 10 minutes (Intuit does not document it; a few minutes is the norm). */
export const CODE_TTL_SECONDS = 600;

const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';
const PAYMENT_SCOPE = 'com.intuit.quickbooks.payment';

/** Options of the OAuth server. */
export interface OAuthOptions {
  /** How long a superseded refresh token keeps working, in seconds (Intuit: 24 h). */
  refreshTokenGraceSeconds: number;
  /** Rotate the refresh token on every refresh, or only when the current one is older than this many hours. */
  rotateRefreshTokens: 'every-refresh' | number;
  /** Access token lifetime in seconds (default 3600; intuit-oauth treats 60 or less as already expired). */
  accessTokenTtlSeconds: number;
}

/** What the emulator needs to know about companies to show the consent page. */
export interface RealmDirectory {
  listRealms(): Array<{ realmId: string; companyName: string }>;
  hasRealm(realmId: string): boolean;
  /** The realm picked when the consent page is approved without `sandbox_realm`. */
  defaultRealmId(): string | undefined;
}

/** One authorization: an app connected to a company. */
export interface Grant {
  id: string;
  clientId: string;
  realmId: string;
  scopes: string[];
  createdAtMs: number;
  hardExpiresAtMs: number;
  refreshToken: string;
  refreshIssuedAtMs: number;
  refreshExpiresAtMs: number;
  /** Superseded refresh tokens still inside their grace period. */
  previousRefreshTokens: Array<{ token: string; graceUntilMs: number }>;
  /** Access tokens issued and not yet known to be expired. */
  accessTokens: Array<{ token: string; expiresAtMs: number }>;
  revoked: boolean;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  realmId: string;
  scopes: string[];
  expiresAtMs: number;
}

/** Result of checking a bearer token for `/v3/company/{realmId}/...`. */
export type BearerCheck =
  | { ok: true; grant: Grant }
  | { ok: false; status: 401 | 403; code: string; message: string; detail: string | null; type: string };

const INVALID_GRANT = { error: 'invalid_grant', error_description: 'Token invalid' };

/** The OAuth half of the platform. */
export class OAuthServer {
  private readonly grants = new Map<string, Grant>();
  private readonly accessIndex = new Map<string, { grant: Grant; expiresAtMs: number }>();
  private readonly refreshIndex = new Map<string, Grant>();
  private readonly codes = new Map<string, CodeRecord>();

  constructor(
    private readonly apps: AppRegistry,
    private readonly realms: RealmDirectory,
    private readonly clock: OffsetClock,
    private readonly stats: Stats,
    private readonly options: OAuthOptions,
    /** Called after every change worth saving in the snapshot. */
    private readonly onStateChange: () => void,
  ) {}

  // ---------------------------------------------------------------- consent page

  /** `GET /connect/oauth2`: validates the client and redirect URI, then shows the consent page or redirects at once. */
  authorize(q: Record<string, string>): Reply {
    const app = q.client_id ? this.apps.get(q.client_id) : undefined;
    if (!app) {
      return errorPage(400, 'invalid_client', 'The client_id is not registered with this emulator.');
    }
    const redirectUri = q.redirect_uri ?? '';
    // Never redirect to an unvalidated URI: errors about the client or the redirect URI stay on this page (RFC 6749 4.1.2.1).
    if (!redirectUri || !this.apps.isRedirectAllowed(app, redirectUri)) {
      return errorPage(400, 'invalid_request', 'The redirect_uri is not registered for this app.');
    }
    const state = q.state;
    if (q.response_type !== 'code') {
      return redirect(redirectUri, { error: 'unsupported_response_type', state });
    }
    const scopes = (q.scope ?? '').split(/[\s+]+/).filter(Boolean);
    if (scopes.length === 0) return redirect(redirectUri, { error: 'invalid_scope', state });

    const consent = q.sandbox_consent;
    if (consent === 'deny') return redirect(redirectUri, { error: 'access_denied', state });
    if (consent !== 'approve') return this.consentPage(app, q);

    const realmId = q.sandbox_realm || this.realms.defaultRealmId();
    if (!realmId || !this.realms.hasRealm(realmId)) {
      return errorPage(400, 'invalid_request', `There is no company ${realmId ?? ''} in this emulator.`);
    }
    this.sweepCodes();
    const code = `AB11${Math.floor(this.clock.nowMs() / 1000)}${randomToken(30)}`;
    this.codes.set(code, {
      clientId: app.clientId,
      redirectUri,
      realmId,
      scopes,
      expiresAtMs: this.clock.nowMs() + CODE_TTL_SECONDS * 1000,
    });
    const withRealm = scopes.includes(ACCOUNTING_SCOPE) || scopes.includes(PAYMENT_SCOPE);
    return redirect(redirectUri, { code, state, realmId: withRealm ? realmId : undefined });
  }

  private consentPage(app: SandboxApp, q: Record<string, string>): Reply {
    const hidden = Object.entries(q)
      .filter(([k]) => k !== 'sandbox_consent' && k !== 'sandbox_realm')
      .map(([k, v]) => `<input type="hidden" name="${escapeXml(k)}" value="${escapeXml(v)}">`)
      .join('');
    const companies = this.realms
      .listRealms()
      .map(
        (r) =>
          `<li><form method="get" action="/connect/oauth2">${hidden}` +
          `<input type="hidden" name="sandbox_realm" value="${escapeXml(r.realmId)}">` +
          `<strong>${escapeXml(r.companyName)}</strong> <small>(realm ${escapeXml(r.realmId)})</small> ` +
          `<button type="submit" name="sandbox_consent" value="approve">Connect</button></form></li>`,
      )
      .join('');
    const html =
      '<!doctype html><html><head><meta charset="utf-8"><title>Connect to QuickBooks (emulator)</title></head><body>' +
      `<h1>Connect ${escapeXml(app.clientId)} to QuickBooks</h1>` +
      `<p>Requested access: ${escapeXml(q.scope ?? '')}</p>` +
      `<p>Choose a company:</p><ul>${companies || '<li>No companies yet.</li>'}</ul>` +
      `<form method="get" action="/connect/oauth2">${hidden}` +
      '<button type="submit" name="sandbox_consent" value="deny">Cancel</button></form>' +
      '</body></html>';
    return { status: 200, body: html, contentType: 'text/html;charset=utf-8' };
  }

  private sweepCodes(): void {
    if (this.codes.size < 256) return;
    const now = this.clock.nowMs();
    for (const [code, rec] of this.codes) if (rec.expiresAtMs <= now) this.codes.delete(code);
  }

  // ---------------------------------------------------------------- token endpoint

  /** `POST /oauth2/v1/tokens/bearer`. */
  token(req: IncomingMessage, rawBody: Buffer): Reply {
    const form = parseForm(req, rawBody);
    const app = this.authenticateClient(req, form);
    if (!app) return this.tokenError(401, { error: 'invalid_client' });

    const grantType = form.grant_type;
    if (!grantType) {
      return this.tokenError(400, { error: 'invalid_request', error_description: 'grant_type is missing' });
    }
    const includeHard =
      String(req.headers['x-include-refresh-token-hard-expires-in'] ?? '').toLowerCase() === 'true';
    // One instant per request, so lifetimes come out as whole numbers (8726400, not 8726399).
    const now = this.clock.nowMs();
    if (grantType === 'authorization_code') {
      if (!form.code)
        return this.tokenError(400, { error: 'invalid_request', error_description: 'code is missing' });
      const rec = this.codes.get(form.code);
      // Single use: a code is gone once presented, whatever the outcome.
      this.codes.delete(form.code);
      if (
        !rec ||
        rec.expiresAtMs <= now ||
        rec.clientId !== app.clientId ||
        (form.redirect_uri ?? '') !== rec.redirectUri
      ) {
        return this.tokenError(400, INVALID_GRANT);
      }
      const grant = this.createGrant(rec, now);
      this.stats.tokenGrant('authorization_code');
      this.onStateChange();
      return this.tokenResponse(grant, includeHard, now);
    }
    if (grantType === 'refresh_token') {
      if (!form.refresh_token) {
        return this.tokenError(400, {
          error: 'invalid_request',
          error_description: 'refresh_token is missing',
        });
      }
      const grant = this.refresh(form.refresh_token, app, now);
      if (!grant) return this.tokenError(400, INVALID_GRANT);
      this.stats.tokenGrant('refresh_token');
      this.onStateChange();
      return this.tokenResponse(grant, includeHard, now);
    }
    return this.tokenError(400, { error: 'unsupported_grant_type' });
  }

  private createGrant(rec: CodeRecord, now: number): Grant {
    const grant: Grant = {
      id: randomToken(12),
      clientId: rec.clientId,
      realmId: rec.realmId,
      scopes: rec.scopes,
      createdAtMs: now,
      hardExpiresAtMs: now + HARD_EXPIRY_SECONDS * 1000,
      refreshToken: newRefreshToken(now),
      refreshIssuedAtMs: now,
      refreshExpiresAtMs: now + REFRESH_TOKEN_TTL_SECONDS * 1000,
      previousRefreshTokens: [],
      accessTokens: [],
      revoked: false,
    };
    this.grants.set(grant.id, grant);
    this.refreshIndex.set(grant.refreshToken, grant);
    return grant;
  }

  /** Runs a refresh; returns the grant with a fresh access token (and maybe a rotated refresh token), or undefined. */
  private refresh(token: string, app: SandboxApp, now: number): Grant | undefined {
    const grant = this.refreshIndex.get(token);
    if (!grant || grant.revoked || grant.clientId !== app.clientId) return undefined;
    if (grant.hardExpiresAtMs <= now) return undefined;
    if (token === grant.refreshToken) {
      if (grant.refreshExpiresAtMs <= now) return undefined;
    } else {
      const prev = grant.previousRefreshTokens.find((p) => p.token === token);
      if (!prev || prev.graceUntilMs <= now) {
        this.pruneRefresh(grant, now);
        return undefined;
      }
    }
    const rotate =
      this.options.rotateRefreshTokens === 'every-refresh' ||
      now - grant.refreshIssuedAtMs >= this.options.rotateRefreshTokens * 3_600_000;
    if (rotate) {
      const graceUntilMs = Math.min(
        now + this.options.refreshTokenGraceSeconds * 1000,
        grant.refreshExpiresAtMs,
      );
      if (graceUntilMs > now) grant.previousRefreshTokens.push({ token: grant.refreshToken, graceUntilMs });
      else this.refreshIndex.delete(grant.refreshToken);
      grant.refreshToken = newRefreshToken(now);
      grant.refreshIssuedAtMs = now;
      grant.refreshExpiresAtMs = now + REFRESH_TOKEN_TTL_SECONDS * 1000;
      this.refreshIndex.set(grant.refreshToken, grant);
    }
    this.pruneRefresh(grant, now);
    return grant;
  }

  private pruneRefresh(grant: Grant, now: number): void {
    if (grant.previousRefreshTokens.length === 0) return;
    grant.previousRefreshTokens = grant.previousRefreshTokens.filter((p) => {
      if (p.graceUntilMs > now) return true;
      this.refreshIndex.delete(p.token);
      return false;
    });
  }

  private tokenResponse(grant: Grant, includeHard: boolean, now: number): Reply {
    grant.accessTokens = grant.accessTokens.filter((a) => {
      if (a.expiresAtMs > now) return true;
      this.accessIndex.delete(a.token);
      return false;
    });
    const accessToken = randomToken(48);
    const expiresAtMs = now + this.options.accessTokenTtlSeconds * 1000;
    grant.accessTokens.push({ token: accessToken, expiresAtMs });
    this.accessIndex.set(accessToken, { grant, expiresAtMs });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      refresh_token: grant.refreshToken,
      token_type: 'bearer',
      expires_in: this.options.accessTokenTtlSeconds,
      // Counts down while the same refresh token is handed back; never beyond the grant's hard expiry.
      x_refresh_token_expires_in: Math.max(
        0,
        Math.floor((Math.min(grant.refreshExpiresAtMs, grant.hardExpiresAtMs) - now) / 1000),
      ),
    };
    if (includeHard)
      body.x_refresh_token_hard_expires_in = Math.max(0, Math.floor((grant.hardExpiresAtMs - now) / 1000));
    return jsonReply(200, body, NO_STORE);
  }

  private tokenError(status: number, body: { error: string; error_description?: string }): Reply {
    this.stats.tokenError(body.error);
    return jsonReply(status, body, NO_STORE);
  }

  /** Client authentication: HTTP Basic (client_secret_basic) or form fields (client_secret_post). */
  private authenticateClient(req: IncomingMessage, form: Record<string, string>): SandboxApp | undefined {
    let id = form.client_id;
    let secret = form.client_secret;
    const auth = req.headers.authorization;
    if (auth && auth.slice(0, 6).toLowerCase() === 'basic ') {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        id = decoded.slice(0, colon);
        secret = decoded.slice(colon + 1);
      }
    }
    if (!id || secret === undefined) return undefined;
    const app = this.apps.get(id);
    return app && safeEqual(app.clientSecret, secret) ? app : undefined;
  }

  // ---------------------------------------------------------------- revoke

  /**
   * `POST /v2/oauth2/tokens/revoke` with JSON `{"token"}` or form `token=`. Revoking either token of a grant ends the whole
   * grant. Unknown tokens also get 200 (RFC 7009 §2.2), so revocation is idempotent.
   */
  revoke(req: IncomingMessage, rawBody: Buffer): Reply {
    const form = parseForm(req, rawBody);
    const app = this.authenticateClient(req, form);
    if (!app) return this.tokenError(401, { error: 'invalid_client' });
    const token = form.token;
    if (!token)
      return this.tokenError(400, { error: 'invalid_request', error_description: 'token is missing' });
    const grant = this.refreshIndex.get(token) ?? this.accessIndex.get(token)?.grant;
    if (grant && grant.clientId === app.clientId) {
      this.revokeGrant(grant);
      this.onStateChange();
    }
    this.stats.revocation();
    return { status: 200, body: '', contentType: 'application/json;charset=UTF-8' };
  }

  private revokeGrant(grant: Grant): void {
    grant.revoked = true;
    for (const a of grant.accessTokens) this.accessIndex.delete(a.token);
    for (const p of grant.previousRefreshTokens) this.refreshIndex.delete(p.token);
    this.refreshIndex.delete(grant.refreshToken);
    grant.accessTokens = [];
    grant.previousRefreshTokens = [];
    this.grants.delete(grant.id);
  }

  // ---------------------------------------------------------------- bearer checks

  /** Checks `Authorization: Bearer` for a call to `realmId`. */
  checkBearer(authorization: string | undefined, realmId: string): BearerCheck {
    if (!authorization || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') {
      return unauthenticated('Malformed bearer token: too short or too long');
    }
    const rec = this.accessIndex.get(authorization.slice(7).trim());
    if (!rec || rec.grant.revoked) return unauthenticated('Token expired');
    if (rec.expiresAtMs <= this.clock.nowMs()) return unauthenticated('Token expired');
    const grant = rec.grant;
    if (grant.realmId !== realmId) {
      return {
        ok: false,
        status: 403,
        code: '3100',
        message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
        detail: null,
        type: 'SERVICE',
      };
    }
    if (!grant.scopes.includes(ACCOUNTING_SCOPE)) {
      return {
        ok: false,
        status: 403,
        code: '3100',
        message: 'message=AuthorizationFailed; errorCode=003100; statusCode=403',
        detail: 'The access token does not have sufficient scope',
        type: 'SERVICE',
      };
    }
    return { ok: true, grant };
  }

  /** `GET /v1/openid_connect/userinfo`: a fixed demo person for a valid access token granted the `openid` scope. */
  userInfo(req: IncomingMessage): Reply {
    const auth = req.headers.authorization ?? '';
    const rec =
      auth.slice(0, 7).toLowerCase() === 'bearer ' ? this.accessIndex.get(auth.slice(7).trim()) : undefined;
    if (!rec || rec.expiresAtMs <= this.clock.nowMs()) {
      return jsonReply(401, { error: 'invalid_token' });
    }
    // Claims follow the granted OpenID scopes, as Intuit's userinfo does: `openid` is needed at all, then `email`,
    // `profile`, `phone` and `address` each add their claims.
    const scopes = new Set(rec.grant.scopes);
    if (!scopes.has('openid')) return jsonReply(403, { error: 'insufficient_scope' });
    const info: Record<string, unknown> = { sub: `sandbox-user-${rec.grant.clientId}` };
    if (scopes.has('email')) Object.assign(info, { email: 'demo.user@example.com', emailVerified: true });
    if (scopes.has('profile')) Object.assign(info, { givenName: 'Demo', familyName: 'User' });
    if (scopes.has('phone'))
      Object.assign(info, { phoneNumber: '+1 6505550100', phoneNumberVerified: false });
    if (scopes.has('address')) {
      info.address = {
        streetAddress: '2700 Coast Ave',
        locality: 'Mountain View',
        region: 'CA',
        postalCode: '94043',
        country: 'US',
      };
    }
    return jsonReply(200, info);
  }

  // ---------------------------------------------------------------- queries, snapshot, reset

  /** Apps that hold a live grant for the realm (they receive its webhooks). */
  connectedClientIds(realmId: string): Set<string> {
    const out = new Set<string>();
    const now = this.clock.nowMs();
    for (const g of this.grants.values()) {
      if (g.realmId === realmId && !g.revoked && g.hardExpiresAtMs > now) out.add(g.clientId);
    }
    return out;
  }

  /** Live grants, without tokens (for `GET /_sandbox/grants`). */
  listGrants(): Array<Omit<Grant, 'refreshToken' | 'previousRefreshTokens' | 'accessTokens'>> {
    return [...this.grants.values()].map(
      ({ refreshToken: _r, previousRefreshTokens: _p, accessTokens: _a, ...rest }) => ({
        ...rest,
        scopes: [...rest.scopes],
      }),
    );
  }

  snapshot(): { grants: Grant[] } {
    return { grants: [...this.grants.values()].map((g) => structuredClone(g)) };
  }

  restore(state: { grants?: Grant[] } | undefined): void {
    this.reset();
    for (const g of state?.grants ?? []) {
      if (!g || typeof g.id !== 'string' || g.revoked) continue;
      const grant = structuredClone(g);
      this.grants.set(grant.id, grant);
      this.refreshIndex.set(grant.refreshToken, grant);
      for (const p of grant.previousRefreshTokens) this.refreshIndex.set(p.token, grant);
      for (const a of grant.accessTokens)
        this.accessIndex.set(a.token, { grant, expiresAtMs: a.expiresAtMs });
    }
  }

  /** Forgets every grant, token and code. */
  reset(): void {
    this.grants.clear();
    this.accessIndex.clear();
    this.refreshIndex.clear();
    this.codes.clear();
  }
}

function unauthenticated(detail: string): BearerCheck {
  return {
    ok: false,
    status: 401,
    code: '3200',
    message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
    detail,
    type: 'AUTHENTICATION',
  };
}

function newRefreshToken(nowMs: number): string {
  return `AB11${Math.floor(nowMs / 1000) + REFRESH_TOKEN_TTL_SECONDS}${randomToken(30)}`;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function redirect(target: string, params: Record<string, string | undefined>): Reply {
  const url = new URL(target);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return {
    status: 302,
    body: '',
    contentType: 'text/plain',
    headers: { location: url.toString(), 'cache-control': 'no-store' },
  };
}

function errorPage(status: number, error: string, text: string): Reply {
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>Connection error</title></head><body>' +
    `<h1>${escapeXml(error)}</h1><p>${escapeXml(text)}</p></body></html>`;
  return { status, body: html, contentType: 'text/html;charset=utf-8' };
}

/** Token-endpoint bodies are form-encoded; JSON is accepted too because some clients send it to the revoke endpoint. */
function parseForm(req: IncomingMessage, raw: Buffer): Record<string, string> {
  const text = raw.toString('utf8');
  if (mediaType(req) === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(text);
      const out: Record<string, string> = {};
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
      }
      return out;
    } catch {
      return {};
    }
  }
  return parseQuery(text);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

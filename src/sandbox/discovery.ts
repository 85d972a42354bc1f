/**
 * OpenID Connect discovery, as Intuit publishes it (docs/reference/quickbooks-api.md §1.1): the sandbox document at
 * `/.well-known/openid_sandbox_configuration` and the production one at `/.well-known/openid_configuration` (the
 * paths node-quickbooks' `setOauthVersion('2.0')` and Intuit's Python `intuit-oauth` fetch, with or without the
 * trailing slash; the hyphenated spelling of Intuit's developer site answers too). Both point at the emulator's own
 * endpoints, on the origin the client used (its Host header), so a client that only swaps the discovery URL ends up
 * talking to the emulator for everything. The emulator issues no `id_token`, so the JWKS is empty.
 */
import type { IncomingMessage } from 'node:http';
import { jsonReply, type Reply } from './http-util';

const DISCOVERY_PATHS = new Set(
  [
    '/.well-known/openid_sandbox_configuration',
    '/.well-known/openid_configuration',
    '/.well-known/openid-sandbox-configuration',
    '/.well-known/openid-configuration',
  ].flatMap((p) => [p, `${p}/`]),
);

/** `/op/v1/jwks`, where `jwks_uri` points. */
export const JWKS_PATH = '/op/v1/jwks';

export function isDiscoveryPath(path: string): boolean {
  return DISCOVERY_PATHS.has(path);
}

/** The origin a request reached (`http://127.0.0.1:4100`), from its Host header. */
function originOf(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host ? `http://${host}` : fallback;
}

/** The discovery document, with Intuit's field set and values other than the URLs. */
export function discoveryDocument(req: IncomingMessage, fallbackOrigin: string): Reply {
  const origin = originOf(req, fallbackOrigin);
  return jsonReply(200, {
    issuer: `${origin}/op/v1`,
    authorization_endpoint: `${origin}/connect/oauth2`,
    token_endpoint: `${origin}/oauth2/v1/tokens/bearer`,
    userinfo_endpoint: `${origin}/v1/openid_connect/userinfo`,
    revocation_endpoint: `${origin}/v2/oauth2/tokens/revoke`,
    jwks_uri: `${origin}${JWKS_PATH}`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile', 'address', 'phone'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['aud', 'exp', 'iat', 'iss', 'realmid', 'sub'],
  });
}

/** The JWKS: no keys, because the emulator signs no id_token. */
export function jwks(): Reply {
  return jsonReply(200, { keys: [] });
}

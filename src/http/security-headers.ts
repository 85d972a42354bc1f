/**
 * Security headers (helmet) on every response, so every HTML page carries them: the console, GraphiQL at GET
 * /graphql and the OAuth callback's page. The Content-Security-Policy is the one the console's pages declare in their
 * own <meta> (nothing inline but styles, nothing from another origin; `connect-src 'self'` covers the same-origin
 * WebSocket), plus what a <meta> cannot say: no framing (`frame-ancestors 'none'`, X-Frame-Options DENY). No
 * `upgrade-insecure-requests`: a local gateway answers plain HTTP.
 */
import helmet from 'helmet';
import type { RequestHandler } from 'express';

export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    // Plain HTTP is normal locally; HTTPS deployments set HSTS at their TLS proxy.
    strictTransportSecurity: false,
    // Partners' browser apps call /graphql from their origins (CORS_ORIGINS).
    crossOriginResourcePolicy: { policy: 'same-site' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

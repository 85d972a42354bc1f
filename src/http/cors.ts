/**
 * Browsers on other origins (a partner's web app) may call the API when their origin is in `CORS_ORIGINS`. Keys travel
 * in the Authorization header, never in cookies, so responses never allow credentials. A browser request from any
 * other origin is refused with 403 before it reaches GraphQL; requests without an Origin (servers, scripts) and from
 * the gateway's own origin are not affected.
 */
import cors from 'cors';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Whether a request's Origin may use the API: none (not a browser), the gateway's own, or an allowed one. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The CORS middleware of `/graphql`: preflights answered for allowed origins, anything else from a browser refused. */
export function corsGuard(allowed: readonly string[]): RequestHandler {
  const headers = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.includes(origin)),
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'apollo-require-preflight'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!originAllowed(req.headers.origin, req.headers.host, allowed)) {
      res.status(403).json({
        errors: [
          {
            message: `Origin ${req.headers.origin} may not call this API`,
            extensions: {
              code: 'FORBIDDEN',
              hint: 'add the origin to CORS_ORIGINS on the gateway (comma-separated list)',
            },
          },
        ],
      });
      return;
    }
    headers(req, res, next);
  };
}

/** For the WebSocket upgrade: browsers send Origin there too, and a socket would otherwise bypass CORS. */
export function webSocketOriginAllowed(allowed: readonly string[]) {
  return (info: { origin: string; req: IncomingMessage }): boolean =>
    originAllowed(info.origin || undefined, info.req.headers.host, allowed);
}

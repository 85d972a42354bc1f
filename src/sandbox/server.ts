/**
 * The HTTP front door: one origin for OAuth (Intuit's paths), the accounting API (`/v3/company/{realmId}/...`) and the
 * admin API (`/_sandbox/...`). For the accounting API the order is Intuit's: bearer check, then throttles, then
 * injected faults, then the accounting half.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin } from './admin';
import type { AccountingRequest } from './contracts';
import { boundaryOf, parseMultipart } from './multipart';
import { discoveryDocument, isDiscoveryPath, JWKS_PATH, jwks } from './discovery';
import { faultReply } from './fault-bodies';
import type { ActiveRule } from './faults';
import {
  BodyTooLargeError,
  jsonReply,
  mediaType,
  parseQuery,
  readBody,
  sleep,
  writeReply,
  type Reply,
} from './http-util';
import type { SandboxPlatform } from './platform';

const API_PREFIX = '/v3/company/';

/** Builds the request listener for `http.createServer`. */
export function createRequestListener(
  p: SandboxPlatform,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(p, req, res).catch((err: unknown) => {
      p.log(`internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLargeError) {
        writeReply(
          res,
          faultReply({ status: 413, code: '10000', detail: 'Request entity too large' }, p.clock.now()),
        );
        return;
      }
      writeReply(res, faultReply({ status: 500, code: '10000' }, p.clock.now()));
    });
  };
}

async function route(p: SandboxPlatform, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const qi = url.indexOf('?');
  const path = qi === -1 ? url : url.slice(0, qi);
  const search = qi === -1 ? '' : url.slice(qi + 1);
  const method = req.method ?? 'GET';

  if (path.startsWith(API_PREFIX)) return api(p, req, res, method, path, search);
  if (path.startsWith('/_sandbox/attachments/') && method === 'GET') {
    // An attachment's temporary download URL: like Intuit's pre-signed links, it needs no token.
    await readBody(req);
    const [realmId, id] = path.slice('/_sandbox/attachments/'.length).split('/').map(decodeURIComponent);
    const file = p.accounting.attachmentContent?.(realmId ?? '', id ?? '');
    if (!file) return writeReply(res, jsonReply(404, { error: 'not_found', message: 'no such attachment' }));
    return writeReply(res, { status: 200, body: file.data, contentType: file.contentType });
  }
  if (path.startsWith('/_sandbox')) {
    const body = await readBody(req);
    return writeReply(res, await handleAdmin(p, method, path, parseQuery(search), body, req));
  }
  if (path === '/oauth2/v1/tokens/bearer' && method === 'POST') {
    const body = await readBody(req);
    return withFaults(p, req, res, method, url, () => p.oauth.token(req, body));
  }
  if (path === '/v2/oauth2/tokens/revoke' && method === 'POST') {
    const body = await readBody(req);
    return withFaults(p, req, res, method, url, () => p.oauth.revoke(req, body));
  }
  if (path === '/connect/oauth2' && method === 'GET') {
    await readBody(req);
    return withFaults(p, req, res, method, url, () => p.oauth.authorize(parseQuery(search)));
  }
  if (path === '/v1/openid_connect/userinfo' && method === 'GET') {
    await readBody(req);
    return writeReply(res, p.oauth.userInfo(req));
  }
  await readBody(req);
  if (method === 'GET' && isDiscoveryPath(path)) {
    return writeReply(
      res,
      discoveryDocument(req, `http://${req.socket.localAddress}:${req.socket.localPort}`),
    );
  }
  if (method === 'GET' && path === JWKS_PATH) return writeReply(res, jwks());
  if (path === '/' && method === 'GET') {
    return writeReply(res, {
      status: 200,
      contentType: 'text/plain;charset=utf-8',
      body:
        'QuickBooks Online emulator\n' +
        'OAuth: GET /connect/oauth2, POST /oauth2/v1/tokens/bearer, POST /v2/oauth2/tokens/revoke\n' +
        'API:   /v3/company/{realmId}/...\n' +
        'Admin: /_sandbox/... (see docs/sandbox.md)\n',
    });
  }
  writeReply(res, jsonReply(404, { error: 'not_found', message: `no route for ${method} ${path}` }));
}

/** OAuth endpoints honour fault rules matched by method and path (entity/operation rules never match them). */
async function withFaults(
  p: SandboxPlatform,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: string,
  run: () => Reply,
): Promise<void> {
  const rule = p.faults.active ? p.faults.pick({ method, url }) : undefined;
  if (rule?.latencyMs) await sleep(rule.latencyMs);
  if (rule?.respond) {
    p.stats.faultInjected(false);
    return writeReply(res, faultReply(rule.respond, p.clock.now()));
  }
  const reply = run();
  if (rule?.dropResponseAfterCommit) {
    p.stats.faultInjected(true);
    req.socket.destroy();
    return;
  }
  writeReply(res, reply);
}

/** Parses the body of an accounting request the way QuickBooks reads it. */
function parseApiBody(req: IncomingMessage, raw: Buffer): { body: unknown; error?: string } {
  if (raw.length === 0) return { body: undefined };
  const type = mediaType(req);
  const boundary = boundaryOf(req.headers['content-type']);
  if (boundary !== undefined) {
    const parts = parseMultipart(raw, boundary);
    return parts ? { body: { multipart: parts } } : { body: undefined, error: 'malformed multipart body' };
  }
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    try {
      return { body: JSON.parse(raw.toString('utf8')) };
    } catch (err) {
      return { body: undefined, error: (err as Error).message };
    }
  }
  // `application/text` is how the Java SDK posts long queries; anything else is handed over as text too.
  return { body: raw.toString('utf8') };
}

/** The next turn of the event loop, after its I/O (between a batch's operations). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The last request's turn to work: each request's work waits for the one before it, a turn apart. */
let lastWork: Promise<void> = Promise.resolve();

/**
 * Resolves in an event-loop turn of this request's own: requests that arrive together are all clocked before any is
 * worked on, and answers that fall due meanwhile go out between two requests' work (timers run between turns),
 * instead of after a burst of ten requests' work (~70 ms for batches of 30 transactions). QuickBooks works on
 * concurrent requests side by side; this single thread should delay an answer by one request's work at most.
 */
function workTurn(): Promise<void> {
  const turn = lastWork.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  lastWork = turn;
  return turn;
}

async function api(
  p: SandboxPlatform,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  search: string,
): Promise<void> {
  // The answer's clock starts when the request arrives: QuickBooks works on concurrent requests side by side, so one
  // request's work in this single thread must not delay the start of another's (ten batch calls arriving together
  // all answer `latencyMs` after they arrived, not one after another).
  const arrived = performance.now();
  const raw = await readBody(req);
  await workTurn();
  const rest = path.slice(API_PREFIX.length);
  const slash = rest.indexOf('/');
  const realmId = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  const subPath = slash === -1 ? '' : rest.slice(slash + 1);

  const auth = p.oauth.checkBearer(req.headers.authorization, realmId);
  if (!auth.ok) {
    p.stats.request(auth.status, realmId, 'unauthenticated');
    return writeReply(
      res,
      faultReply(
        { status: auth.status, code: auth.code, message: auth.message, detail: auth.detail, type: auth.type },
        p.clock.now(),
      ),
    );
  }

  if (method !== 'GET' && method !== 'POST') {
    p.stats.request(405, realmId, 'unsupported');
    return writeReply(
      res,
      faultReply({ status: 405, code: '500', detail: `Method ${method} is not supported.` }, p.clock.now()),
    );
  }
  const parsed = parseApiBody(req, raw);
  const areq: AccountingRequest = {
    method,
    realmId,
    path: subPath,
    query: parseQuery(search),
    body: parsed.body,
    origin: req.headers.host ? `http://${req.headers.host}` : undefined,
  };
  const desc = p.accounting.describe(areq);
  const opKey = desc.entity ? `${desc.entity}.${desc.operation}` : desc.operation;
  const clientId = auth.grant.clientId;

  const throttled = p.limits.admit(realmId, clientId, desc.operation === 'batch');
  try {
    const settings = p.limits.current;
    if (throttled) {
      p.stats.throttled(throttled);
      p.stats.request(429, realmId, opKey);
      const headers =
        settings.retryAfterSeconds !== undefined
          ? { 'retry-after': String(settings.retryAfterSeconds) }
          : undefined;
      return writeReply(
        res,
        faultReply({ status: 429, code: '3001', format: settings.format }, p.clock.now(), headers),
      );
    }
    let rule: ActiveRule | undefined;
    if (p.faults.active) rule = p.faults.pick({ method, url: req.url ?? path, realmId, description: desc });
    // A fault's slowdown comes first (QuickBooks slow to start on it); then the request takes `latencyMs` to answer,
    // counted from its arrival, the emulator's own work inside it, as QuickBooks' is.
    if (rule?.latencyMs) await sleep(rule.latencyMs);
    const started = rule?.latencyMs ? performance.now() : arrived;
    const answerAfterLatency = async (): Promise<void> => {
      const left = settings.latencyMs - (performance.now() - started);
      if (left > 0) await sleep(left);
    };

    if (rule?.respond) {
      await answerAfterLatency();
      p.stats.faultInjected(false);
      p.stats.request(rule.respond.status, realmId, opKey);
      return writeReply(res, faultReply(rule.respond, p.clock.now()));
    }
    if (parsed.error !== undefined) {
      await answerAfterLatency();
      p.stats.request(400, realmId, opKey);
      return writeReply(
        res,
        faultReply(
          {
            status: 400,
            code: '10000',
            detail: `System Failure Error: Could not parse request entity: ${parsed.error}`,
          },
          p.clock.now(),
        ),
      );
    }
    const result = await p.accounting.handleInTurns(areq, nextTurn);
    // The answer is written out before the latency runs out (serializing 30 transactions is part of the work).
    const body = result.body;
    const reply = Buffer.isBuffer(body)
      ? { status: result.status, body, contentType: 'application/pdf' }
      : typeof body === 'string'
        ? { status: result.status, body, contentType: 'text/plain;charset=UTF-8' }
        : jsonReply(result.status, body);
    await answerAfterLatency();
    if (rule?.dropResponseAfterCommit) {
      // The change is committed (webhooks fire as usual); the client just never hears back.
      p.stats.faultInjected(true);
      p.stats.request(0, realmId, opKey);
      req.socket.destroy();
      return;
    }
    p.stats.request(result.status, realmId, opKey);
    writeReply(res, reply);
  } finally {
    p.limits.release(realmId, clientId, throttled === undefined);
  }
}

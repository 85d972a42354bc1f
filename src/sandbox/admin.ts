/**
 * The admin API (`/_sandbox/...`, JSON): not part of QuickBooks. Tests and developers use it to register apps, create
 * companies, act as a person editing in QuickBooks, inject faults, change limits, move the clock and read counters.
 * It has no authentication: the emulator is a local development tool and listens on loopback by default.
 */
import type { IncomingMessage } from 'node:http';
import { AdminInputError } from './apps';
import { jsonReply, type Reply } from './http-util';
import type { SandboxPlatform } from './platform';

const CHANGE_OPERATIONS = ['create', 'update', 'delete', 'void', 'merge'] as const;
type ChangeOp = (typeof CHANGE_OPERATIONS)[number];

function parseJson(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AdminInputError('body must be JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new AdminInputError('body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Handles one admin request; always answers (400/404 with `{"error"}` on bad input). */
export async function handleAdmin(
  p: SandboxPlatform,
  method: string,
  path: string,
  query: Record<string, string>,
  raw: Buffer,
  req: IncomingMessage,
): Promise<Reply> {
  try {
    return await dispatch(p, method, path, query, raw, req);
  } catch (err) {
    if (err instanceof AdminInputError) return jsonReply(err.status, { error: err.message });
    if (err instanceof RangeError) return jsonReply(400, { error: err.message });
    p.log(`admin ${method} ${path} failed: ${(err as Error)?.stack ?? String(err)}`);
    return jsonReply(500, { error: (err as Error)?.message ?? String(err) });
  }
}

async function dispatch(
  p: SandboxPlatform,
  method: string,
  path: string,
  query: Record<string, string>,
  raw: Buffer,
  req: IncomingMessage,
): Promise<Reply> {
  const parts = path
    .split('/')
    .filter(Boolean)
    .slice(1)
    .map((s) => decodeURIComponent(s));
  const [head, id, sub, subId] = parts;
  const route = `${method} ${head ?? ''}`;

  switch (route) {
    case 'GET ':
      return jsonReply(200, {
        url: `http://${req.headers.host ?? ''}`,
        demoApp: p.apps.demoApp,
        defaultRealmId: p.defaultRealmId(),
        realms: p.accounting.listRealms(),
      });

    case 'GET apps':
      if (id) {
        const app = p.apps.get(id);
        return app ? jsonReply(200, app) : jsonReply(404, { error: `no app with clientId ${id}` });
      }
      return jsonReply(200, { items: p.apps.list() });
    case 'POST apps':
      return jsonReply(201, p.registerApp(parseJson(raw)));
    case 'PATCH apps':
    case 'PUT apps':
      if (!id) break;
      return jsonReply(200, p.updateApp(id, parseJson(raw)));
    case 'DELETE apps':
      if (!id) break;
      if (!p.apps.remove(id)) return jsonReply(404, { error: `no app with clientId ${id}` });
      p.markDirty();
      return jsonReply(200, { deleted: id });

    case 'GET realms':
      if (!id) return jsonReply(200, { items: p.accounting.listRealms() });
      if (!p.accounting.hasRealm(id)) return jsonReply(404, { error: `no realm ${id}` });
      if (sub === 'entities' && subId) {
        return jsonReply(200, { items: p.accounting.adminEntities(id, subId) });
      }
      if (!sub)
        return jsonReply(
          200,
          p.accounting.listRealms().find((r) => r.realmId === id),
        );
      break;
    case 'POST realms': {
      if (!id) {
        const body = parseJson(raw);
        const companyName = optionalString(body, 'companyName');
        const country = optionalString(body, 'country');
        if (country !== undefined && country !== 'US')
          throw new AdminInputError('only country "US" is emulated');
        const history = body.history === undefined ? undefined : historyOf(body.history);
        const realmId = p.createRealm({ companyName, country, history });
        return jsonReply(201, { realmId });
      }
      if (sub !== 'changes') break;
      if (!p.accounting.hasRealm(id)) return jsonReply(404, { error: `no realm ${id}` });
      const body = parseJson(raw);
      const entity = body.entity;
      const operation = body.operation;
      const data = body.data ?? {};
      if (typeof entity !== 'string' || !entity) throw new AdminInputError('entity is required');
      if (typeof operation !== 'string' || !CHANGE_OPERATIONS.includes(operation as ChangeOp)) {
        throw new AdminInputError(`operation must be one of ${CHANGE_OPERATIONS.join(', ')}`);
      }
      if (!data || typeof data !== 'object' || Array.isArray(data))
        throw new AdminInputError('data must be an object');
      const result = p.accounting.adminChange(id, {
        entity,
        operation: operation as ChangeOp,
        data: data as Record<string, unknown>,
      });
      return jsonReply(result.status, result.body);
    }

    case 'GET grants':
      return jsonReply(200, { items: p.oauth.listGrants() });

    case 'GET faults':
      return jsonReply(200, p.faults.list());
    case 'PUT faults':
    case 'POST faults':
      return jsonReply(200, p.faults.configure(parseJson(raw)));
    case 'DELETE faults':
      p.faults.clear();
      return jsonReply(200, p.faults.list());

    case 'GET limits':
      return jsonReply(200, p.limits.current);
    case 'PUT limits':
    case 'PATCH limits':
      return jsonReply(200, p.limits.update(parseJson(raw)));

    case 'GET clock':
      return jsonReply(200, clockInfo(p));
    case 'POST clock': {
      const body = parseJson(raw);
      if (typeof body.advanceSeconds !== 'number')
        throw new AdminInputError('advanceSeconds must be a number');
      p.advanceClock(body.advanceSeconds);
      return jsonReply(200, clockInfo(p));
    }

    case 'GET stats':
      return jsonReply(200, p.stats.snapshot());
    case 'DELETE stats':
      p.stats.reset();
      return jsonReply(200, p.stats.snapshot());
    case 'POST stats':
      if (id !== 'reset') break;
      p.stats.reset();
      return jsonReply(200, p.stats.snapshot());

    case 'GET webhooks':
      return jsonReply(200, {
        settings: p.webhooks.current,
        pending: p.webhooks.pending(),
        deliveries: p.webhooks.log(),
      });
    case 'PUT webhooks':
    case 'PATCH webhooks':
      return jsonReply(200, p.webhooks.update(parseJson(raw)));
    case 'POST webhooks':
      if (id !== 'flush') break;
      p.webhooks.flush();
      if (query.wait === 'true' || query.wait === '1') await p.webhooks.idle();
      return jsonReply(200, { pending: p.webhooks.pending() });

    case 'POST reset':
      p.reset();
      return jsonReply(200, { ok: true, defaultRealmId: p.defaultRealmId() });
  }
  return jsonReply(404, { error: `no admin route for ${method} ${path}` });
}

/** `history` of `POST /_sandbox/realms`: `true` or `{months?, seed?}` (a lived-in company). */
function historyOf(value: unknown): { months?: number; seed?: number } | undefined {
  if (value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null)
    throw new AdminInputError('history must be true or {months, seed}');
  const h = value as Record<string, unknown>;
  for (const key of ['months', 'seed']) {
    if (h[key] !== undefined && typeof h[key] !== 'number')
      throw new AdminInputError(`history.${key} must be a number`);
  }
  return { months: h.months as number | undefined, seed: h.seed as number | undefined };
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AdminInputError(`${key} must be a string`);
  return v;
}

function clockInfo(p: SandboxPlatform): { now: string; offsetSeconds: number } {
  return { now: p.clock.now().toISOString(), offsetSeconds: p.clock.getOffsetMs() / 1000 };
}

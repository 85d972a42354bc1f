/**
 * The client-conformance suite drives the emulator with QuickBooks clients nobody here wrote, pointed at it and
 * otherwise unchanged: Intuit's `intuit-oauth` for the consent and code exchange, `node-quickbooks` for every API call.
 * When such a client and the emulator disagree, the emulator is wrong (real QuickBooks accepts what they send).
 */
import OAuthClient from 'intuit-oauth';
import QuickBooks from 'node-quickbooks';
import { createSandbox, type Sandbox } from '../../src/sandbox';

/** Loosely typed JSON for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
export type Json = any;

export interface Conformance {
  sandbox: Sandbox;
  realmId: string;
  qbo: Json;
  /** Calls a node-quickbooks method (callback API) and resolves with what it hands its callback. */
  qb<T = Json>(method: string, ...args: unknown[]): Promise<T>;
  /** Calls a node-quickbooks method that is expected to fail; resolves with QuickBooks' first `Fault.Error` entry. */
  fault(method: string, ...args: unknown[]): Promise<Json>;
  /** The seeded object of that entity whose `field` is `value` (through the client's own find call). */
  seeded(entity: string, field: string, value: string): Promise<Json>;
  close(): Promise<void>;
}

/** The first `Fault.Error` of whatever node-quickbooks handed its callback as the error. */
export function faultEntryOf(err: Json): Json {
  const body = err?.response?.data ?? err;
  return body?.Fault?.Error?.[0] ?? body?.fault?.error?.[0];
}

/** Plural of node-quickbooks' find* methods. */
const FIND_NAMES: Record<string, string> = {
  Class: 'findClasses',
  CompanyCurrency: 'findCompanyCurrencies',
  TaxAgency: 'findTaxAgencies',
  TimeActivity: 'findTimeActivities',
  JournalEntry: 'findJournalEntries',
};

export function findMethod(entity: string): string {
  return FIND_NAMES[entity] ?? `find${entity}s`;
}

/**
 * Starts an emulator, connects the demo app through intuit-oauth (authorizeUri → consent → createToken) and builds a
 * node-quickbooks client with the tokens, as an application would.
 */
export async function startConformance(
  options: Parameters<typeof createSandbox>[0] = {},
): Promise<Conformance> {
  const sandbox = await createSandbox({ port: 0, limits: { enabled: false }, ...options });
  const app = sandbox.demoApp;
  const redirectUri = app.redirectUris[0];
  const oauth = new OAuthClient({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    environment: 'sandbox',
    redirectUri,
  });
  oauth.setAuthorizeURLs(sandbox.endpoints);
  const authUri = oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'conformance' });
  const consent = await fetch(`${authUri}&sandbox_consent=approve`, { redirect: 'manual' });
  if (consent.status !== 302) throw new Error(`consent failed: HTTP ${consent.status}`);
  const auth = await oauth.createToken(consent.headers.get('location')!);
  const token = auth.getToken();

  // node-quickbooks reads its base URL when a client is constructed (docs/sandbox.md, "Point a client at it").
  QuickBooks.V3_ENDPOINT_BASE_URL = `${sandbox.url}/v3/company/`;
  QuickBooks.TOKEN_URL = sandbox.endpoints.tokenEndpoint;
  QuickBooks.REVOKE_URL = sandbox.endpoints.revokeEndpoint;
  const qbo: Json = new QuickBooks(
    app.clientId,
    app.clientSecret,
    token.access_token ?? '',
    false,
    token.realmId ?? '',
    true,
    false,
    '75',
    '2.0',
    token.refresh_token ?? '',
  );

  const qb = <T = Json>(method: string, ...args: unknown[]): Promise<T> =>
    new Promise((resolve, reject) => {
      const fn = qbo[method] as ((...a: unknown[]) => void) | undefined;
      if (typeof fn !== 'function') {
        reject(new Error(`node-quickbooks has no method ${method}`));
        return;
      }
      fn.call(qbo, ...args, (err: unknown, value: T) => {
        if (err) {
          const entry = faultEntryOf(err);
          const e = new Error(
            `${method} failed: ${entry ? JSON.stringify(entry) : String((err as Error).message ?? err)}`,
          );
          (e as Json).cause = err;
          reject(e);
        } else resolve(value);
      });
    });

  const fault = async (method: string, ...args: unknown[]): Promise<Json> => {
    try {
      await qb(method, ...args);
    } catch (err) {
      const entry = faultEntryOf((err as Json).cause);
      if (entry) return entry;
      throw err;
    }
    throw new Error(`${method} was expected to fail`);
  };

  const seeded = async (entity: string, field: string, value: string): Promise<Json> => {
    const found = await qb(findMethod(entity), { [field]: value });
    const obj = found.QueryResponse?.[entity]?.[0];
    if (!obj) throw new Error(`no seeded ${entity} with ${field} = ${value}`);
    return obj;
  };

  return {
    sandbox,
    realmId: token.realmId ?? '',
    qbo,
    qb,
    fault,
    seeded,
    close: () => sandbox.close(),
  };
}

/** An item line as clients send it. */
export function itemLine(itemId: string, qty: number, unitPrice: number, extra: Json = {}): Json {
  return {
    Amount: Math.round(qty * unitPrice * 100) / 100,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: qty, UnitPrice: unitPrice, ...extra },
  };
}

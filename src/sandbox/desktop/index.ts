/**
 * The QuickBooks Desktop emulator: company files that answer qbXML 13.0, and emulated Web Connectors that poll an
 * application's SOAP service with them, on a schedule or on demand, with faults. Optionally an admin API
 * (`/_desktop/...`, JSON) for scripts and other processes. See docs/sandbox.md ("QuickBooks Desktop emulator").
 * Imports nothing from the gateway.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LIST_KINDS,
  TXN_KINDS,
  DesktopCompany,
  type CompanySnapshot,
  type ListKind,
  type TxnKind,
} from './company';
import { QbxmlProcessor, type BeforeRequest, type StatusRule } from './processor';
import { seedCompany } from './seed';
import { WebConnector, type RunResult, type WebConnectorFaults } from './web-connector';
import type { XmlObject } from './xml';

export { DesktopCompany, LIST_KINDS, TXN_KINDS } from './company';
export type { ListKind, TxnKind, CompanySnapshot } from './company';
export { QbxmlProcessor } from './processor';
export type { StatusRule, BeforeRequest } from './processor';
export { WebConnector, callSoap, soapEnvelope, QBWC_VERSION } from './web-connector';
export type { RunResult, RunOutcome, WebConnectorFaults, WebConnectorStats } from './web-connector';
export { seedCompany } from './seed';
export type { XmlObject, XmlElement } from './xml';

/** The demo company file every emulator has. */
export const DEMO_DESKTOP_COMPANY = 'Desktop Demo Company';

export interface DesktopEmulatorOptions {
  /** Keeps company files and Web Connector settings across restarts. */
  dataFile?: string;
  /** Serve the admin API on this port (0 = any free port); no HTTP server when undefined. */
  port?: number;
  host?: string;
  logger?: (line: string) => void;
}

export interface AttachOptions {
  /** The application's AppURL. */
  url: string;
  userName: string;
  password: string;
  /** The company file to open (created and seeded when new); the demo company by default. */
  companyName?: string;
  /** Run every this many milliseconds; only on demand when unset. */
  everyMs?: number;
  faults?: WebConnectorFaults;
  /** Statuses QuickBooks answers instead of running matching requests. */
  rules?: StatusRule[];
  beforeRequest?: BeforeRequest;
  onMessage?: (requestXml: string, index: number) => void | Promise<void>;
}

interface SavedConnector {
  url: string;
  userName: string;
  password: string;
  companyName: string;
  everyMs?: number;
}

export interface DesktopEmulator {
  /** The admin API's base URL, when it listens. */
  url?: string;
  /** A company file by name, created and seeded when new. */
  company(name?: string): DesktopCompany;
  /** Adds (or replaces, by user name) a Web Connector entry, as adding a .qwc file to QBWC does. */
  attach(options: AttachOptions): WebConnector;
  connector(userName: string): WebConnector | undefined;
  /** Runs every Web Connector once, one after another. */
  pollAll(): Promise<Array<{ userName: string; result: RunResult }>>;
  close(): Promise<void>;
}

export async function createDesktopEmulator(options: DesktopEmulatorOptions = {}): Promise<DesktopEmulator> {
  const log = options.logger ?? (() => undefined);
  const companies = new Map<string, DesktopCompany>();
  const connectors = new Map<string, { connector: WebConnector; saved: SavedConnector }>();
  const company = (name = DEMO_DESKTOP_COMPANY): DesktopCompany => {
    let found = companies.get(name);
    if (!found) {
      found = seedCompany(new DesktopCompany(name));
      companies.set(name, found);
    }
    return found;
  };
  const attach = (input: AttachOptions): WebConnector => {
    connectors
      .get(input.userName)
      ?.connector.stop()
      .catch(() => undefined);
    const processor = new QbxmlProcessor(company(input.companyName), {
      rules: input.rules,
      beforeRequest: input.beforeRequest,
    });
    const connector = new WebConnector({
      url: input.url,
      userName: input.userName,
      password: input.password,
      processor,
      faults: input.faults,
      onMessage: input.onMessage,
    });
    if (input.everyMs) connector.start(input.everyMs);
    connectors.set(input.userName, {
      connector,
      saved: {
        url: input.url,
        userName: input.userName,
        password: input.password,
        companyName: processor.company.name,
        everyMs: input.everyMs,
      },
    });
    log(`Web Connector ${input.userName} → ${input.url} (${processor.company.name})`);
    return connector;
  };

  if (options.dataFile && fs.existsSync(options.dataFile)) {
    const saved = JSON.parse(fs.readFileSync(options.dataFile, 'utf8')) as {
      companies: CompanySnapshot[];
      connectors: SavedConnector[];
    };
    for (const snapshot of saved.companies) companies.set(snapshot.name, DesktopCompany.restore(snapshot));
    for (const entry of saved.connectors) attach(entry);
    log(`loaded ${options.dataFile}`);
  }
  company();

  let server: http.Server | undefined;
  let url: string | undefined;
  if (options.port !== undefined) {
    server = http.createServer((req, res) => {
      void handleAdmin(req, res, { company, connectors, pollAll }).catch((error: unknown) => {
        log(`admin API error: ${(error as Error).message}`);
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.port, host, () => resolve());
    });
    url = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async function pollAll(): Promise<Array<{ userName: string; result: RunResult }>> {
    const results: Array<{ userName: string; result: RunResult }> = [];
    for (const [userName, { connector }] of connectors)
      results.push({ userName, result: await connector.run() });
    return results;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    company,
    attach,
    connector: (userName) => connectors.get(userName)?.connector,
    pollAll,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...connectors.values()].map(({ connector }) => connector.stop()));
        if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
        if (options.dataFile) {
          const snapshot = {
            companies: [...companies.values()].map((c) => c.snapshot()),
            connectors: [...connectors.values()].map(({ saved }) => saved),
          };
          fs.writeFileSync(options.dataFile, JSON.stringify(snapshot), { mode: 0o600 });
        }
      })()),
  };
}

/** A JSON body of the admin API. */
interface AdminBody {
  userName?: string;
  faults?: WebConnectorFaults;
  kind?: string;
  listId?: string;
  patch?: XmlObject;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<AdminBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as AdminBody) : {};
}

/** The admin API: inspect company files, edit as a person would, run the Web Connectors, set faults. */
async function handleAdmin(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: {
    company: (name?: string) => DesktopCompany;
    connectors: Map<string, { connector: WebConnector; saved: SavedConnector }>;
    pollAll: () => Promise<unknown>;
  },
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  if (path[0] !== '_desktop') return send(res, 404, { error: 'not found' });
  if (req.method === 'GET' && path.length === 1) {
    return send(res, 200, {
      connectors: [...ctx.connectors.values()].map(({ connector, saved }) => ({
        userName: saved.userName,
        url: saved.url,
        companyName: saved.companyName,
        stats: connector.stats,
      })),
    });
  }
  if (req.method === 'POST' && path[1] === 'poll') return send(res, 200, { runs: await ctx.pollAll() });
  if (req.method === 'PUT' && path[1] === 'faults') {
    const body = await readJson(req);
    const targets = [...ctx.connectors.entries()].filter(
      ([name]) => !body.userName || name === body.userName,
    );
    for (const [, { connector }] of targets) connector.setFaults(body.faults ?? {});
    return send(res, 200, { updated: targets.length });
  }
  if (path[1] === 'companies' && path[2]) {
    const company = ctx.company(path[2]);
    const kind = path[3];
    if (req.method === 'GET' && kind === 'deleted') return send(res, 200, { items: company.deleted });
    if (req.method === 'GET' && (LIST_KINDS as readonly string[]).includes(kind ?? ''))
      return send(res, 200, { items: company.listObjects([kind as ListKind]).map((o) => o.ret) });
    if (req.method === 'GET' && (TXN_KINDS as readonly string[]).includes(kind ?? ''))
      return send(res, 200, {
        items: company.transactions(kind as TxnKind).map((t) => ({ ...t.ret, voided: t.voided })),
      });
    if (req.method === 'POST' && kind === 'changes') {
      const body = await readJson(req);
      const ret = company.modifyList(body.kind as ListKind, String(body.listId), body.patch ?? {});
      return send(res, 200, { item: ret });
    }
  }
  return send(res, 404, { error: 'not found' });
}

/**
 * Shared helpers of the platform tests: start an emulator on a random port, connect the demo app, call the accounting
 * and admin APIs over real HTTP, and run a webhook receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectApp,
  createSandbox,
  type Sandbox,
  type SandboxOptions,
  type TokenResponse,
} from '../../src/sandbox';

/** Starts an emulator (with the real accounting half) on 127.0.0.1 with a random port. */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox(options);
}

/** Connects the demo app to a company (the demo company by default) and returns the tokens. */
export async function connectDemo(
  sandbox: Sandbox,
  realmId?: string,
): Promise<{ realmId: string; tokens: TokenResponse }> {
  const app = sandbox.demoApp;
  return connectApp(sandbox.url, {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUris[0],
    realmId,
  });
}

/** A parsed HTTP answer. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
  json: any;
}

async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Calls `/v3/company/{realmId}/{path}` with a bearer token. */
export async function api(
  sandbox: Sandbox,
  token: string | undefined,
  realmId: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sandbox.url}/v3/company/${realmId}/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return toResult(res);
}

/** A minimal query both the fake and the real accounting half answer. */
export const QUERY_PATH = `query?query=${encodeURIComponent('select * from Customer')}&minorversion=75`;

/** Calls the admin API. */
export async function admin(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return toResult(res);
}

/** Polls until `check` returns true; fails with `what` after `timeoutMs` (a deadline, not a measured threshold). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One request received by a `Receiver`. */
export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
  body: any;
  status: number;
}

/** A webhook receiver that answers with the statuses queued in `statuses` (200 once they run out). */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  statuses: number[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const status = statuses.shift() ?? 200;
      received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')), status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/quickbooks`,
    received,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

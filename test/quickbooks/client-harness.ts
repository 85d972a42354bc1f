/**
 * What the QuickBooksClient tests share: a scripted QuickBooks (a new one per test), a token source that counts its
 * refreshes, and a client whose retries sleep for nothing (the delays are recorded in `sleeps`). Call
 * `useScriptedQuickBooks()` once per test file; the bindings below are fresh in every test.
 */
import {
  AccessTokenSource,
  AttemptInfo,
  GovernorRegistry,
  QuickBooksClient,
  QuickBooksClientOptions,
} from '../../src/quickbooks';
import { ScriptedServer } from './scripted-server';

export const REALM = '9130350000000001';

export class TestTokens implements AccessTokenSource {
  token = 'access-1';
  refreshes: string[] = [];
  gets = 0;
  async getAccessToken(): Promise<string> {
    this.gets += 1;
    return this.token;
  }
  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    this.refreshes.push(rejected);
    this.token = `access-${this.refreshes.length + 1}`;
    return this.token;
  }
}

export let server: ScriptedServer;
export let tokens: TestTokens;
export let attempts: AttemptInfo[];
export let sleeps: number[];

export function useScriptedQuickBooks(): void {
  beforeEach(async () => {
    server = await ScriptedServer.start();
    tokens = new TestTokens();
    attempts = [];
    sleeps = [];
  });
  afterEach(async () => {
    await server.close();
  });
}

/** A fresh scripted server in place of one the test closed (afterEach closes it). */
export async function restartServer(): Promise<void> {
  server = await ScriptedServer.start();
}

export const makeClient = (overrides: Partial<QuickBooksClientOptions> = {}): QuickBooksClient =>
  new QuickBooksClient({
    baseUrl: server.url,
    realmId: REALM,
    tokens,
    governors: new GovernorRegistry(),
    retry: { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 5 },
    onAttempt: (info) => attempts.push(info),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });

export const path = (i: number): string => server.requests[i].url.pathname;
export const param = (i: number, name: string): string | null =>
  server.requests[i].url.searchParams.get(name);

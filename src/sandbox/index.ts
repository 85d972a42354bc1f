/**
 * The QuickBooks Online emulator: `createSandbox()` starts one HTTP origin that serves Intuit's OAuth endpoints, the
 * accounting API under `/v3/company/{realmId}/` and the `/_sandbox` admin API. See docs/sandbox.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccounting } from './accounting';
import type { AppInput, SandboxApp } from './apps';
import type { OffsetClock } from './clock';
import type { AccountingApi, AccountingOptions } from './contracts';
import type { ActiveRule, FaultConfig } from './faults';
import type { LimitSettings } from './limits';
import { SandboxPlatform, resolveConfig, type PlatformOptions } from './platform';
import { createRequestListener } from './server';
import type { StatsSnapshot } from './stats';
import type { WebhookSettings } from './webhooks';

export { DEMO_APP_DEFAULTS } from './apps';
export type { AppInput, SandboxApp, WebhookFormat } from './apps';
export { connectApp } from './connect';
export type { ConnectOptions, TokenResponse } from './connect';
export type { FaultConfig, FaultRule, FaultMatch, FaultResponse, ActiveRule } from './faults';
export type { LimitSettings } from './limits';
export { DEFAULT_LIMITS } from './limits';
export { DEMO_REALM_ID, DEMO_COMPANY_NAME } from './platform';
export type { StatsSnapshot } from './stats';
export type { WebhookSettings, DeliveryAttempt } from './webhooks';
export { signWebhook, RETRY_SCHEDULE_SECONDS } from './webhooks';

/** Options of `createSandbox`. Every field is optional; the defaults are Intuit's behaviour. */
export interface SandboxOptions extends PlatformOptions {
  /** TCP port; 0 (the default) picks a free one. `npm run sandbox` uses 4100. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default (the admin API has no authentication). */
  host?: string;
  /** Replaces the accounting half (tests of the platform alone). */
  accounting?: (opts: AccountingOptions) => AccountingApi;
}

/** A running emulator. */
export interface Sandbox {
  /** `http://host:port`, the base of every endpoint. */
  url: string;
  port: number;
  /** The demo app as currently configured (a copy). */
  demoApp: SandboxApp;
  /** The demo company's realm id. */
  defaultRealmId: string;
  /** Intuit's endpoint URLs on this emulator, ready for `OAuthClient.setAuthorizeURLs` (pass all four). */
  endpoints: {
    authorizeEndpoint: string;
    tokenEndpoint: string;
    revokeEndpoint: string;
    userInfoEndpoint: string;
  };
  /** The accounting API base for clients that take one (`${url}/v3/company/`). */
  apiBase: string;
  /** The accounting half, for in-process assertions. */
  accounting: AccountingApi;
  clock: OffsetClock;
  advanceClock(seconds: number): void;
  stats(): StatsSnapshot;
  resetStats(): void;
  setFaults(config: FaultConfig): { rules: ActiveRule[]; seed?: number };
  /** The rules in force with how often each has fired (`GET /_sandbox/faults`). */
  faults(): { rules: ActiveRule[]; seed?: number };
  clearFaults(): void;
  setLimits(patch: Partial<LimitSettings>): LimitSettings;
  setWebhooks(patch: Partial<WebhookSettings>): WebhookSettings;
  registerApp(input: AppInput): SandboxApp;
  updateApp(clientId: string, patch: AppInput): SandboxApp;
  createRealm(opts?: {
    companyName?: string;
    country?: string;
    history?: { months?: number; seed?: number };
  }): string;
  /** Sends buffered webhook events now, fires pending retries now, and waits until nothing is left to send. */
  flushWebhooks(): Promise<void>;
  /** Same as `POST /_sandbox/reset`. */
  reset(): void;
  /** Stops listening, drops open connections and pending webhooks, writes the snapshot. */
  close(): Promise<void>;
}

/** Starts an emulator. */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const config = resolveConfig(options, options.accounting ?? createAccounting);
  const platform = new SandboxPlatform(config);
  platform.start();

  const server = http.createServer({ keepAliveTimeout: 30_000 }, createRequestListener(platform));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  platform.log(`QuickBooks emulator listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    get demoApp() {
      const app = platform.apps.get(platform.apps.demoApp.clientId);
      return app ? { ...app, redirectUris: [...app.redirectUris] } : platform.apps.demoApp;
    },
    defaultRealmId: config.demoRealmId,
    endpoints: {
      authorizeEndpoint: `${url}/connect/oauth2`,
      tokenEndpoint: `${url}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${url}/v2/oauth2/tokens/revoke`,
      userInfoEndpoint: `${url}/v1/openid_connect/userinfo`,
    },
    apiBase: `${url}/v3/company/`,
    accounting: platform.accounting,
    clock: platform.clock,
    advanceClock: (seconds) => platform.advanceClock(seconds),
    stats: () => platform.stats.snapshot(),
    resetStats: () => platform.stats.reset(),
    setFaults: (cfg) => platform.faults.configure(cfg),
    faults: () => platform.faults.list(),
    clearFaults: () => platform.faults.clear(),
    setLimits: (patch) => platform.limits.update(patch),
    setWebhooks: (patch) => platform.webhooks.update(patch),
    registerApp: (input) => platform.registerApp(input),
    updateApp: (clientId, patch) => platform.updateApp(clientId, patch),
    createRealm: (opts) => platform.createRealm(opts),
    flushWebhooks: async () => {
      platform.webhooks.flush();
      await platform.webhooks.idle();
    },
    reset: () => platform.reset(),
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await platform.close();
      })();
      return closing;
    },
  };
}

/**
 * The platform's state in one place: clock, stats, apps, OAuth, limits, faults, webhooks and the snapshot file, wired
 * around the accounting half. `server.ts` routes HTTP requests to it; `index.ts` starts it.
 */
import { AppRegistry, type AppInput, type SandboxApp } from './apps';
import { OffsetClock } from './clock';
import type { AccountingApi, AccountingOptions, ChangeEvent } from './contracts';
import { FaultInjector } from './faults';
import { DEFAULT_LIMITS, Limits, mergeLimits, type LimitSettings } from './limits';
import { OAuthServer, type Grant } from './oauth';
import { SnapshotStore } from './snapshot';
import { Stats } from './stats';
import { WebhookDispatcher, mergeWebhookSettings, type WebhookSettings } from './webhooks';

/** The demo company's realm id (fixed, so scripts and docs can name it). */
export const DEMO_REALM_ID = '9341453908059321';
export const DEMO_COMPANY_NAME = 'Sandbox Company_US_1';

/** Platform options after defaults are applied (see `SandboxOptions` in index.ts for the documented ones). */
export interface PlatformConfig {
  dataFile?: string;
  limits: LimitSettings;
  refreshTokenGraceSeconds: number;
  rotateRefreshTokens: 'every-refresh' | number;
  accessTokenTtlSeconds: number;
  webhooks: WebhookSettings;
  demoApp: AppInput;
  demoRealmId: string;
  demoCompanyName: string;
  /** Transactions of the demo company's past months (undefined: an empty company). */
  history?: { months?: number; seed?: number };
  logger: (line: string) => void;
  accountingFactory: (opts: AccountingOptions) => AccountingApi;
}

/** Default webhook settings. */
export const DEFAULT_WEBHOOKS: Readonly<WebhookSettings> = Object.freeze({
  windowMs: 0,
  retryScale: 1,
  timeoutMs: 3000,
  ordered: true,
  duplicateProbability: 0,
  outOfOrder: false,
  reorderHoldMs: 250,
});

/** The emulator's behaviour settings (SandboxOptions adds where to listen). */
export interface PlatformOptions {
  /** Snapshot file: loaded at start when present, saved shortly after every change and on close. */
  dataFile?: string;
  /** Throttles: `{enabled, perMinute: 500, concurrent: 10, batchPerMinute: 120, latencyMs: 0, retryAfterSeconds?, format: 'json'}`. */
  limits?: Partial<LimitSettings>;
  /** How long every accounting request takes to answer, the emulator's work included (same as `limits.latencyMs`). */
  latencyMs?: number;
  /** How long a superseded refresh token keeps working, in seconds (default 86400). */
  refreshTokenGraceSeconds?: number;
  /** `'every-refresh'` (default) or a number of hours a refresh token is handed back unchanged before rotating. */
  rotateRefreshTokens?: 'every-refresh' | number;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Factor applied to Intuit's webhook retry schedule (default 1; 0.001 turns 10 s into 10 ms). */
  webhookRetryScale?: number;
  /** Webhook aggregation window in ms (default 0 = near real time). */
  webhookWindowMs?: number;
  /** A webhook receiver slower than this fails the attempt (default 3000, Intuit's rule). */
  webhookTimeoutMs?: number;
  /** Other webhook settings and drills (ordered, duplicateProbability, outOfOrder, reorderHoldMs, seed). */
  webhooks?: Partial<WebhookSettings>;
  /** Overrides of the demo app (clientId, clientSecret, redirectUris, webhookUrl, verifierToken, webhookFormat, ...). */
  demoApp?: AppInput;
  /** Realm id of the demo company (default `DEMO_REALM_ID`). */
  demoRealmId?: string;
  demoCompanyName?: string;
  /**
   * A lived-in demo company: `true` (3 months, seed 1) or `{months, seed}` of invoices, payments, sales receipts,
   * bills, bill payments and deposits, deterministic from the seed. Off by default (tests want an empty company);
   * `npm run sandbox` turns it on.
   */
  history?: boolean | { months?: number; seed?: number };
  /** Receives one line per notable event (start, snapshot, webhook failures, internal errors). Silent by default. */
  logger?: (line: string) => void;
}

/** Builds a `PlatformConfig` from loosely typed options, validating the nested objects. */
export function resolveConfig(
  opts: PlatformOptions,
  accountingFactory: (opts: AccountingOptions) => AccountingApi,
): PlatformConfig {
  const limits = mergeLimits(
    { ...DEFAULT_LIMITS, ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}) },
    opts.limits,
  );
  const webhooks = mergeWebhookSettings(
    {
      ...DEFAULT_WEBHOOKS,
      ...(opts.webhookRetryScale !== undefined ? { retryScale: opts.webhookRetryScale } : {}),
      ...(opts.webhookWindowMs !== undefined ? { windowMs: opts.webhookWindowMs } : {}),
      ...(opts.webhookTimeoutMs !== undefined ? { timeoutMs: opts.webhookTimeoutMs } : {}),
    },
    opts.webhooks,
  );
  const rotate = opts.rotateRefreshTokens ?? 'every-refresh';
  if (rotate !== 'every-refresh' && !(typeof rotate === 'number' && rotate >= 0)) {
    throw new RangeError('rotateRefreshTokens must be "every-refresh" or a number of hours');
  }
  const grace = opts.refreshTokenGraceSeconds ?? 86_400;
  if (!(grace >= 0)) throw new RangeError('refreshTokenGraceSeconds must be >= 0');
  const ttl = opts.accessTokenTtlSeconds ?? 3600;
  if (!(ttl > 0)) throw new RangeError('accessTokenTtlSeconds must be > 0');
  return {
    dataFile: opts.dataFile,
    limits,
    refreshTokenGraceSeconds: grace,
    rotateRefreshTokens: rotate,
    accessTokenTtlSeconds: ttl,
    webhooks,
    demoApp: opts.demoApp ?? {},
    demoRealmId: opts.demoRealmId ?? DEMO_REALM_ID,
    demoCompanyName: opts.demoCompanyName ?? DEMO_COMPANY_NAME,
    history: opts.history === true ? {} : opts.history === false ? undefined : opts.history,
    logger: opts.logger ?? (() => undefined),
    accountingFactory,
  };
}

/** Everything the HTTP layer works with. */
export class SandboxPlatform {
  readonly clock = new OffsetClock();
  readonly stats = new Stats();
  readonly apps: AppRegistry;
  readonly accounting: AccountingApi;
  readonly oauth: OAuthServer;
  readonly limits: Limits;
  readonly faults = new FaultInjector();
  readonly webhooks: WebhookDispatcher;
  private readonly store?: SnapshotStore;

  constructor(readonly config: PlatformConfig) {
    this.apps = new AppRegistry(config.demoApp);
    this.accounting = config.accountingFactory({
      clock: this.clock,
      onChange: (event: ChangeEvent) => {
        // The accounting half may report changes while it is being built (seeding), before the dispatcher exists.
        (this.webhooks as WebhookDispatcher | undefined)?.onChange(event);
        this.markDirty();
      },
    });
    this.oauth = new OAuthServer(
      this.apps,
      {
        listRealms: () => this.accounting.listRealms(),
        hasRealm: (realmId) => this.accounting.hasRealm(realmId),
        defaultRealmId: () => this.defaultRealmId(),
      },
      this.clock,
      this.stats,
      {
        refreshTokenGraceSeconds: config.refreshTokenGraceSeconds,
        rotateRefreshTokens: config.rotateRefreshTokens,
        accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      },
      () => this.markDirty(),
    );
    this.limits = new Limits(config.limits, this.stats);
    this.webhooks = new WebhookDispatcher(
      config.webhooks,
      {
        appsFor: (realmId) => this.webhookApps(realmId),
        app: (clientId) => this.apps.get(clientId),
        log: (line) => this.log(line),
      },
      this.clock,
      this.stats,
    );
    if (config.dataFile)
      this.store = new SnapshotStore(
        config.dataFile,
        () => this.snapshot(),
        (l) => this.log(l),
      );
  }

  /** Loads the snapshot file if there is one, then makes sure the demo company exists. */
  start(): void {
    const saved = this.store?.load();
    if (saved) {
      this.clock.setOffsetMs(Number(saved.clockOffsetMs ?? 0));
      this.accounting.restore(saved.accounting);
      this.apps.restore(Array.isArray(saved.apps) ? (saved.apps as SandboxApp[]) : []);
      this.oauth.restore(saved.oauth as { grants?: Grant[] } | undefined);
      this.log(`loaded snapshot ${this.config.dataFile}`);
    }
    this.ensureDemoRealm();
  }

  private ensureDemoRealm(): void {
    if (!this.accounting.hasRealm(this.config.demoRealmId)) {
      this.accounting.createRealm({
        realmId: this.config.demoRealmId,
        companyName: this.config.demoCompanyName,
        history: this.config.history,
      });
      this.markDirty();
    }
  }

  /** The company picked by the consent page when none is chosen: the demo company, else the first one. */
  defaultRealmId(): string | undefined {
    if (this.accounting.hasRealm(this.config.demoRealmId)) return this.config.demoRealmId;
    return this.accounting.listRealms()[0]?.realmId;
  }

  private webhookApps(realmId: string): SandboxApp[] {
    const candidates = this.apps.withWebhook();
    if (candidates.length === 0) return candidates;
    const connected = this.oauth.connectedClientIds(realmId);
    return candidates.filter((a) => a.webhookAllRealms || connected.has(a.clientId));
  }

  log(line: string): void {
    this.config.logger(line);
  }

  markDirty(): void {
    this.store?.markDirty();
  }

  /** Moves the emulator clock forward and fires webhook retries that became due. */
  advanceClock(seconds: number): void {
    this.clock.advance(seconds);
    this.webhooks.onClockAdvanced();
    this.markDirty();
  }

  /**
   * Forgets everything but the demo app: every company (the demo company is re-created empty of changes, freshly
   * seeded, with the same realm id), every other app, all grants and tokens, fault rules, pending webhooks, counters;
   * limits and webhook settings return to their start-up values and the clock returns to real time.
   */
  reset(): void {
    this.webhooks.reset();
    this.faults.clear();
    this.limits.reset();
    this.oauth.reset();
    this.apps.reset();
    this.accounting.reset();
    this.clock.setOffsetMs(0);
    this.stats.reset();
    this.ensureDemoRealm();
    this.markDirty();
    this.log('reset');
  }

  /** Updates an app (and saves). */
  updateApp(clientId: string, patch: AppInput): SandboxApp {
    const app = this.apps.update(clientId, patch);
    this.markDirty();
    return app;
  }

  registerApp(input: AppInput): SandboxApp {
    const app = this.apps.register(input);
    this.markDirty();
    return app;
  }

  createRealm(opts?: {
    companyName?: string;
    country?: string;
    history?: { months?: number; seed?: number };
  }): string {
    const realmId = this.accounting.createRealm(opts);
    this.markDirty();
    return realmId;
  }

  private snapshot(): unknown {
    return {
      savedAt: new Date().toISOString(),
      clockOffsetMs: this.clock.getOffsetMs(),
      apps: this.apps.list(),
      oauth: this.oauth.snapshot(),
      accounting: this.accounting.snapshot(),
    };
  }

  /** Stops timers and writes the snapshot one last time. */
  async close(): Promise<void> {
    this.webhooks.close();
    if (this.store) {
      this.store.markDirty();
      await this.store.flush();
    }
  }
}

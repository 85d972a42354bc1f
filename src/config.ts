/**
 * The one configuration object, built once from the environment of `spec/runtime.md` and frozen. Nothing else in the
 * gateway reads `process.env`. A bad or missing variable stops start-up with one message that names every bad variable
 * and the rule it breaks — never its value, because values can be secrets.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { plainToInstanceLite } from './config-support';
import { DEMO_APP_DEFAULTS } from './sandbox/apps';
import {
  IsBooleanString,
  IsIn,
  IsIP,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export type QuickBooksMode = 'local' | 'sandbox' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Raw variables as strings, with the rules each must meet. */
class EnvVars {
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional()
  @Matches(/^(mysql|mariadb):\/\/[^/]+\/[^/?]+|^sqlite:.+/, {
    message: 'must be mysql://user:pass@host:3306/db or sqlite:<path>',
  })
  DATABASE_URL?: string;
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
  @IsOptional() @IsIn(['local', 'sandbox', 'production']) QBO_MODE?: QuickBooksMode;
  @IsOptional() @IsString() @MinLength(1) QBO_CLIENT_ID?: string;
  @IsOptional() @IsString() @MinLength(1) QBO_CLIENT_SECRET?: string;
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) QBO_REDIRECT_URI?: string;
  @IsOptional() @IsString() @MinLength(8) QBO_WEBHOOK_VERIFIER_TOKEN?: string;
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) QBO_SANDBOX_URL?: string;
  @IsOptional() @IsInt() @Min(0) @Max(65535) SANDBOX_PORT?: number;
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'must be at least 24 characters long' })
  GATEWAY_API_KEY?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes encoded as base64' })
  GATEWAY_ENCRYPTION_KEY?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$/, {
    message: 'must be a comma-separated list of 32-byte base64 keys',
  })
  GATEWAY_ENCRYPTION_PREVIOUS_KEYS?: string;
  @IsOptional() @IsBooleanString() RUN_WORKER?: string;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: LogLevel;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @IsBooleanString() MIGRATIONS_RUN?: string;
  @IsOptional() @IsInt() @Min(1) @Max(10) QBO_MAX_CONCURRENT?: number;
  @IsOptional() @IsInt() @Min(1) @Max(500) QBO_MAX_PER_MINUTE?: number;
  @IsOptional() @IsInt() @Min(1) @Max(120) QBO_MAX_BATCH_PER_MINUTE?: number;
  @IsOptional() @IsInt() @Min(1) @Max(50) GRAPHQL_MAX_DEPTH?: number;
  @IsOptional() @IsBooleanString() GRAPHIQL?: string;
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) GATEWAY_PUBLIC_URL?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) QBWC_REQUESTS_PER_MESSAGE?: number;
  @IsOptional() @IsInt() @Min(0) @Max(86400) DESKTOP_EMULATOR_POLL_SECONDS?: number;
  // Books, partner API and operations (issue 10).
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s,]+(,\s*https?:\/\/[^/\s,]+)*$/, {
    message: 'must be a comma-separated list of origins such as https://app.example.com (no paths)',
  })
  CORS_ORIGINS?: string;
  @IsOptional()
  @Matches(/^\d+(ms|s|m|h|d)(,\d+(ms|s|m|h|d))*$/, { message: 'must be durations such as 5s,5m,30m,2h' })
  WEBHOOK_RETRY_SCHEDULE?: string;
  @IsOptional()
  @Matches(/^\d+(ms|s|m|h|d)$/, { message: 'must be a duration such as 5d' })
  WEBHOOK_DISABLE_AFTER?: string;
  @IsOptional() @IsInt() @Min(1) @Max(60) WEBHOOK_TIMEOUT_SECONDS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(55) UNDO_TIMEOUT_SECONDS?: number;
  @IsOptional() @IsInt() @Min(1) READYZ_MAX_QUEUE_WAIT_SECONDS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(300) SHUTDOWN_TIMEOUT_SECONDS?: number;
  // WebSocket limits per connection (issue 9).
  @IsOptional() @IsInt() @Min(1) @Max(10_000) WS_MAX_SUBSCRIPTIONS?: number;
  @IsOptional() @IsInt() @Min(1024) @Max(16 * 1024 * 1024) WS_MAX_MESSAGE_BYTES?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) WS_MAX_MESSAGES_PER_SECOND?: number;
  @IsOptional() @IsInt() @Min(1) @Max(3600) WS_KEY_RECHECK_SECONDS?: number;
  // Limits and exposure (issue 9).
  @IsOptional() @IsInt() @Min(1) @Max(1000) GRAPHQL_MAX_ALIASES?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) GRAPHQL_MAX_DIRECTIVES?: number;
  @IsOptional() @IsInt() @Min(100) @Max(100_000) GRAPHQL_MAX_TOKENS?: number;
  @IsOptional() @IsInt() @Min(100) GRAPHQL_MAX_COST?: number;
  @IsOptional() @IsInt() @Min(1024) @Max(100 * 1024 * 1024) GRAPHQL_MAX_BODY_BYTES?: number;
  @IsOptional() @IsInt() @Min(0) RATE_LIMIT_PER_SECOND?: number;
  @IsOptional() @IsInt() @Min(1) RATE_LIMIT_BURST?: number;
  @IsOptional() @IsInt() @Min(0) RATE_LIMIT_ANONYMOUS_PER_SECOND?: number;
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters long' })
  METRICS_TOKEN?: string;
  @IsOptional() @IsInt() @Min(0) @Max(65535) METRICS_PORT?: number;
  @IsOptional() @IsIP() HOST?: string;
  @IsOptional() @IsInt() @Min(0) @Max(10) TRUST_PROXY?: number;
  // QuickBooks webhooks and change data capture (issue 11).
  @IsOptional()
  @Matches(/^[^,\s]{8,}(,[^,\s]{8,})*$/, {
    message: 'must be a comma-separated list of verifier tokens (at least 8 characters each)',
  })
  QBO_WEBHOOK_PREVIOUS_VERIFIER_TOKENS?: string;
  @IsOptional() @IsInt() @Min(0) @Max(1440) QBO_CDC_INTERVAL_MINUTES?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60000) QBO_WEBHOOK_COALESCE_MS?: number;
}

const NUMERIC: ReadonlyArray<keyof EnvVars> = [
  'PORT',
  'SANDBOX_PORT',
  'QBO_MAX_CONCURRENT',
  'QBO_MAX_PER_MINUTE',
  'QBO_MAX_BATCH_PER_MINUTE',
  'GRAPHQL_MAX_DEPTH',
  'QBWC_REQUESTS_PER_MESSAGE',
  'DESKTOP_EMULATOR_POLL_SECONDS',
  'WEBHOOK_TIMEOUT_SECONDS',
  'UNDO_TIMEOUT_SECONDS',
  'READYZ_MAX_QUEUE_WAIT_SECONDS',
  'SHUTDOWN_TIMEOUT_SECONDS',
  'WS_MAX_SUBSCRIPTIONS',
  'WS_MAX_MESSAGE_BYTES',
  'WS_MAX_MESSAGES_PER_SECOND',
  'WS_KEY_RECHECK_SECONDS',
  'GRAPHQL_MAX_ALIASES',
  'GRAPHQL_MAX_DIRECTIVES',
  'GRAPHQL_MAX_TOKENS',
  'GRAPHQL_MAX_COST',
  'GRAPHQL_MAX_BODY_BYTES',
  'RATE_LIMIT_PER_SECOND',
  'RATE_LIMIT_BURST',
  'RATE_LIMIT_ANONYMOUS_PER_SECOND',
  'METRICS_PORT',
  'TRUST_PROXY',
  'QBO_CDC_INTERVAL_MINUTES',
  'QBO_WEBHOOK_COALESCE_MS',
];

export interface DatabaseConfig {
  type: 'mysql' | 'sqlite';
  /** mysql:// URL, or the SQLite file path. */
  url: string;
  runMigrations: boolean;
}

export interface QuickBooksConfig {
  mode: QuickBooksMode;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  webhookVerifierToken: string;
  /** Every token a webhook signature may be made with: the current one first, then those being rotated out. */
  webhookVerifierTokens: string[];
  /** Local mode: an emulator already running elsewhere; unset = start one in-process. */
  sandboxUrl?: string;
  sandboxPort: number;
  limits: { concurrent: number; perMinute: number; batchPerMinute: number };
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  /** The address HTTP listens on: 127.0.0.1 in local mode, 0.0.0.0 otherwise, unless HOST says. */
  host: string;
  /** Proxies in front whose X-Forwarded-For is believed (Express `trust proxy` hop count); 0 = none. */
  trustProxy: number;
  /** Where local state lives: the SQLite file, the generated local encryption key, the emulator's snapshot. */
  dataDir: string;
  database: DatabaseConfig;
  redisUrl?: string;
  quickbooks: QuickBooksConfig;
  bootstrapApiKey?: string;
  /** Base64 key from the environment; in local mode it may be absent and is then generated into dataDir. */
  encryptionKey?: string;
  /** Keys that sealed older tokens, kept so they still open while rotation completes. */
  previousEncryptionKeys: string[];
  runWorker: boolean;
  logLevel: LogLevel;
  /** `graphiql`: serve GraphiQL to browsers at GET /graphql (and so allow introspection). */
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxCost: number;
    /** Largest request body `/graphql` reads; larger answers 413. */
    maxBodyBytes: number;
    introspection: boolean;
    graphiql: boolean;
    /** Strip "Did you mean …?" from validation errors (production). */
    hideSuggestions: boolean;
  };
  /** Token buckets on /graphql (HTTP and WebSocket): per API key, and per client address for requests without one. */
  rateLimit: { perSecond: number; burst: number; anonymousPerSecond: number; anonymousBurst: number };
  /** `/metrics`: behind a bearer token when `token` is set; on its own listener when `port` is set. */
  metrics: { token?: string; port?: number };
  /** QuickBooks Desktop through the Web Connector. */
  desktop: {
    /** The gateway's public base URL: the .qwc file's AppURL is `<publicUrl>/qbwc`. */
    publicUrl: string;
    requestsPerMessage: number;
    /** Local mode: the in-process Desktop emulator's Web Connectors run every N seconds (0 = never on their own). */
    emulatorPollSeconds: number;
  };
  /** Browser origins allowed to call the API (CORS) and to receive people back after consent. */
  corsOrigins: string[];
  /** Partner webhooks: retry delays (the last repeats), when a failing endpoint is disabled, attempt timeout. */
  webhooks: { retryScheduleMs: number[]; disableAfterMs: number; timeoutMs: number; allowHttp: boolean };
  /** undoSync waits at most this long for QuickBooks (then the order is UNCERTAIN and checked by a job). */
  undoTimeoutMs: number;
  /** `/readyz` fails when a job has waited longer than this and no worker is alive. */
  maxQueueWaitMs: number;
  /** SIGTERM: the longest drain before the process exits anyway. */
  shutdownTimeoutMs: number;
  /**
   * graphql-ws, per connection: operations at once, largest message, messages a second (bursts of twice that), and how
   * often the keys of open sockets are checked again (a revoked key's sockets close within this).
   */
  websocket: {
    maxSubscriptions: number;
    maxMessageBytes: number;
    maxMessagesPerSecond: number;
    keyRecheckMs: number;
  };
  /** QuickBooks → gateway: webhook events coalesced per connection over `coalesceMs`; CDC catch-up every `cdcIntervalMs` (0 = off). */
  inbound: { coalesceMs: number; cdcIntervalMs: number };
}

/** Thrown when the environment is invalid; the message names variables and rules only. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the frozen config from an environment (defaults to `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const vars = plainToInstanceLite(EnvVars, env, NUMERIC);
  const problems = validateSync(vars, { forbidUnknownValues: false, stopAtFirstError: true }).flatMap(
    (error) =>
      Object.values(error.constraints ?? {}).map(
        (rule) => `${error.property}: ${stripValue(rule, error.property)}`,
      ),
  );

  const mode: QuickBooksMode = vars.QBO_MODE ?? (vars.QBO_CLIENT_ID ? 'production' : 'local');
  if (mode !== 'local') {
    for (const name of [
      'QBO_CLIENT_ID',
      'QBO_CLIENT_SECRET',
      'QBO_WEBHOOK_VERIFIER_TOKEN',
      'GATEWAY_ENCRYPTION_KEY',
    ] as const) {
      if (!vars[name]) problems.push(`${name}: is required when QBO_MODE is ${mode}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const port = vars.PORT ?? 4000;
  const dataDir = path.resolve(cwd, 'data');
  const nodeEnv = (vars.NODE_ENV ?? 'development') as Config['env'];
  const graphiql = vars.GRAPHIQL ? vars.GRAPHIQL === 'true' : nodeEnv !== 'production';
  const perSecond = vars.RATE_LIMIT_PER_SECOND ?? 50;
  const anonymousPerSecond = vars.RATE_LIMIT_ANONYMOUS_PER_SECOND ?? 10;
  const config: Config = {
    env: nodeEnv,
    port,
    host: vars.HOST ?? (mode === 'local' ? '127.0.0.1' : '0.0.0.0'),
    trustProxy: vars.TRUST_PROXY ?? 0,
    dataDir,
    database: parseDatabaseUrl(vars.DATABASE_URL, dataDir, vars.MIGRATIONS_RUN !== 'false'),
    redisUrl: vars.REDIS_URL,
    quickbooks: {
      mode,
      // Local mode defaults to the emulator's demo app, whose credentials are fixed and public.
      clientId: vars.QBO_CLIENT_ID ?? (mode === 'local' ? DEMO_APP_DEFAULTS.clientId : ''),
      clientSecret: vars.QBO_CLIENT_SECRET ?? (mode === 'local' ? DEMO_APP_DEFAULTS.clientSecret : ''),
      redirectUri: vars.QBO_REDIRECT_URI ?? `http://localhost:${port}/oauth/callback`,
      webhookVerifierToken:
        vars.QBO_WEBHOOK_VERIFIER_TOKEN ?? (mode === 'local' ? DEMO_APP_DEFAULTS.verifierToken : ''),
      webhookVerifierTokens: [
        vars.QBO_WEBHOOK_VERIFIER_TOKEN ?? (mode === 'local' ? DEMO_APP_DEFAULTS.verifierToken : ''),
        ...(vars.QBO_WEBHOOK_PREVIOUS_VERIFIER_TOKENS?.split(',') ?? []),
      ].filter(Boolean),
      sandboxUrl: vars.QBO_SANDBOX_URL?.replace(/\/+$/, ''),
      sandboxPort: vars.SANDBOX_PORT ?? 4100,
      limits: {
        concurrent: vars.QBO_MAX_CONCURRENT ?? 10,
        perMinute: vars.QBO_MAX_PER_MINUTE ?? 500,
        batchPerMinute: vars.QBO_MAX_BATCH_PER_MINUTE ?? 120,
      },
    },
    bootstrapApiKey: vars.GATEWAY_API_KEY,
    encryptionKey: vars.GATEWAY_ENCRYPTION_KEY,
    previousEncryptionKeys: vars.GATEWAY_ENCRYPTION_PREVIOUS_KEYS?.split(',') ?? [],
    runWorker: vars.RUN_WORKER !== 'false',
    logLevel: vars.LOG_LEVEL ?? 'info',
    graphql: {
      maxDepth: vars.GRAPHQL_MAX_DEPTH ?? 12,
      maxAliases: vars.GRAPHQL_MAX_ALIASES ?? 20,
      maxDirectives: vars.GRAPHQL_MAX_DIRECTIVES ?? 50,
      maxTokens: vars.GRAPHQL_MAX_TOKENS ?? 2000,
      maxCost: vars.GRAPHQL_MAX_COST ?? 100_000,
      maxBodyBytes: vars.GRAPHQL_MAX_BODY_BYTES ?? 2 * 1024 * 1024,
      hideSuggestions: nodeEnv === 'production',
      // GraphiQL needs the schema; asking for it in production asks for introspection too.
      introspection: nodeEnv !== 'production' || graphiql,
      graphiql,
    },
    desktop: {
      publicUrl: (vars.GATEWAY_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
      requestsPerMessage: vars.QBWC_REQUESTS_PER_MESSAGE ?? 100,
      emulatorPollSeconds: vars.DESKTOP_EMULATOR_POLL_SECONDS ?? 10,
    },
    corsOrigins: (vars.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    webhooks: {
      retryScheduleMs: (vars.WEBHOOK_RETRY_SCHEDULE ?? '5s,5m,30m,2h,5h,10h').split(',').map(durationMs),
      disableAfterMs: durationMs(vars.WEBHOOK_DISABLE_AFTER ?? '5d'),
      timeoutMs: (vars.WEBHOOK_TIMEOUT_SECONDS ?? 10) * 1000,
      allowHttp: mode === 'local' || nodeEnv !== 'production',
    },
    rateLimit: {
      perSecond,
      burst: Math.max(vars.RATE_LIMIT_BURST ?? perSecond * 2, perSecond),
      anonymousPerSecond,
      anonymousBurst: anonymousPerSecond * 2,
    },
    metrics: { token: vars.METRICS_TOKEN, port: vars.METRICS_PORT },
    undoTimeoutMs: (vars.UNDO_TIMEOUT_SECONDS ?? 20) * 1000,
    maxQueueWaitMs: (vars.READYZ_MAX_QUEUE_WAIT_SECONDS ?? 120) * 1000,
    shutdownTimeoutMs: (vars.SHUTDOWN_TIMEOUT_SECONDS ?? 5) * 1000,
    websocket: {
      maxSubscriptions: vars.WS_MAX_SUBSCRIPTIONS ?? 100,
      maxMessageBytes: vars.WS_MAX_MESSAGE_BYTES ?? 64 * 1024,
      maxMessagesPerSecond: vars.WS_MAX_MESSAGES_PER_SECOND ?? 50,
      keyRecheckMs: (vars.WS_KEY_RECHECK_SECONDS ?? 5) * 1000,
    },
    inbound: {
      coalesceMs: vars.QBO_WEBHOOK_COALESCE_MS ?? 250,
      cdcIntervalMs: (vars.QBO_CDC_INTERVAL_MINUTES ?? 15) * 60_000,
    },
  };
  return deepFreeze(config);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s`, `30m`, `2h`, `5d` as milliseconds (the rule on the variable has checked the shape). */
function durationMs(text: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim())!;
  return Number(amount) * UNIT_MS[unit];
}

/**
 * Loads `.env` from the working directory when there is one (Node's `process.loadEnvFile`). Variables already in the
 * environment win: loadEnvFile does not override them.
 */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

function parseDatabaseUrl(url: string | undefined, dataDir: string, runMigrations: boolean): DatabaseConfig {
  if (!url) return { type: 'sqlite', url: path.join(dataDir, 'gateway.sqlite'), runMigrations };
  if (url.startsWith('sqlite:'))
    return { type: 'sqlite', url: path.resolve(url.slice('sqlite:'.length)), runMigrations };
  return { type: 'mysql', url: url.replace(/^mariadb:/, 'mysql:'), runMigrations };
}

/** class-validator messages start with the property name; some rules could echo input, so we keep only the rule. */
function stripValue(rule: string, property: string): string {
  return rule.startsWith(`${property} `) ? rule.slice(property.length + 1) : rule;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object' && !Object.isFrozen(inner)) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}

/**
 * The one composition root: builds the database, services, GraphQL schema, HTTP app and WebSocket server from a
 * config, and closes them in order. `main.ts`, `worker.ts`, the CLI and the tests all start from here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { pinoHttp } from 'pino-http';
import type { Config } from './config';
import { bearerKey, requestIdFrom, type GatewayContext, type SubscriptionStreams } from './context';
import { createCore, type Core, type CoreOptions } from './core';
import { createLoaders } from './loaders';
import { contractOperations, operationLabel, type Metrics } from './metrics';
import { createLogger, serializeRequest, type Logger } from './logger';
import { createResolvers } from './resolvers';
import { createSchema } from './schema/build-schema';
import { checkOperation, queryLimitRules } from './schema/query-limits';
import { createFormatError } from './schema/format-error';
import type { Principal } from './services/api-key.service';
import { renderAuthorizationPage } from './oauth-callback';
import { consoleRouter } from './http/console';
import { corsGuard, webSocketOriginAllowed } from './http/cors';
import { jsonErrorHandler, jsonNotFound } from './http/errors';
import { graphqlGuard } from './http/graphql-guard';
import { metricsHandler } from './http/metrics-endpoint';
import { securityHeaders } from './http/security-headers';
import { createRateLimiter, rateLimitedError, rateLimitMiddleware } from './http/rate-limit';
import { queueHealth } from './jobs/queue-health';
import { CLOSE_FORBIDDEN, WebSocketGuard, socketErrorFormatter } from './http/websocket-guard';
import { sharedEventSubscribe } from './http/shared-execution';
import { ApiKeyEntity } from './entities';
import { In, IsNull } from 'typeorm';
import { WebhookIntake } from './webhooks/intake';
import { registerLocalWebhook } from './webhooks/local-registration';
import { quickbooksWebhookRouter } from './webhooks/router';

export type { Services } from './core';

export interface Gateway extends Core {
  httpServer: http.Server;
  /** `/metrics` on its own listener (METRICS_PORT); `listen()` starts it too. */
  metricsServer?: http.Server;
  /** Starts listening; resolves to the base URL (`http://127.0.0.1:4000`). */
  listen(): Promise<string>;
  /** Stops accepting, drains requests and sockets, stops the worker, closes the database. Idempotent. */
  close(): Promise<void>;
}

export interface GatewayOptions extends CoreOptions {
  logger?: Logger;
}

export async function createGateway(
  config: Readonly<Config>,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const core = await createCore(config, logger, options);
  const { dataSource, services, metrics } = core;

  const schema = createSchema({
    resolvers: createResolvers(services),
  });
  const streams: SubscriptionStreams = {
    batchProgress: (tenantId, batchId) => services.batches.progress(tenantId, batchId),
    connectionEvents: async (tenantId, connectionId) => {
      await services.connections.get(tenantId, connectionId);
      return services.events.subscribe(connectionId);
    },
  };
  const contextFor = (
    requestId: string,
    principal: Principal | undefined,
    requestLogger: Logger,
  ): GatewayContext => ({
    requestId,
    principal,
    logger: requestLogger,
    loaders: createLoaders(services, principal?.tenantId),
    streams,
  });
  const formatError = createFormatError(logger, config.env === 'development');
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  const rateLimiter = createRateLimiter(config.rateLimit, config.redisUrl);
  await rateLimiter?.ready();
  const httpServer = http.createServer(app);

  const authenticate = async (authorization: unknown): Promise<Principal | undefined> => {
    const key = bearerKey(authorization);
    return key ? services.apiKeys.authenticate(key) : undefined;
  };

  // graphql-ws on the same path as HTTP GraphQL. Authenticated once in onConnect (4403 on failure) and again for
  // every operation; the keys of open sockets are checked again every WS_KEY_RECHECK_SECONDS, so a revoked key's
  // sockets close. Per connection: WS_MAX_SUBSCRIPTIONS operations at once, WS_MAX_MESSAGE_BYTES a message,
  // WS_MAX_MESSAGES_PER_SECOND (src/http/websocket-guard.ts). Errors go through the one formatter.
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: config.websocket.maxMessageBytes,
    verifyClient: webSocketOriginAllowed(config.corsOrigins),
  });
  const wsGuard = new WebSocketGuard(
    config.websocket,
    async (ids) => {
      const rows = await dataSource
        .getRepository(ApiKeyEntity)
        .find({ select: { id: true }, where: { id: In(ids), revokedAt: IsNull() } });
      return new Set(rows.map((row) => row.id));
    },
    logger.child({ transport: 'ws' }),
  );
  wsGuard.attach(wsServer);
  const formatSocketError = socketErrorFormatter(formatError);
  const wsCleanup = useServer<
    Record<string, unknown>,
    { principal?: Principal; requestId?: string; admitted?: Set<string> }
  >(
    {
      schema,
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx) => {
        const principal = await authenticate(ctx.connectionParams?.authorization);
        if (!principal) return false;
        ctx.extra.principal = principal;
        ctx.extra.requestId = requestIdFrom(ctx.extra.request.headers['x-request-id']);
        wsGuard.identify(ctx.extra.socket, principal.apiKeyId);
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        // Counted before anything costs.
        const refused = wsGuard.refuseOverLimit(ctx.subscriptions, (ctx.extra.admitted ??= new Set()), id);
        if (refused) return refused;
        const principal = await authenticate(ctx.connectionParams?.authorization);
        if (!principal) ctx.extra.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
        ctx.extra.principal = principal;
        const verdict = await rateLimiter?.take(principal, ctx.extra.request.socket.remoteAddress);
        if (verdict && !verdict.allowed) return [rateLimitedError(principal, verdict.retryAfterSeconds)];
        // The same limits as HTTP (src/schema/query-limits.ts); graphql-ws then skips its own parse and validate.
        const checked = checkOperation(schema, payload.query, config.graphql, config.graphql.hideSuggestions);
        if ('errors' in checked) return checked.errors;
        return {
          schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(formatSocketError) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(formatSocketError),
      // A fresh context (and so fresh loaders) per operation and per event: nothing cached outlives one event.
      context: (ctx): GatewayContext => {
        const requestId = ctx.extra.requestId ?? requestIdFrom(undefined);
        return contextFor(requestId, ctx.extra.principal, logger.child({ requestId, transport: 'ws' }));
      },
      // One batch's frame goes to all its subscribers as one object: executed once per distinct operation.
      subscribe: sharedEventSubscribe(),
    },
    wsServer,
  );
  // After useServer: socket errors (a frame past WS_MAX_MESSAGE_BYTES) become one log line, not console.error.
  wsGuard.adoptSocketErrors(wsServer);

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.graphql.introspection,
    formatError,
    validationRules: queryLimitRules(config.graphql),
    parseOptions: { maxTokens: config.graphql.maxTokens },
    hideSchemaDetailsFromClientErrors: config.graphql.hideSuggestions,
    includeStacktraceInErrorResponses: false,
    plugins: [
      // Open requests get a share of SHUTDOWN_TIMEOUT_SECONDS (Apollo's default is 10 s, past a SIGTERM budget).
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: Math.round(config.shutdownTimeoutMs * 0.4),
      }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              wsGuard.stop();
              await wsCleanup.dispose();
            },
          };
        },
      },
      operationMetrics(metrics, contractOperations(schema)),
      // Apollo's landing page loads from the internet; browsers get our bundled GraphiQL (src/http/console.ts).
      ApolloServerPluginLandingPageDisabled(),
      // We set no cache hints, and its per-field hook made Apollo wrap every resolver of the schema (a promise and a
      // closure per field of every object of a page).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  app.use(
    pinoHttp({
      logger,
      serializers: { req: serializeRequest },
      genReqId: (req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
      },
    }),
  );
  app.use(securityHeaders());
  app.use((req, res, next) => {
    const stop = metrics.httpDuration.startTimer({ method: req.method });
    // Taken now: inside a mounted router (`/graphql`) Express rewrites req.url, so at 'finish' it reads "/".
    const route = routeLabel(req);
    res.on('finish', () => stop({ route, status: String(res.statusCode) }));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    try {
      await dataSource.query('SELECT 1');
      const pending = await dataSource.showMigrations();
      if (pending) {
        res.status(503).json({ status: 'unavailable', reason: 'database migrations are pending' });
        return;
      }
      // Work waiting past the threshold with no live worker: batches would stay QUEUED forever.
      const queue = await queueHealth(dataSource);
      if (queue.oldestWaitingMs > config.maxQueueWaitMs && queue.liveWorkers === 0) {
        res.status(503).json({
          status: 'unavailable',
          reason: `jobs have waited ${Math.round(queue.oldestWaitingMs / 1000)} s and no worker is running`,
          hint: 'start a worker (npm run worker) or run the gateway with RUN_WORKER=true',
        });
        return;
      }
      res.json({ status: 'ready' });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
  // Intuit redirects the person here after consent. HTML for people, JSON when asked for it.
  app.get('/oauth/callback', async (req: Request, res: Response) => {
    const outcome = await services.connections.completeAuthorization(req.query);
    if (req.accepts(['html', 'json']) === 'json') res.status(outcome.status).json(outcome);
    // Back to the partner's app (connect's returnUrl) with the connection id and outcome.
    else if (outcome.returnUrl) res.redirect(303, outcome.returnUrl);
    else res.status(outcome.status).type('html').send(renderAuthorizationPage(outcome));
  });

  // The QuickBooks Web Connector's SOAP service and the .qwc files of DESKTOP connections.
  app.use(await services.desktop.router(authenticate, logger.child({ module: 'qbwc' })));

  // QuickBooks change notifications: raw body, signature first, stored and acknowledged at once (src/webhooks).
  app.use(
    quickbooksWebhookRouter({
      intake: new WebhookIntake(
        dataSource,
        core.queue,
        { coalesceMs: config.inbound.coalesceMs },
        logger.child({ module: 'quickbooks-webhooks' }),
      ),
      verifierTokens: config.quickbooks.webhookVerifierTokens,
      logger: logger.child({ module: 'quickbooks-webhooks' }),
      registry: metrics.registry,
    }),
  );

  const serveMetrics = metricsHandler(metrics, {
    token: config.metrics.token,
    open: config.quickbooks.mode === 'local' || config.metrics.port !== undefined,
  });
  let metricsServer: http.Server | undefined;
  if (config.metrics.port !== undefined) {
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    metricsApp.get('/metrics', serveMetrics);
    metricsServer = http.createServer(metricsApp);
  } else {
    app.get('/metrics', serveMetrics);
  }

  // Before the console's router: its GET /graphql (GraphiQL) would otherwise answer preflights itself.
  app.use('/graphql', corsGuard(config.corsOrigins));
  app.use(consoleRouter({ graphiql: config.graphql.graphiql }));
  app.use(
    '/graphql',
    rateLimitMiddleware(rateLimiter, authenticate),
    express.json({ limit: config.graphql.maxBodyBytes }),
    graphqlGuard(config.graphql.maxTokens),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GatewayContext> => {
        const requestId = typeof req.id === 'string' ? req.id : requestIdFrom(undefined);
        // Authenticated by the rate limiter already.
        const principal = res.locals.authenticated
          ? (res.locals.principal as Principal | undefined)
          : await authenticate(req.headers.authorization);
        return contextFor(requestId, principal, (req as Request & { log: Logger }).log);
      },
    }),
  );

  app.use(jsonNotFound());
  app.use(jsonErrorHandler(logger, config.graphql.maxBodyBytes));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await apollo.stop(); // stops accepting, drains HTTP requests and the WebSocket server
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      if (metricsServer?.listening)
        await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      await rateLimiter?.close();
      await core.close();
    })());

  return {
    ...core,
    httpServer,
    metricsServer,
    listen: async () => {
      if (metricsServer) await listenOn(metricsServer, config.metrics.port ?? 0, config.host);
      const url = await listenOn(httpServer, config.port, config.host);
      // Local mode: the emulator's webhooks come here.
      await registerLocalWebhook(core, url);
      return url;
    },
    close,
  };
}

/** Listens on host:port; resolves to the base URL (a wildcard host is reached at 127.0.0.1). */
function listenOn(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : address.address;
      resolve(`http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${address.port}`);
    });
  });
}

function routeLabel(req: Request): string {
  const known = [
    '/graphql',
    '/healthz',
    '/readyz',
    '/metrics',
    '/oauth/callback',
    '/webhooks/quickbooks',
    '/qbwc',
  ];
  return known.find((route) => req.path === route) ?? 'other';
}

/** Records every GraphQL operation's duration and outcome. */
function operationMetrics(
  metrics: Metrics,
  contract: ReadonlySet<string>,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse({ operation, errors }) {
          stop({
            type: operation?.operation ?? 'unknown',
            operation: operationLabel(operation, contract),
            outcome: errors?.length ? 'error' : 'ok',
          });
        },
      };
    },
  };
}

/**
 * The one composition root: builds the database, services, GraphQL schema, HTTP app and WebSocket server from a
 * config, and closes them in order. `main.ts`, `worker.ts`, the CLI and the tests all start from here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { specifiedRules, validate } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { pinoHttp } from 'pino-http';
import type { Config } from './config';
import { bearerKey, requestIdFrom, type GatewayContext, type SubscriptionStreams } from './context';
import { createCore, type Core, type CoreOptions } from './core';
import { createLoaders } from './loaders';
import type { Metrics } from './metrics';
import { createLogger, type Logger } from './logger';
import { createResolvers } from './resolvers';
import { createSchema } from './schema/build-schema';
import { depthLimit } from './schema/depth-limit';
import { createFormatError } from './schema/format-error';
import type { Principal } from './services/api-key.service';
import { renderAuthorizationPage } from './oauth-callback';
import { consoleRouter } from './http/console';
import { corsGuard, webSocketOriginAllowed } from './http/cors';
import { queueHealth } from './jobs/queue-health';
import { WebhookIntake } from './webhooks/intake';
import { registerLocalWebhook } from './webhooks/local-registration';
import { quickbooksWebhookRouter } from './webhooks/router';

export type { Services } from './core';

/** WebSocket frames above this are refused (the `ws` default is 100 MiB). */
const MAX_WS_PAYLOAD_BYTES = 64 * 1024;

export interface Gateway extends Core {
  httpServer: http.Server;
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
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const authenticate = async (authorization: unknown): Promise<Principal | undefined> => {
    const key = bearerKey(authorization);
    return key ? services.apiKeys.authenticate(key) : undefined;
  };

  // graphql-ws on the same path as HTTP GraphQL. Authenticated once in onConnect (4403 on failure) and again for
  // every operation, so a key revoked mid-connection stops working.
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    verifyClient: webSocketOriginAllowed(config.corsOrigins),
  });
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal; requestId?: string }>(
    {
      schema,
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx) => {
        const principal = await authenticate(ctx.connectionParams?.authorization);
        if (!principal) return false;
        ctx.extra.principal = principal;
        ctx.extra.requestId = requestIdFrom(ctx.extra.request.headers['x-request-id']);
        return true;
      },
      onSubscribe: async (ctx) => {
        const principal = await authenticate(ctx.connectionParams?.authorization);
        if (!principal) ctx.extra.socket.close(4403, 'Forbidden');
        ctx.extra.principal = principal;
      },
      // A fresh context (and so fresh loaders) per operation and per event: nothing cached outlives one event.
      context: (ctx): GatewayContext => {
        const requestId = ctx.extra.requestId ?? requestIdFrom(undefined);
        return contextFor(requestId, ctx.extra.principal, logger.child({ requestId, transport: 'ws' }));
      },
      validate: (schemaToCheck, document) =>
        validate(schemaToCheck, document, [...specifiedRules, depthLimit(config.graphql.maxDepth)]),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.graphql.introspection,
    formatError: createFormatError(logger, config.env === 'development'),
    validationRules: [depthLimit(config.graphql.maxDepth)],
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
              await wsCleanup.dispose();
            },
          };
        },
      },
      operationMetrics(metrics),
      // Apollo's landing page loads from the internet; browsers get our bundled GraphiQL (src/http/console.ts).
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.use(
    pinoHttp({
      logger,
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
  app.use((req, res, next) => {
    const stop = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => stop({ route: routeLabel(req), status: String(res.statusCode) }));
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

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use(consoleRouter({ graphiql: config.graphql.graphiql }));
  app.use(
    '/graphql',
    corsGuard(config.corsOrigins),
    express.json({ limit: '5mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<GatewayContext> => {
        const requestId = typeof req.id === 'string' ? req.id : requestIdFrom(undefined);
        const principal = await authenticate(req.headers.authorization);
        return contextFor(requestId, principal, (req as Request & { log: Logger }).log);
      },
    }),
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await apollo.stop(); // stops accepting, drains HTTP requests and the WebSocket server
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await core.close();
    })());

  return {
    ...core,
    httpServer,
    listen: () =>
      new Promise<string>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, () => {
          const { port } = httpServer.address() as AddressInfo;
          const url = `http://127.0.0.1:${port}`;
          // Local mode: the emulator's webhooks come here.
          void registerLocalWebhook(core, url).then(() => resolve(url));
        });
      }),
    close,
  };
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
function operationMetrics(metrics: Metrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse({ operation, operationName, errors }) {
          stop({
            type: operation?.operation ?? 'unknown',
            operation: operationName ?? 'anonymous',
            outcome: errors?.length ? 'error' : 'ok',
          });
        },
      };
    },
  };
}

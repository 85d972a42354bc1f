/**
 * The browser side of the gateway: the operator console at `/console` (a single-page app built by `npm run build`
 * into `dist/console`, served as static files) and GraphiQL for a browser's GET of `/graphql`. Both pages load only
 * their own bundled files (no inline scripts, no other origins), so a strict Content-Security-Policy holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

export interface ConsoleRouterOptions {
  /** Serve GraphiQL to browsers at GET /graphql (config `GRAPHIQL`). */
  graphiql: boolean;
  /** Where the built console lives; defaults to `dist/console` of this checkout. */
  directory?: string;
}

const NOT_BUILT = 'The console is not built: run `npm run build`.';

/** Mounted before Apollo: answers console paths, and GET /graphql from browsers when GraphiQL is on. */
export function consoleRouter(options: ConsoleRouterOptions): Router {
  const directory = options.directory ?? path.join(packageRoot(__dirname), 'dist', 'console');
  const router = express.Router();
  const sendPage = (file: string, res: Response): void => {
    const page = path.join(directory, file);
    if (!fs.existsSync(page)) {
      res.status(503).type('text').send(NOT_BUILT);
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(page);
  };

  // Hashed file names: cache for a year. The GraphiQL page is only reachable through /graphql.
  router.use(
    '/console/assets',
    express.static(path.join(directory, 'assets'), { immutable: true, maxAge: '365d', index: false }),
  );
  // What the console cannot tell from the schema: whether to offer the GraphiQL link.
  router.get('/console/config.json', (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.json({ graphiql: options.graphiql });
  });
  // Every other console path is a screen of the single-page app: the same page, which routes in the browser.
  router.get(['/console', '/console/{*screen}'], (req, res, next) => {
    if (req.path.startsWith('/console/assets/')) return next();
    // One address for the start screen: /console/.
    if (req.path === '/console') return res.redirect(301, `/console/${req.url.slice(req.path.length)}`);
    sendPage('index.html', res);
  });

  if (options.graphiql) {
    router.get('/graphql', (req, res, next) => {
      if (!wantsHtml(req)) return next();
      sendPage(path.join('graphiql', 'index.html'), res);
    });
  }
  return router;
}

/** A browser navigating (Accept prefers HTML), as opposed to a GraphQL client (JSON) or curl (any). */
function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'html']) === 'html';
}

/** The checkout's root (the folder with package.json), from `src/http` or `dist/src/http` alike. */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

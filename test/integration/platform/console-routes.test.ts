import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { consoleRouter } from '../../../src/http/console';
import { DIALECTS } from '../../support/database';
import { startTestGateway } from '../../support/gateway';

/** A stand-in for dist/console, so the routes are tested without a build. */
function builtConsole(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.mkdirSync(path.join(dir, 'graphiql'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><title>console</title><div id="root"></div>',
  );
  fs.writeFileSync(path.join(dir, 'graphiql', 'index.html'), '<!doctype html><title>GraphiQL</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'console-abc123.js'), 'console.log(1)');
  return dir;
}

const appWith = (options: Parameters<typeof consoleRouter>[0]) => {
  const app = express();
  app.use(consoleRouter(options));
  app.use('/graphql', (_req, res) => res.status(400).json({ from: 'apollo' }));
  return app;
};

describe('console routes', () => {
  const directory = builtConsole();
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('serves the single-page app for every console path, assets with long caching', async () => {
    const app = appWith({ graphiql: true, directory });
    await request(app).get('/console').expect(301).expect('location', '/console/');
    await request(app).get('/console?x=1').expect(301).expect('location', '/console/?x=1');
    for (const screen of [
      '/console/',
      '/console/orders',
      '/console/orders/ord_1',
      '/console/connections/con_1',
    ]) {
      const page = await request(app).get(screen).expect(200).expect('cache-control', 'no-cache');
      expect(page.text).toContain('<div id="root">');
    }
    const asset = await request(app).get('/console/assets/console-abc123.js').expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    await request(app).get('/console/assets/missing.js').expect(404);
    expect((await request(app).get('/console/config.json').expect(200)).body).toEqual({ graphiql: true });
  });

  it('gives browsers GraphiQL at GET /graphql and leaves GraphQL clients to the server', async () => {
    const app = appWith({ graphiql: true, directory });
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const page = await request(app).get('/graphql').set('accept', browser).expect(200);
    expect(page.text).toContain('<title>GraphiQL</title>');
    await request(app).get('/graphql?query={viewer{tenantId}}').set('accept', 'application/json').expect(400);
    await request(app).get('/graphql').set('accept', '*/*').expect(400, { from: 'apollo' });
    await request(app).post('/graphql').set('accept', browser).expect(400);
  });

  it('does not serve GraphiQL when it is off', async () => {
    const app = appWith({ graphiql: false, directory });
    await request(app).get('/graphql').set('accept', 'text/html').expect(400, { from: 'apollo' });
    expect((await request(app).get('/console/config.json').expect(200)).body).toEqual({ graphiql: false });
  });

  it('says how to build the console when it is not built', async () => {
    const app = appWith({ graphiql: true, directory: path.join(directory, 'nowhere') });
    const page = await request(app).get('/console/orders').expect(503);
    expect(page.text).toContain('npm run build');
    await request(app).get('/graphql').set('accept', 'text/html').expect(503);
  });
});

describe.each(DIALECTS)('the gateway in production on %s', (dialect) => {
  it('offers no GraphiQL and no introspection unless GRAPHIQL=true, and never Apollo’s online landing page', async () => {
    for (const GRAPHIQL of ['false', 'true']) {
      const t = await startTestGateway(dialect, { NODE_ENV: 'production', GRAPHIQL });
      try {
        const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
        const body = await page.text();
        expect(body).not.toContain('apollographql.com');
        // `npm test` builds the console first, so the real GraphiQL page is there.
        expect(page.status).toBe(GRAPHIQL === 'true' ? 200 : 400);
        expect(page.headers.get('content-type')).toContain(
          GRAPHIQL === 'true' ? 'text/html' : 'application/json',
        );
        const introspection = await t.graphql(undefined, '{ __schema { queryType { name } } }');
        expect(introspection.errors === undefined).toBe(GRAPHIQL === 'true');
      } finally {
        await t.close();
      }
    }
  });
});

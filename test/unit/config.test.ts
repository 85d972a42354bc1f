import { ConfigError, loadConfig } from '../../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.port).toBe(4000);
    expect(config.database).toEqual({
      type: 'sqlite',
      url: '/srv/app/data/gateway.sqlite',
      runMigrations: true,
    });
    expect(config.quickbooks.mode).toBe('local');
    expect(config.quickbooks.redirectUri).toBe('http://localhost:4000/oauth/callback');
    expect(config.runWorker).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.quickbooks.limits)).toBe(true);
  });

  it('reads MySQL URLs and switches to production when a client id is set', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'mysql://root@127.0.0.1:3306/gw',
        QBO_CLIENT_ID: 'abc',
        QBO_CLIENT_SECRET: 'def',
        QBO_WEBHOOK_VERIFIER_TOKEN: 'verifier-token',
        GATEWAY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        RUN_WORKER: 'false',
      },
      '/srv/app',
    );
    expect(config.database.type).toBe('mysql');
    expect(config.quickbooks.mode).toBe('production');
    expect(config.runWorker).toBe(false);
  });

  it('names every bad variable and its rule, never the value', () => {
    const secretish = 'hunter2-super-secret';
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: `postgres://${secretish}@db/x`,
      LOG_LEVEL: 'loud',
      GATEWAY_ENCRYPTION_KEY: secretish,
      RUN_WORKER: 'maybe',
    });
    const text = problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'GATEWAY_ENCRYPTION_KEY', 'RUN_WORKER']) {
      expect(text).toContain(`${name}:`);
    }
    expect(text).not.toContain(secretish);
    expect(text).not.toContain('eighty');
    expect(text).not.toContain('loud');
  });

  it('requires the Intuit credentials and an encryption key outside local mode', () => {
    const problems = problemsOf({ QBO_MODE: 'production' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'QBO_CLIENT_ID: is required when QBO_MODE is production',
        'QBO_CLIENT_SECRET: is required when QBO_MODE is production',
        'QBO_WEBHOOK_VERIFIER_TOKEN: is required when QBO_MODE is production',
        'GATEWAY_ENCRYPTION_KEY: is required when QBO_MODE is production',
      ]),
    );
  });

  it('serves GraphiQL outside production, and in production only with GRAPHIQL=true (which allows introspection)', () => {
    const graphql = (env: Record<string, string>) => loadConfig(env, '/srv/app').graphql;
    expect(graphql({})).toMatchObject({ graphiql: true, introspection: true });
    expect(graphql({ GRAPHIQL: 'false' })).toMatchObject({ graphiql: false, introspection: true });
    expect(graphql({ NODE_ENV: 'production' })).toMatchObject({ graphiql: false, introspection: false });
    expect(graphql({ NODE_ENV: 'production', GRAPHIQL: 'true' })).toMatchObject({
      graphiql: true,
      introspection: true,
    });
    expect(problemsOf({ GRAPHIQL: 'yes please' })).toEqual(['GRAPHIQL: must be a boolean string']);
  });
});

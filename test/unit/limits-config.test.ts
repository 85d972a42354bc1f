import { ConfigError, loadConfig } from '../../src/config';

const PRODUCTION = {
  QBO_CLIENT_ID: 'client',
  QBO_CLIENT_SECRET: 'secret',
  QBO_WEBHOOK_VERIFIER_TOKEN: 'verifier-token',
  GATEWAY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config of limits and exposure', () => {
  it('has generous limits, a local bind address in local mode and open metrics only there', () => {
    const local = loadConfig({}, '/srv/app');
    expect(local.host).toBe('127.0.0.1');
    expect(local.graphql).toMatchObject({
      maxDepth: 12,
      maxAliases: 20,
      maxDirectives: 50,
      maxTokens: 2000,
      maxCost: 100_000,
      maxBodyBytes: 2 * 1024 * 1024,
      hideSuggestions: false,
    });
    expect(local.rateLimit).toEqual({
      perSecond: 50,
      burst: 100,
      anonymousPerSecond: 10,
      anonymousBurst: 20,
    });
    expect(local.metrics).toEqual({ token: undefined, port: undefined });

    const production = loadConfig({ ...PRODUCTION, NODE_ENV: 'production' }, '/srv/app');
    expect(production.host).toBe('0.0.0.0');
    expect(production.graphql.hideSuggestions).toBe(true);
    expect(loadConfig({ ...PRODUCTION, HOST: '10.0.0.5', METRICS_PORT: '9464' }, '/srv/app')).toMatchObject({
      host: '10.0.0.5',
      metrics: { port: 9464 },
    });
  });

  it('refuses bad values, naming the variable', () => {
    const problems = problemsOf({
      HOST: 'everywhere',
      METRICS_TOKEN: 'short',
      RATE_LIMIT_PER_SECOND: '-1',
      GRAPHQL_MAX_TOKENS: '10',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'GRAPHQL_MAX_TOKENS',
      'HOST',
      'METRICS_TOKEN',
      'RATE_LIMIT_PER_SECOND',
    ]);
    expect(problems.join('\n')).not.toContain('short');
  });
});

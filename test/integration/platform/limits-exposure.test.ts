/**
 * What the gateway shows that it should not: secrets in its logs (query strings, OAuth parameters, keys sent in the
 * wrong place), and HTML pages without security headers.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logger';
import { startTestGateway, type TestGateway } from '../../support/gateway';

describe('exposure', () => {
  let t: TestGateway;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    t = await startTestGateway(
      'sqlite',
      { RUN_WORKER: 'false', LOG_LEVEL: 'info' },
      { gatewayOptions: { logger: createLogger('info', sink) } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never logs query strings, OAuth parameters or keys sent in the wrong place', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const before = lines.length;
    await fetch(`${t.url}/oauth/callback?code=ONE-TIME-CODE-4711&state=STATE-SECRET-0815&realmId=9130357`, {
      headers: { accept: 'application/json', referer: 'https://example.com/back?code=ONE-TIME-CODE-4711' },
    });
    await fetch(`${t.url}/graphql?authorization=${encodeURIComponent(`Bearer ${key}`)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await fetch(`${t.url}/graphql?${encodeURIComponent(key)}=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const logged = lines.slice(before).join('');
    // The requests were logged (with what is safe to log) ...
    expect(logged).toContain('/oauth/callback?code=[redacted]&state=[redacted]&realmId=[redacted]');
    expect(logged).toContain('/graphql?authorization=[redacted]');
    // ... and nothing secret.
    for (const secret of ['ONE-TIME-CODE-4711', 'STATE-SECRET-0815', '9130357', key, key.split('_')[2]]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('sends CSP with frame-ancestors, nosniff and DENY on every HTML page', async () => {
    const pages = [
      await fetch(`${t.url}/console/`, { headers: { accept: 'text/html' } }),
      await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } }),
      await fetch(`${t.url}/oauth/callback?error=access_denied&state=x`, {
        headers: { accept: 'text/html' },
      }),
    ];
    for (const page of pages) {
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

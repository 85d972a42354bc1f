import WebSocket from 'ws';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';

const APP = 'https://app.partner.example';
const OTHER = 'https://evil.example';

/** A partner's web app on another origin: CORS for allowed origins only, and back to the app after consent. */
describe.each(DIALECTS)('browsers on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { CORS_ORIGINS: `${APP}, http://localhost:5173` });
  });
  afterAll(async () => {
    await t?.close();
  });

  const preflight = (origin: string) =>
    fetch(`${t.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
  const query = (origin: string | undefined, key: string) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(origin ? { origin } : {}),
      },
      body: JSON.stringify({ query: '{ viewer { tenantName } }' }),
    });

  it('lets a browser on an allowed origin run a query: preflight, then the request, without credentials', async () => {
    const { key } = await t.newTenantKey(['READ'], `browser-${dialect}`);
    const pre = await preflight(APP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const answer = await query(APP, key);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(await answer.json()).toEqual({ data: { viewer: { tenantName: `browser-${dialect}` } } });
    // Servers and scripts send no Origin and are not affected.
    expect((await query(undefined, key)).status).toBe(200);
  });

  it('refuses a browser on any other origin, over HTTP and WebSocket', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const pre = await preflight(OTHER);
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await query(OTHER, key);
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
        origin: OTHER,
      });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);
  });

  it('sends the person back to the partner app after consent, with the connection id and the outcome', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const start = async (returnUrl: string) =>
      t.graphql<{ connect: { connection: { id: string }; authorizationUrl: string } }>(
        key,
        'mutation($input: ConnectInput!) { connect(input: $input) { connection { id } authorizationUrl } }',
        { input: { name: 'From the app', returnUrl } },
      );
    const elsewhere = await start(`${OTHER}/done`);
    expect(elsewhere.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.returnUrl',
    });

    for (const [consent, outcome] of [
      ['approve', 'connected'],
      ['deny', 'denied'],
    ] as const) {
      const started = await start(`${APP}/settings/quickbooks?step=2`);
      const { authorizationUrl, connection } = started.data!.connect;
      const consentUrl = new URL(authorizationUrl);
      consentUrl.searchParams.set('sandbox_consent', consent);
      const redirect = new URL((await fetch(consentUrl, { redirect: 'manual' })).headers.get('location')!);
      const callback = await fetch(`${t.url}${redirect.pathname}${redirect.search}`, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      });
      expect(callback.status).toBe(303);
      const back = new URL(callback.headers.get('location')!);
      expect(back.origin + back.pathname).toBe(`${APP}/settings/quickbooks`);
      expect(Object.fromEntries(back.searchParams)).toMatchObject({
        step: '2',
        connectionId: connection.id,
        outcome,
      });
    }
  });
});

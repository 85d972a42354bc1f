/**
 * Fault injection: canned faults by entity/operation, path and method, `times`, seeded `probability`, XML and HTML
 * bodies, faults on the token endpoint, and the lost response after commit.
 */
import type { Sandbox } from '../../src/sandbox';
import { QUERY_PATH, admin, api, connectDemo, startSandbox } from './platform-helpers';

describe('sandbox faults', () => {
  let sandbox: Sandbox;
  let token: string;
  let realmId: string;

  beforeEach(async () => {
    sandbox = await startSandbox();
    const connected = await connectDemo(sandbox);
    token = connected.tokens.access_token;
    realmId = connected.realmId;
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const createCustomer = (name: string) =>
    api(sandbox, token, realmId, 'POST', 'customer?minorversion=75', { DisplayName: name });

  it('answers matching requests with the configured fault, `times` times', async () => {
    const put = await admin(sandbox, 'PUT', '/faults', {
      rules: [
        {
          match: { entity: 'Customer', operation: 'create' },
          times: 2,
          respond: { status: 500, code: '10000' },
        },
      ],
    });
    expect(put.status).toBe(200);

    const first = await createCustomer('Fault One');
    expect(first.status).toBe(500);
    expect(first.json.Fault.Error[0]).toMatchObject({
      code: '10000',
      Message: 'An application error has occurred while processing your request',
    });
    expect(first.json.Fault.type).toBe('SystemFault');
    expect((await createCustomer('Fault Two')).status).toBe(500);
    // Reads do not match the rule.
    expect((await api(sandbox, token, realmId, 'GET', QUERY_PATH)).status).toBe(200);
    const third = await createCustomer('Fault Three');
    expect(third.status).toBe(200);

    const names = sandbox.accounting
      .adminEntities(realmId, 'Customer')
      .map((c) => (c as { DisplayName: string }).DisplayName);
    expect(names).toContain('Fault Three');
    expect(names).not.toContain('Fault One');

    const listed = (await admin(sandbox, 'GET', '/faults')).json;
    expect(listed.rules[0]).toMatchObject({ fired: 2, remaining: 0 });
    expect(sandbox.stats().faultsInjected).toBe(2);

    expect((await admin(sandbox, 'DELETE', '/faults')).json.rules).toEqual([]);
  });

  it('matches by method and path and writes XML, HTML and gateway-shaped bodies', async () => {
    sandbox.setFaults({
      rules: [
        {
          match: { method: 'GET', path: '/query' },
          times: 1,
          respond: { status: 429, code: '3001', format: 'xml' },
        },
        {
          match: { pathRegex: 'query\\?query=' },
          times: 1,
          respond: { status: 502, code: '502', message: 'Bad Gateway', format: 'html' },
        },
        { match: { realmId }, times: 1, respond: { status: 401, code: '3200' } },
      ],
    });
    const xml = await api(sandbox, token, realmId, 'GET', QUERY_PATH);
    expect(xml.status).toBe(429);
    expect(xml.text).toContain('<Fault type="SERVICE"><Error code="3001">');
    const html = await api(sandbox, token, realmId, 'GET', QUERY_PATH);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('<title>502 Bad Gateway</title>');
    const unauth = await api(sandbox, token, realmId, 'GET', QUERY_PATH);
    expect(unauth.status).toBe(401);
    expect(unauth.json.fault.error[0]).toMatchObject({ code: '3200', detail: 'Token expired' });
    expect((await api(sandbox, token, realmId, 'GET', QUERY_PATH)).status).toBe(200);
  });

  it('draws probabilities from the seed, reproducibly', async () => {
    const run = async (): Promise<number[]> => {
      sandbox.setFaults({ seed: 42, rules: [{ probability: 0.5, respond: { status: 503, code: '503' } }] });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push((await api(sandbox, token, realmId, 'GET', QUERY_PATH)).status);
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it('commits the request and then drops the connection without an answer', async () => {
    sandbox.setFaults({
      rules: [{ match: { operation: 'create' }, times: 1, dropResponseAfterCommit: true }],
    });
    await expect(createCustomer('Lost Response Ltd')).rejects.toThrow();
    const found = sandbox.accounting
      .adminEntities(realmId, 'Customer')
      .filter((c) => (c as { DisplayName: string }).DisplayName === 'Lost Response Ltd');
    expect(found).toHaveLength(1);
    const entities = await admin(sandbox, 'GET', `/realms/${realmId}/entities/Customer`);
    expect(
      entities.json.items.some((c: { DisplayName: string }) => c.DisplayName === 'Lost Response Ltd'),
    ).toBe(true);
    expect(sandbox.stats().droppedResponses).toBe(1);
    // The next call is answered normally.
    expect((await createCustomer('Answered Ltd')).status).toBe(200);
  });

  it('applies to the token endpoint too, and validates rules', async () => {
    sandbox.setFaults({
      rules: [
        {
          match: { path: '/oauth2/v1/tokens/bearer' },
          times: 1,
          respond: { status: 503, code: '503', format: 'html' },
        },
      ],
    });
    const res = await fetch(sandbox.endpoints.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x',
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');

    const bad = await admin(sandbox, 'PUT', '/faults', { rules: [{ match: { path: 'x' } }] });
    expect(bad.status).toBe(400);
    expect(
      (await admin(sandbox, 'PUT', '/faults', { rules: [{ probability: 2, latencyMs: 1 }] })).status,
    ).toBe(400);
    expect(
      (await admin(sandbox, 'PUT', '/faults', { rules: [{ match: { pathRegex: '(' }, latencyMs: 1 }] }))
        .status,
    ).toBe(400);
  });
});

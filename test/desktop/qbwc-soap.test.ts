import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as soap from 'soap';
import { validateXML } from 'xmllint-wasm';
import { qbwcSchema } from '../../src/desktop/wsdl';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { connectDesktop, desktopWebConnector, type DesktopConnection } from '../support/desktop';

/** SOAP 1.1's envelope, strict about the body: its child must be a QBWC message as the WSDL's schema declares it. */
const ENVELOPE_XSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schemas.xmlsoap.org/soap/envelope/" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" elementFormDefault="qualified">
  <xs:import namespace="http://developer.intuit.com/" schemaLocation="qbwc.xsd"/>
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence><xs:any namespace="http://developer.intuit.com/" processContents="strict"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType></xs:element>
</xs:schema>`;

async function validate(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: { fileName: 'message.xml', contents: xml },
    schema: { fileName: 'envelope.xsd', contents: ENVELOPE_XSD },
    preload: { fileName: 'qbwc.xsd', contents: `<?xml version="1.0"?>${qbwcSchema()}` },
  });
  return result.errors.map((e) => e.rawMessage);
}

/** Records every SOAP exchange between the Web Connector and the gateway. */
async function recordingProxy(
  target: string,
): Promise<{ url: string; exchanges: Array<{ request: string; response: string }>; close(): Promise<void> }> {
  const exchanges: Array<{ request: string; response: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = Buffer.concat(chunks).toString('utf8');
      void fetch(`${target}${req.url}`, {
        method: req.method,
        headers: {
          'content-type': String(req.headers['content-type']),
          soapaction: String(req.headers.soapaction),
        },
        body: request,
      }).then(async (answer) => {
        const response = await answer.text();
        exchanges.push({ request, response });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
        res.end(response);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the Web Connector SOAP service at /qbwc', () => {
  let t: TestGateway;
  let key: string;
  let desktop: DesktopConnection;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { DESKTOP_EMULATOR_POLL_SECONDS: '0' });
    key = (await t.newTenantKey(['ADMIN'])).key;
    desktop = await connectDesktop(t, key);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('exchanges only messages valid against its WSDL, both ways, through a whole run', async () => {
    const proxy = await recordingProxy(t.url);
    try {
      const { connector } = desktopWebConnector(proxy.url, desktop);
      expect((await connector.run()).outcome).toBe('done');
      expect((await connector.run()).outcome).toBe('none');
      const { connector: refused } = desktopWebConnector(proxy.url, { ...desktop, password: 'nope' });
      expect((await refused.run()).outcome).toBe('nvu');
    } finally {
      await proxy.close();
    }
    const methods = proxy.exchanges.map(
      (e) => /<(\w+) xmlns="http:\/\/developer\.intuit\.com\/"/.exec(e.request)?.[1],
    );
    expect(new Set(methods)).toEqual(
      new Set([
        'serverVersion',
        'clientVersion',
        'authenticate',
        'sendRequestXML',
        'receiveResponseXML',
        'closeConnection',
      ]),
    );
    for (const { request, response } of proxy.exchanges) {
      expect(await validate(request)).toEqual([]);
      expect(await validate(response)).toEqual([]);
    }
    // A message the schema refuses is caught (the check is not vacuous).
    expect(await validate(proxy.exchanges[0].request.replace('serverVersion', 'serverVersions'))).not.toEqual(
      [],
    );
  }, 120_000);

  it('serves its WSDL to SOAP clients generated from it, and answers connectionError, getLastError and closeConnection', async () => {
    const wsdl = await fetch(`${t.url}/qbwc?wsdl`);
    expect(wsdl.status).toBe(200);
    expect(await wsdl.text()).toContain('soapAction="http://developer.intuit.com/sendRequestXML"');
    const client = await soap.createClientAsync(`${t.url}/qbwc?wsdl`, {}, `${t.url}/qbwc`);
    const [version] = (await client.serverVersionAsync({})) as [{ serverVersionResult: string }];
    expect(version.serverVersionResult).toBe('QuickBooks Gateway');
    const [none] = (await client.authenticateAsync({
      strUserName: desktop.userName,
      strPassword: desktop.password,
    })) as [{ authenticateResult: { string: string[] } }];
    // Everything imported by the first test's run: nothing to do.
    expect(none.authenticateResult.string).toEqual(['', 'none']);

    // With work waiting, QuickBooks cannot be opened: the run ends and the connection says why.
    await t.graphql(
      key,
      'mutation($id: ID!) { syncReferenceData(connectionId: $id, types: [CLASS]) { id } }',
      {
        id: desktop.connectionId,
      },
    );
    const [auth] = (await client.authenticateAsync({
      strUserName: desktop.userName,
      strPassword: desktop.password,
    })) as [{ authenticateResult: { string: string[] } }];
    const [ticket, company] = auth.authenticateResult.string;
    expect(ticket).toMatch(/^[0-9a-f-]{36}$/);
    expect(company ?? '').toBe('');
    const [done] = (await client.connectionErrorAsync({
      ticket,
      hresult: '0x80040408',
      message: 'Could not start QuickBooks.',
    })) as [{ connectionErrorResult: string }];
    expect(done.connectionErrorResult).toBe('done');
    const [last] = (await client.getLastErrorAsync({ ticket })) as [{ getLastErrorResult: string }];
    expect(last.getLastErrorResult).toBe('Could not start QuickBooks.');
    const [closed] = (await client.closeConnectionAsync({ ticket })) as [{ closeConnectionResult: string }];
    expect(closed.closeConnectionResult).toContain('Could not start QuickBooks.');
    const connection = await t.graphql<{
      connection: { lastError: { code: string; direction: string; hint: string } };
    }>(key, 'query($id: ID!) { connection(id: $id) { lastError { code direction hint } } }', {
      id: desktop.connectionId,
    });
    expect(connection.data!.connection.lastError).toMatchObject({
      code: '0x80040408',
      direction: 'FROM_QUICKBOOKS',
    });
  }, 120_000);
});

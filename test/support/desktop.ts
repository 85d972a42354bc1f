import { XMLParser } from 'fast-xml-parser';
import {
  DesktopCompany,
  QbxmlProcessor,
  WebConnector,
  seedCompany,
  type BeforeRequest,
  type StatusRule,
  type WebConnectorFaults,
} from '../../src/sandbox/desktop';
import { BatchService } from '../../src/services/batch.service';
import type { TestGateway } from './gateway';

export interface DesktopConnection {
  connectionId: string;
  userName: string;
  password: string;
  qwcPath: string;
}

/** connect(environment: DESKTOP), then the .qwc file as an ADMIN key downloads it. */
export async function connectDesktop(
  t: TestGateway,
  key: string,
  name = 'Store PC',
): Promise<DesktopConnection> {
  const result = await t.graphql<{
    connect: {
      connection: { id: string; status: string };
      authorizationUrl: string;
      webConnectorPassword: string;
    };
  }>(
    key,
    'mutation($input: ConnectInput!) { connect(input: $input) { connection { id status environment } authorizationUrl webConnectorPassword } }',
    { input: { name, environment: 'DESKTOP' } },
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  const { connection, authorizationUrl, webConnectorPassword } = result.data!.connect;
  const qwcPath = new URL(authorizationUrl).pathname;
  const qwc = await fetch(`${t.url}${qwcPath}`, { headers: { authorization: `Bearer ${key}` } });
  if (qwc.status !== 200) throw new Error(`.qwc answered ${qwc.status}`);
  const parsed = new XMLParser({ parseTagValue: false }).parse(await qwc.text()) as {
    QBWCXML: { UserName: string };
  };
  return {
    connectionId: connection.id,
    userName: parsed.QBWCXML.UserName,
    password: webConnectorPassword,
    qwcPath,
  };
}

/** A company file of its own and a Web Connector pointed at the gateway under test. */
export function desktopWebConnector(
  url: string,
  credentials: Pick<DesktopConnection, 'userName' | 'password'>,
  options: {
    companyName?: string;
    faults?: WebConnectorFaults;
    rules?: StatusRule[];
    beforeRequest?: BeforeRequest;
    onMessage?: (xml: string, index: number) => void | Promise<void>;
  } = {},
): { company: DesktopCompany; connector: WebConnector } {
  const company = seedCompany(new DesktopCompany(options.companyName ?? 'Store Co'));
  const processor = new QbxmlProcessor(company, {
    rules: options.rules,
    beforeRequest: options.beforeRequest,
  });
  const connector = new WebConnector({
    url: `${url}/qbwc`,
    userName: credentials.userName,
    password: credentials.password,
    processor,
    faults: options.faults,
    onMessage: options.onMessage,
  });
  return { company, connector };
}

/** ListIDs of the seeded company's lists, as the gateway mirrored them. */
export async function desktopSettings(
  t: TestGateway,
  key: string,
  connectionId: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const find = async (type: string, search: string): Promise<string> => {
    const result = await t.graphql<{
      connection: { referenceData: { edges: Array<{ node: { quickbooksId: string; name: string } }> } };
    }>(
      key,
      // No `search:` here: on MySQL/MariaDB the mirror's search is broken on main (ESCAPE '\\' in reference.service).
      'query($id: ID!, $type: ReferenceType!) { connection(id: $id) { referenceData(type: $type, first: 500) { edges { node { quickbooksId name } } } } }',
      { id: connectionId, type },
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    const node = result.data!.connection.referenceData.edges.find((e) => e.node.name === search)?.node;
    if (!node) throw new Error(`no ${type} "${search}" in the mirror`);
    return node.quickbooksId;
  };
  const settings = {
    incomeAccountId: await find('ACCOUNT', 'Merchandise Sales'),
    freightItemId: await find('ITEM', 'Shipping'),
    ...extra,
  };
  const result = await t.graphql(
    key,
    'mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(connectionId: $id, input: $input) { id } }',
    { id: connectionId, input: settings },
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return settings;
}

/** Waits for a condition by polling (the work under test is in another process or a worker). */
export async function until(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * One Web Connector run during which the gateway "dies" while recording batch results (the next
 * `BatchService.recordItems` throws, so that commit is rolled back as a crash would leave it); returns the run's outcome.
 */
export async function runDyingWhileRecording(connector: WebConnector): Promise<string> {
  const record = jest
    .spyOn(BatchService.prototype, 'recordItems')
    .mockRejectedValueOnce(new Error('the gateway died here'));
  try {
    return (await connector.run()).outcome;
  } finally {
    record.mockRestore();
  }
}

import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { collect, connectCompany, wsClient } from '../../support/connect';

interface LogPage {
  syncLogs: {
    totalCount: number;
    edges: Array<{
      node: {
        status: string;
        code: string | null;
        attempt: number;
        entityType: string;
        direction: string;
        action: string;
        batchId: string;
        connection: { id: string };
      };
    }>;
  };
}

describe.each(DIALECTS)('sync logs on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('retries 429 and 503 inside the batch, logs every attempt, and completes', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const sandbox = t.gateway.sandbox!;
    const realmId = sandbox.createRealm({ companyName: 'Flaky Co' });
    const { connectionId, body } = await connectCompany(t, key, { realmId });
    const firstImport = wsClient(t, key);
    await collect(firstImport, 'subscription($id: ID!) { batchProgress(batchId: $id) { status } }', {
      id: body.importBatchId,
    });
    await firstImport.dispose();

    sandbox.setFaults({
      rules: [
        {
          match: { realmId, operation: 'query', entity: 'Term' },
          times: 2,
          respond: { status: 429, code: '3001', message: 'ThrottleExceeded' },
        },
        {
          match: { realmId, operation: 'query', entity: 'Class' },
          times: 1,
          respond: { status: 503, code: '10000', message: 'Service Unavailable' },
        },
      ],
    });
    try {
      const started = await t.graphql<{ syncReferenceData: { id: string } }>(
        key,
        'mutation($id: ID!) { syncReferenceData(connectionId: $id, types: [TERM, CLASS]) { id } }',
        { id: connectionId },
      );
      const batchId = started.data!.syncReferenceData.id;
      const client = wsClient(t, key);
      const events = await collect<{ batchProgress: { status: string; succeeded: number } }>(
        client,
        'subscription($id: ID!) { batchProgress(batchId: $id) { status succeeded } }',
        { id: batchId },
      );
      await client.dispose();
      expect(events[events.length - 1].batchProgress).toEqual({ status: 'COMPLETED', succeeded: 2 });

      const logs = await t.graphql<LogPage>(
        key,
        'query($f: SyncLogFilter) { syncLogs(filter: $f, first: 100) { totalCount edges { node { status code attempt entityType direction action batchId connection { id } } } } }',
        { f: { batchId } },
      );
      const nodes = logs.data!.syncLogs.edges.map((e) => e.node);
      const failedTerm = nodes.filter((n) => n.entityType === 'Term' && n.status === 'FAILED');
      expect(failedTerm.map((n) => n.code).sort()).toEqual(['3001', '3001']);
      expect(
        nodes.filter((n) => n.entityType === 'Class' && n.status === 'FAILED').map((n) => n.code),
      ).toEqual(['10000']);
      expect(nodes.find((n) => n.entityType === 'Term' && n.status === 'SUCCEEDED')).toMatchObject({
        attempt: 3,
      });
      expect(
        nodes.every(
          (n) => n.direction === 'FROM_QUICKBOOKS' && n.action === 'READ' && n.connection.id === connectionId,
        ),
      ).toBe(true);

      const failedOnly = await t.graphql<LogPage>(
        key,
        'query($f: SyncLogFilter) { syncLogs(filter: $f) { totalCount } }',
        { f: { batchId, statuses: ['FAILED'] } },
      );
      expect(failedOnly.data!.syncLogs.totalCount).toBe(3);

      const other = await t.newTenantKey(['READ']);
      const hidden = await t.graphql<LogPage>(
        other.key,
        'query($f: SyncLogFilter) { syncLogs(filter: $f) { totalCount } }',
        { f: { batchId } },
      );
      expect(hidden.data!.syncLogs.totalCount).toBe(0);
    } finally {
      sandbox.clearFaults();
    }
  });
});

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { OrderEntity, SyncBatchEntity } from '../../../src/entities';
import { seededRandom } from '../../../src/sandbox/desktop/web-connector';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { buildOrders, upsertOrders } from '../../support/orders';
import { connectDesktop, desktopSettings, desktopWebConnector, until } from '../../support/desktop';

const ROOT = path.join(__dirname, '..', '..', '..');
const ORDERS = 300;

/** A gateway process serving /qbwc on a fixed port (the Web Connector's AppURL does not change across restarts). */
function startGateway(t: TestGateway, port: number): Promise<ChildProcess> {
  const child = fork(path.join(ROOT, 'test/fixtures/desktop-gateway.ts'), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'),
      PORT: String(port),
      DATABASE_URL: t.database.url,
      QBO_SANDBOX_URL: t.gateway.config.quickbooks.sandboxUrl!,
      GATEWAY_DATA_DIR: t.database.dataDir,
      LOG_LEVEL: 'silent',
      // Small messages, so that a run has many exchanges to lose and to die in.
      QBWC_REQUESTS_PER_MESSAGE: '10',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`gateway exited early (${code})`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const scenarios = DIALECTS.map((dialect, i) => ({ dialect, seed: [19, 31][i], port: 5231 + i }));

describe.each(scenarios)(
  'Desktop posting survives SIGKILL and lost answers on $dialect (seed $seed)',
  ({ dialect, seed, port }) => {
    let t: TestGateway;
    let child: ChildProcess | undefined;
    beforeAll(async () => {
      t = await startTestGateway(dialect, { RUN_WORKER: 'false', DESKTOP_EMULATOR_POLL_SECONDS: '0' });
    });
    afterAll(async () => {
      if (child) await kill(child);
      await t?.close();
    });

    it(`posts ${ORDERS} orders exactly once though the gateway is killed during runs and 5% of answers are lost`, async () => {
      const rand = seededRandom(seed);
      const { key } = await t.newTenantKey(['ADMIN']);
      const desktop = await connectDesktop(t, key);
      const url = `http://127.0.0.1:${port}`;
      let target = Infinity;
      let batchId = '';
      const batch = () =>
        t.gateway.dataSource.getRepository(SyncBatchEntity).findOneByOrFail({ id: batchId });
      const { company, connector } = desktopWebConnector(url, desktop, {
        faults: { loseResponseProbability: 0.05, seed },
        // Once the batch has come this far, the gateway dies while QuickBooks works on a message, or while it records
        // the answers.
        onMessage: async () => {
          if (!child || !batchId || (await batch()).processed < target) return;
          target = Infinity;
          const victim = child;
          setTimeout(() => void kill(victim), Math.floor(rand() * 40));
        },
      });
      child = await startGateway(t, port);
      await connector.runUntilIdle();
      await desktopSettings(t, key, desktop.connectionId);
      const orders = await upsertOrders(
        t,
        key,
        desktop.connectionId,
        buildOrders(ORDERS, { prefix: `K${seed}`, customers: 60, skus: 40 }),
      );
      const posted = await t.graphql<{ postOrders: { id: string } }>(
        key,
        'mutation($ids: [ID!]!) { postOrders(orderIds: $ids) { id } }',
        { ids: orders.map((o) => o.id) },
      );
      batchId = posted.data!.postOrders.id;

      const killedAt: number[] = [];
      for (let round = 0; round < 4; round++) {
        // Kill points spread over the first four fifths of the batch.
        target = Math.floor((round + rand()) * (ORDERS / 5));
        // Runs until this round's gateway is dead (a run ends at the first call that finds it gone).
        for (let runs = 0; child.exitCode === null && child.signalCode === null && runs < 50; runs++) {
          if ((await connector.run()).outcome === 'none') break;
        }
        await kill(child);
        killedAt.push((await batch()).processed);
        child = await startGateway(t, port);
      }
      target = Infinity;
      // The kills landed mid-batch.
      expect(killedAt.filter((n) => n > 0 && n < ORDERS).length).toBeGreaterThanOrEqual(2);
      let lastRun: unknown;
      await until(async () => {
        lastRun = await connector.run();
        return (await batch()).status === 'COMPLETED';
      }, 300_000).catch(async (error: Error) => {
        // Say where it stood: the batch, the queue of qbXML requests, the last Web Connector run.
        const requests: unknown = await t.gateway.dataSource.query(
          'SELECT status, COUNT(*) AS n FROM desktop_requests GROUP BY status',
        );
        throw new Error(
          `${error.message}: ${JSON.stringify({ batch: await batch(), requests, lastRun, stats: connector.stats })}`,
        );
      });

      expect(await batch()).toMatchObject({ status: 'COMPLETED', succeeded: ORDERS, failed: 0 });
      const receipts = company.transactions('SalesReceipt');
      expect(receipts).toHaveLength(ORDERS);
      expect(new Set(receipts.map((r) => r.ret.RefNumber)).size).toBe(ORDERS);
      expect(company.listObjects(['Customer']).length).toBe(3 + 60);
      const statuses = await t.gateway.dataSource
        .getRepository(OrderEntity)
        .createQueryBuilder('o')
        .select('o.status', 'status')
        .addSelect('COUNT(*)', 'count')
        .where('o.connectionId = :id', { id: desktop.connectionId })
        .groupBy('o.status')
        .getRawMany<{ status: string; count: string }>();
      expect(statuses.map((s) => [s.status, Number(s.count)])).toEqual([['POSTED', ORDERS]]);
      expect(connector.stats.lostResponses).toBeGreaterThan(0);
      expect(connector.stats.networkErrors).toBeGreaterThanOrEqual(4);
      // Transactions whose answers were lost were found again, not posted twice.
      const matched = await t.graphql<{ syncLogs: { totalCount: number } }>(
        key,
        'query($b: ID!) { syncLogs(filter: { batchId: $b, entityType: "Order" }, first: 1) { totalCount } }',
        { b: batchId },
      );
      expect(matched.data!.syncLogs.totalCount).toBeGreaterThanOrEqual(ORDERS);
    }, 600_000);
  },
);

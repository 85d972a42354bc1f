import { ConnectionEntity, ReferenceEntityRow } from '../../../src/entities';
import { toRow, writeMirrorRows } from '../../../src/services/reference.service';
import { lockConnection } from '../../../src/services/sync/inbound-apply';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany } from '../../support/connect';
import { until } from '../../support/wait';

/** Writers of one company that meet on MySQL: they wait for each other, or run again when InnoDB picks a victim. */
const onMysql = DIALECTS.includes('mysql') ? describe : describe.skip;
onMysql('concurrent writers on mysql', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('mysql');
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * Until a statement whose SQL contains `text` waits for a row lock. InnoDB refreshes what INNODB_TRX shows only when
   * it has not been read for 100 ms: read more often, it never changes (CI waited two minutes on it).
   */
  const lockWait = (text: string) =>
    until(
      async () => {
        const waiting = (await t.gateway.dataSource.query(
          "SELECT trx_query AS query FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
        )) as Array<{ query: string | null }>;
        return waiting.some((row) => row.query?.includes(text));
      },
      120_000,
      250,
    );

  // Two writers of one company's mirror (an import the worker runs and one started by hand, or a webhook's changes)
  // can lock each other's rows. InnoDB rolls one back; a write outside a transaction runs again instead of failing.
  it('runs a mirror write MySQL chose as a deadlock victim again', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(t, key, { name: 'Deadlock Co' });
    const connection = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    const term = (id: string, name: string) => toRow(connection, 'TERM', { Id: id, Name: name });

    // A transaction holds term 9002 and many more rows (the heavier side, so InnoDB rolls the other back).
    const runner = t.gateway.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const heavy = Array.from({ length: 50 }, (_, i) => term(String(9100 + i), `Held ${i}`));
    await writeMirrorRows(runner.manager, [term('9002', 'Held'), ...heavy]);

    // Outside any transaction: takes 9001, then waits for 9002.
    const write = writeMirrorRows(t.gateway.dataSource.manager, [
      term('9001', 'Net 10'),
      term('9002', 'Net 20'),
    ]);
    await lockWait("'Net 10'");
    // The transaction now asks for 9001: a deadlock, and the lighter write is its victim.
    await writeMirrorRows(runner.manager, [term('9001', 'Held too')]);
    await runner.commitTransaction();
    await runner.release();

    await expect(write).resolves.toBeUndefined();
    const rows = await t.gateway.dataSource
      .getRepository(ReferenceEntityRow)
      .findBy({ connectionId, type: 'TERM', quickbooksId: '9001' });
    const second = await t.gateway.dataSource
      .getRepository(ReferenceEntityRow)
      .findBy({ connectionId, type: 'TERM', quickbooksId: '9002' });
    expect(rows.map((row) => row.name)).toEqual(['Net 10']);
    expect(second.map((row) => row.name)).toEqual(['Net 20']);
  });

  // A webhook job and a catch-up of one company (CI: the test's catch-up and the worker's) each take the company's
  // inbound lock. The second waits for the first, however their statements interleave.
  it('has two inbound writers of one company take turns on its lock, not deadlock', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(t, key, { name: 'Turns Co' });
    const connection = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    await lockConnection(t.gateway.dataSource.manager, connection); // the cursor row exists, as after a first catch-up

    // The first writer pauses after its first statement, whatever lockConnection's statements are.
    const first = t.gateway.dataSource.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    const query = first.query.bind(first);
    let statements = 0;
    first.query = (async (...args: Parameters<typeof query>) => {
      const result = await query(...args);
      if (++statements === 1) await paused;
      return result;
    }) as typeof first.query;
    const order: string[] = [];
    const firstLock = lockConnection(first.manager, connection).then(() => order.push('first'));
    await until(() => statements === 1);

    let session = 0;
    const second = t.gateway.dataSource.transaction(async (manager) => {
      session = Number(
        ((await manager.query('SELECT CONNECTION_ID() AS id')) as Array<{ id: unknown }>)[0]!.id,
      );
      await lockConnection(manager, connection);
      order.push('second');
    });
    // The second is at the statement that locks the row (INNODB_TRX does not list a transaction waiting for its first
    // lock, so PROCESSLIST): it cannot get past it while the first holds the row.
    await until(async () => {
      const running = (await t.gateway.dataSource.query(
        'SELECT INFO AS info FROM information_schema.PROCESSLIST WHERE ID = ?',
        [session],
      )) as Array<{ info: string | null }>;
      return /quickbooks_sync_cursors.*(FOR UPDATE|ON DUPLICATE KEY)/s.test(running[0]?.info ?? '');
    });
    release();
    await firstLock;
    await first.commitTransaction();
    await first.release();
    await expect(second).resolves.toBeUndefined();
    expect(order).toEqual(['first', 'second']);
  });
});

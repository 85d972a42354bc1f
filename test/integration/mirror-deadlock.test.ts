import { ConnectionEntity, ReferenceEntityRow } from '../../src/entities';
import { toRow, writeMirrorRows } from '../../src/services/reference.service';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { connectCompany } from '../support/connect';
import { until } from '../support/wait';

/**
 * Two writers of one company's mirror (an import the worker runs and one started by hand, or a webhook's changes) can
 * lock each other's rows on MySQL. InnoDB rolls one back as the deadlock victim; a write outside a transaction runs
 * again instead of failing the import.
 */
const onMysql = DIALECTS.includes('mysql') ? describe : describe.skip;
onMysql('mirror writes on mysql', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('mysql');
  });
  afterAll(async () => {
    await t?.close();
  });

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
    await until(async () => {
      const waiting = (await t.gateway.dataSource.query(
        "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
      )) as Array<{ n: number | string }>;
      return Number(waiting[0]!.n) > 0;
    });
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
});

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBootstrapKeys } from '../../src/bootstrap';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/**
 * The README's examples run as written against the demo company: the GraphQL walkthrough through
 * `examples/walkthrough.mjs` (which reads its operations from the README), and the quick start's curl call.
 */
describe.each(DIALECTS)('README examples on %s', (dialect) => {
  let t: TestGateway;
  let demoKey: string;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    ({ demoKey } = (await ensureBootstrapKeys(t.gateway.config, t.gateway.services, t.gateway.logger)) as {
      demoKey: string;
    });
  });
  afterAll(() => t?.close());

  it('runs the API walkthrough end to end with the demo key', async () => {
    // From the folder `npm start` ran in, so the walkthrough finds data/demo-api-key by itself.
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'examples', 'walkthrough.mjs')], {
      cwd: path.dirname(t.gateway.config.dataDir),
      env: { ...process.env, GATEWAY_URL: t.url, API_KEY: '' },
      timeout: 120_000,
    });
    const steps = stdout.split('\n').filter(Boolean);
    const names = steps.map((line) => line.slice(0, line.indexOf(':')));
    expect(names).toEqual([
      'Connect',
      'LatestBatch',
      'ImportProgress',
      'IncomeAccount',
      'Settings',
      'UpsertOrders',
      'PostOrders',
      'PostingProgress',
      'Errors',
      'OrderDetail',
      'UndoSync',
      'CreateInvoice',
      'SendInvoice',
      'InvoiceProgress',
      'Invoices',
      'RecordPayments',
      'PaymentProgress',
      'EmailInvoices',
      'EmailProgress',
      'InvoiceDetail',
      'ExportPreview',
      'ExportToQuickBooks',
      'ExportProgress',
      'ProcessLog',
      'UpsertCustomers',
      'CustomerSyncProgress',
      'RequireApproval',
      'ChangeCustomer',
      'SyncWizard',
      'ApproveEntities',
      'ApprovalProgress',
      'RefundOrder',
      'CreateWebhookEndpoint',
    ]);
    const result = (name: string) => JSON.parse(steps[names.indexOf(name)].slice(name.length + 2));
    expect(result('ImportProgress').batchProgress.status).toBe('COMPLETED');
    expect(result('IncomeAccount').connection.referenceData.edges[0].node.name).toBe(
      'Sales of Product Income',
    );
    expect(result('PostingProgress').batchProgress).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(result('OrderDetail').order).toMatchObject({ status: 'POSTED', total: '31.55' });
    expect(result('OrderDetail').order.postedTransaction.totalAmount).toBe('31.55');
    expect(result('UndoSync').undoSync.order.status).toBe('NEW');
    expect(result('InvoiceProgress').batchProgress).toMatchObject({ status: 'COMPLETED', succeeded: 1 });
    expect(result('Invoices').invoices.edges[0].node).toMatchObject({ pushStatus: 'SENT', balance: '31.55' });
    expect(result('InvoiceDetail').invoice).toMatchObject({ balance: '21.55', emailStatus: 'EMAIL_SENT' });
    expect(result('ExportPreview').connection.exportPreview).toEqual({
      productCount: 0,
      customerCount: 0,
      invoiceCount: 0,
      ordersToPostCount: 0,
    });
    expect(result('ExportProgress').batchProgress.status).toBe('COMPLETED');
    expect(result('UpsertCustomers').upsertCustomers).toMatchObject({ created: 2, queued: 2 });
    expect(result('CustomerSyncProgress').batchProgress).toEqual({ status: 'COMPLETED', succeeded: 2 });
    expect(result('ChangeCustomer').upsertCustomers.pendingApproval).toBe(1);
    expect(result('SyncWizard').connection.pendingCount).toBe(1);
    expect(result('SyncWizard').pendingEntities.edges[0].node.changes).toEqual({
      email: { from: 'hello@riverside.example', to: 'office@riverside.example' },
    });
    expect(result('ApproveEntities').approveEntities).toMatchObject({ approved: 1, cleared: 0 });
    expect(result('ApprovalProgress').batchProgress).toEqual({ status: 'COMPLETED', succeeded: 1 });
  }, 120_000);

  it('answers the quick start curl call as the README shows', async () => {
    const block = README.match(/```sh\n(curl[\s\S]*?)```/)![1];
    const [command, expected] = block.split(/\n# /);
    const { stdout } = await run('bash', [
      '-c',
      command.replace('<key>', demoKey).replace('localhost:4000', t.url.replace(/^http:\/\//, '')),
    ]);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(expected));
  });
});

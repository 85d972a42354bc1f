/**
 * The operator console and GraphiQL in real Chromium, against a real gateway and its QuickBooks emulator: sign in,
 * connect the demo company through the consent page, choose settings from the mirrored lists, post 50 orders and watch
 * the bar reach 100%, read the results, open an order, undo its sync, archive, read the sync log, query in GraphiQL.
 * The steps share one gateway and one browser tab and run in order. Every step fails on a blocked foreign request, a
 * console error or a control without an accessible name; each screen is saved at 390 and 1280 px under artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { JOB_KINDS, type JobPayloads } from '../../src/job-catalogue';
import { createJobHandlers } from '../../src/job-handlers';
import { JobWorker } from '../../src/jobs';
import { ConnectionEntity } from '../../src/entities';
import { createLogger } from '../../src/logger';
import { DIALECTS } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { buildOrders, upsertOrders, type OrderInputShape } from '../support/orders';
import {
  freePort,
  executeInGraphiQL,
  guardedContext,
  launchChromium,
  screenshots,
  unnamedControls,
  type GuardedContext,
  type InPage,
} from './harness';

const BUILT = path.join(__dirname, '..', '..', 'dist', 'console', 'index.html');
// The walk is about the console, not the database: one run, on MariaDB when CI provides it.
const dialect = DIALECTS[DIALECTS.length - 1]!;

jest.setTimeout(120_000);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe(`the console in Chromium (${dialect})`, () => {
  let t: TestGateway;
  let key: string;
  let origin: string;
  let browser: Browser;
  let guard: GuardedContext;
  let page: Page;
  let connectionId: string;
  let postingBatchId: string;
  let worker: JobWorker<JobPayloads> | undefined;

  /**
   * The gateway's job worker, started and stopped by the test: posting waits until the console follows the batch,
   * so the bar is seen naming orders whatever the machine's speed (a fast worker could otherwise finish first).
   */
  const startWorker = async (): Promise<void> => {
    worker = new JobWorker(t.gateway.queue, {
      kinds: JOB_KINDS,
      handlers: createJobHandlers(t.gateway.services),
      logger: createLogger('silent'),
      pollMs: 100,
    });
    await worker.start();
  };
  const stopWorker = async (): Promise<void> => {
    await worker?.stop();
    worker = undefined;
  };

  beforeAll(async () => {
    if (!fs.existsSync(BUILT))
      throw new Error('dist/console is missing: `npm test` builds it (npm run build:console)');
    const port = await freePort();
    // The OAuth redirect URI (http://localhost:<PORT>/oauth/callback) must name the port the gateway listens on.
    t = await startTestGateway(dialect, { PORT: String(port), RUN_WORKER: 'false' });
    await startWorker();
    origin = `http://localhost:${port}`;
    key = (await t.newTenantKey(['ADMIN'], `console-${process.pid}`)).key;
    browser = await launchChromium();
    guard = await guardedContext(browser);
    page = await guard.context.newPage();
    page.setDefaultTimeout(20_000);
  });

  afterEach(async () => {
    // A step that failed with the worker stopped must not leave the next ones without it.
    if (!worker) await startWorker();
    // Taken and cleared, so one step's failure does not fail the next ones.
    const blocked = guard.blocked.splice(0);
    const errors = guard.errors.splice(0);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    if (!page.isClosed()) expect(await unnamedControls(page)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stopWorker();
    await t?.close();
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  const dialog = (name: string) => page.getByRole('dialog', { name });
  const progress = (name: string) => page.getByRole('progressbar', { name });

  it('signs in with an API key kept in session storage, never in the URL', async () => {
    await page.goto(`${origin}/console/`);
    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    await screenshots(page, '01-sign-in');
    // By keyboard: the key field has focus, Enter submits.
    await page.keyboard.type(key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem('qbg.apiKey')),
    ).toBe(key);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).localStorage.length)).toBe(0);
    expect(page.url()).not.toContain(key);
    await page.getByText('No QuickBooks company is connected yet.').waitFor();
    // Only screens whose API this schema has (console/src/screens/registry.tsx).
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Connections',
      'Orders',
      'Invoices',
      'Export',
      'Sync wizard',
      'Sync logs',
    ]);
    await screenshots(page, '02-connections-empty');
  });

  it('connects the demo company: consent in QuickBooks, back to the console, the import in progress', async () => {
    await page.getByRole('textbox', { name: 'Name for this connection' }).fill('Demo books');
    await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
    // The emulator's consent page (Intuit's, in production): pick the company and approve.
    await page.getByRole('heading', { name: /to QuickBooks/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/connect/oauth2');
    await page.getByRole('button', { name: 'Connect' }).first().click();
    await page.getByRole('heading', { name: 'Connected to QuickBooks' }).waitFor();
    await page.getByRole('link', { name: 'Back to the console' }).click();

    const results = dialog('Import results');
    await results.waitFor();
    await progress('Importing from QuickBooks').and(page.locator('[aria-valuenow="100"]')).waitFor();
    await results.getByText('9 imported').waitFor();
    for (const list of ['Chart of accounts', 'Terms', 'Products and services'])
      await results.getByRole('listitem').filter({ hasText: list }).filter({ hasText: 'Imported' }).waitFor();
    await screenshots(page, '03-import-results');
    await results.getByRole('button', { name: 'Close' }).click();
    await results.waitFor({ state: 'detached' });
    await progress('Importing from QuickBooks').waitFor({ state: 'detached' });

    connectionId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { name: 'Demo books', level: 1 }).waitFor();
    const card = page.getByRole('article', { name: 'Status' });
    await card
      .locator('.badge')
      .filter({ hasText: /^Connected$/ })
      .waitFor();
    for (const fact of ['Company', 'Connected since', 'Last sync', 'Access token'])
      await card.getByRole('term').filter({ hasText: fact }).waitFor();
    expect(await card.getByRole('definition').nth(0).textContent()).not.toBe('—');
  });

  it('warns before the QuickBooks authorization runs out', async () => {
    const connections = t.gateway.dataSource.getRepository(ConnectionEntity);
    const { refreshTokenExpiresAt } = await connections.findOneByOrFail({ id: connectionId });
    await connections.update(connectionId, { refreshTokenExpiresAt: new Date(Date.now() + 5 * DAY + HOUR) });
    await page.reload();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The QuickBooks authorization expires in 5 days' })
      .waitFor();
    await screenshots(page, '04-token-warning');
    await connections.update(connectionId, { refreshTokenExpiresAt });
    await page.reload();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('saves settings chosen from the mirrored accounts, items and terms', async () => {
    const income = page.getByRole('combobox', { name: 'Income account' });
    // Only Income accounts are offered for the income account: the server's rule, applied to the choices (read once
    // they have loaded: until then the select offers nothing).
    await income.locator('option', { hasText: 'Sales of Product Income' }).waitFor({ state: 'attached' });
    const offered = await income.locator('option').allTextContents();
    expect(offered).toContain('Sales of Product Income');
    expect(offered).not.toContain('Cost of Goods Sold');
    await income.selectOption({ label: 'Sales of Product Income' });
    await page.getByRole('combobox', { name: 'Terms' }).selectOption({ label: 'Net 30' });
    await page.getByRole('combobox', { name: 'Freight item' }).selectOption({ label: 'Services' });
    await page.getByRole('switch', { name: 'Auto invoice' }).check();
    await screenshots(page, '05-connection-settings');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();

    const saved = await t.graphql<{
      connection: { settings: { incomeAccountId: string; defaultTermId: string; autoInvoice: boolean } };
    }>(
      key,
      'query($id: ID!) { connection(id: $id) { settings { incomeAccountId defaultTermId autoInvoice } } }',
      {
        id: connectionId,
      },
    );
    expect(saved.data!.connection.settings).toMatchObject({ autoInvoice: true });
    expect(saved.data!.connection.settings.incomeAccountId).toMatch(/^\d+$/);
    expect(saved.data!.connection.settings.defaultTermId).toMatch(/^\d+$/);
  });

  it('posts 50 orders: a bottom bar names each order and reaches 100%, the results list every one', async () => {
    // A channel sends 48 ordinary orders and 2 in euros, which the demo company (multicurrency off) cannot book:
    // those fail, each with what to do, and the rest post.
    const orders: OrderInputShape[] = buildOrders(50, { prefix: 'W' }).map((order, i) =>
      i % 25 === 7 ? { ...order, currency: 'EUR' } : order,
    );
    await upsertOrders(t, key, connectionId, orders);

    await nav('Orders').click();
    await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
    const rows = page.getByRole('table', { name: 'Orders' }).locator('tbody tr');
    await page.getByText('1–50 of 50 orders').waitFor();
    expect(await rows.count()).toBe(50);
    await screenshots(page, '06-orders');

    await page.getByRole('checkbox', { name: 'Select every order on this page' }).check();
    await page.getByText('50 selected').waitFor();
    await stopWorker();
    await page.getByRole('button', { name: 'Post to QuickBooks' }).click();

    // The console follows the queued batch (its first event), then the worker starts on it.
    const bar = progress('Posting to QuickBooks');
    await bar.and(page.locator('[aria-valuetext="0% · 0 of 50"]')).waitFor();
    await startWorker();
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor();
    expect(await bar.getAttribute('aria-valuetext')).toMatch(/^100% · 50 of 50 · #W1\d{3} /);
    const results = dialog('Posting results');
    await results.waitFor();
    await results.getByText('48 posted').waitFor();
    await results.getByText('2 failed').waitFor();
    const items = results.getByRole('list', { name: 'Posting results' }).getByRole('listitem');
    expect(await items.count()).toBe(50);
    const posted = items.filter({ hasText: 'Posted' });
    expect(await posted.count()).toBe(48);
    // Posted is green; Failed carries the message and what to do next.
    const green = await posted
      .first()
      .locator('.result-status')
      .evaluate((el) => (globalThis as unknown as InPage).getComputedStyle(el).backgroundColor);
    expect(green).toBe('rgb(220, 243, 227)');
    const failed = items.filter({ hasText: 'Failed' });
    expect(await failed.count()).toBe(2);
    expect(await failed.first().textContent()).toContain('turn on multicurrency in QuickBooks');
    await screenshots(page, '07-posting-results');
    postingBatchId = (
      await t.graphql<{ batches: { edges: Array<{ node: { id: string } }> } }>(
        key,
        '{ batches(first: 1) { edges { node { id } } } }',
      )
    ).data!.batches.edges[0]!.node.id;

    await results.getByRole('button', { name: 'Close' }).click();
    await bar.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Orders' }).getByText('Posted').first().waitFor();

    await page.getByRole('navigation', { name: 'Order views' }).getByRole('link', { name: 'Errors' }).click();
    await page.getByRole('heading', { name: 'Errors', level: 1 }).waitFor();
    await page.getByText('1–2 of 2 orders').waitFor();
    await page.getByRole('table', { name: 'Errors' }).getByText('turn on multicurrency').first().waitFor();
    await screenshots(page, '08-errors');
  });

  it('opens an order with its lines, charges, transaction and sync log, and undoes its sync after confirming', async () => {
    await page.getByRole('navigation', { name: 'Order views' }).getByRole('link', { name: 'Orders' }).click();
    await page.getByRole('link', { name: '#W1000' }).click();
    await page.getByRole('heading', { name: /Order #W1000/, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Lines' }).waitFor();
    await page.getByRole('definition').filter({ hasText: '−0.00 USD' }).waitFor();
    await page.getByRole('term').filter({ hasText: 'Freight' }).waitFor();
    const inQuickBooks = page.getByRole('region', { name: 'In QuickBooks' });
    await inQuickBooks.getByRole('term').filter({ hasText: 'Transaction' }).waitFor();
    const transactionId = await inQuickBooks.getByRole('definition').nth(1).textContent();
    const log = page.getByRole('table', { name: 'Sync log of order W1000' });
    await log.getByText('Create').first().waitFor();
    await screenshots(page, '09-order-detail');

    // Keyboard: Enter opens the confirmation with the safe answer focused; Escape keeps everything as it was.
    await page.getByRole('button', { name: 'Undo sync' }).focus();
    await page.keyboard.press('Enter');
    const confirm = dialog('Undo sync of order #W1000?');
    await confirm.waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.textContent),
    ).toBe('No');
    await screenshots(page, '10-undo-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Undo sync' }).click();
    await confirm.getByRole('button', { name: 'Yes, undo sync' }).click();
    await page.getByRole('status').filter({ hasText: 'from QuickBooks. The order is new again.' }).waitFor();
    await page.getByRole('heading', { name: /Order #W1000\s*New/ }).waitFor();
    const realmId = (
      await t.graphql<{ connection: { realmId: string } }>(
        key,
        'query($id: ID!) { connection(id: $id) { realmId } }',
        {
          id: connectionId,
        },
      )
    ).data!.connection.realmId;
    const receipt = (
      t.gateway.sandbox!.accounting.adminEntities(realmId, 'SalesReceipt') as Array<{
        Id: string;
        status?: string;
      }>
    ).find((r) => r.Id === transactionId);
    expect(receipt?.status ?? 'Deleted').toBe('Deleted');
    await screenshots(page, '11-order-undone');
  });

  it('archives selected orders into the Archived view', async () => {
    await page.getByRole('link', { name: 'Back to the list' }).click();
    await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
    await page.getByRole('searchbox', { name: 'Search orders' }).fill('W1000');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('1–1 of 1 orders').waitFor();
    await page.getByRole('checkbox', { name: 'Select order W1000' }).check();
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByText('No orders match “W1000”.').waitFor();
    await page
      .getByRole('navigation', { name: 'Order views' })
      .getByRole('link', { name: 'Archived' })
      .click();
    await page.getByRole('heading', { name: 'Archived', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Archived' }).getByRole('link', { name: '#W1000' }).waitFor();
    await screenshots(page, '12-archived');
  });

  it('sends an invoice whose error badge shows the message on hover and on keyboard focus', async () => {
    // An invoice for an order in euros: the demo company has multicurrency off, so QuickBooks cannot book it. Auto
    // Invoice goes off first, so the invoice waits (NOT_SENT) for the console's Send to QuickBooks.
    const off = await t.graphql(
      key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { autoInvoice: false }) { id } }',
      { id: connectionId },
    );
    expect(off.errors).toBeUndefined();
    const euro = (
      await t.graphql<{ orders: { edges: Array<{ node: { id: string; orderNumber: string } }> } }>(
        key,
        '{ orders(filter: { view: ERRORS }, first: 1) { edges { node { id orderNumber } } } }',
      )
    ).data!.orders.edges[0]!.node;
    const created = await t.graphql<{ createInvoice: { id: string; invoiceNumber: string } }>(
      key,
      'mutation($id: ID!) { createInvoice(orderId: $id) { id invoiceNumber } }',
      { id: euro.id },
    );
    expect(created.errors).toBeUndefined();
    const invoiceNumber = created.data!.createInvoice.invoiceNumber;

    await nav('Invoices').click();
    await page.getByRole('heading', { name: 'Invoices', level: 1 }).waitFor();
    await page.getByRole('checkbox', { name: `Select invoice ${invoiceNumber}` }).check();
    await page.getByText('1 selected').waitFor();
    await page.getByRole('button', { name: 'Send to QuickBooks' }).click();
    const bar = progress('Sending invoices');
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor();
    const results = dialog('Send results');
    await results.getByText('1 failed').waitFor();
    await results.getByText('turn on multicurrency').waitFor();
    await results.getByRole('button', { name: 'Close' }).click();
    await bar.waitFor({ state: 'detached' });

    const row = page
      .getByRole('table', { name: 'Invoices' })
      .getByRole('row')
      .filter({ hasText: invoiceNumber });
    const badge = row.getByRole('button', { name: 'Failed' });
    await badge.waitFor();
    const tooltip = row.getByRole('tooltip');
    expect(await tooltip.isVisible()).toBe(false);
    // Hover: the full message and what to do.
    await badge.hover();
    await tooltip.waitFor({ state: 'visible' });
    expect(await tooltip.textContent()).toContain('multicurrency is off');
    expect(await tooltip.textContent()).toContain('turn on multicurrency');
    await screenshots(page, '12b-invoice-error');
    // Keyboard: focus shows it too, and it is the badge's accessible description.
    await page.mouse.move(0, 0);
    await tooltip.waitFor({ state: 'hidden' });
    await badge.focus();
    await tooltip.waitFor({ state: 'visible' });
    const describedBy = await badge.getAttribute('aria-describedby');
    expect(await tooltip.getAttribute('id')).toBe(describedBy);
    await page.keyboard.press('Tab');
  });

  it('exports to QuickBooks: the three counts, Export with progress, the process log', async () => {
    // A new order from a new customer, invoiced and not sent yet (Auto Invoice is off since the invoice step).
    const [order] = await upsertOrders(t, key, connectionId, buildOrders(1, { prefix: 'X' }));
    const created = await t.graphql(key, 'mutation($id: ID!) { createInvoice(orderId: $id) { id } }', {
      id: order!.id,
    });
    expect(created.errors).toBeUndefined();

    await nav('Export').click();
    await page.getByRole('heading', { name: 'Export', level: 1 }).waitFor();
    const counts = page.getByRole('region', { name: 'To export' }).getByRole('listitem');
    // The euro invoice that failed and the new one.
    await counts.filter({ hasText: /^2 invoices$/ }).waitFor();
    await counts.filter({ hasText: /customers$/ }).waitFor();
    await counts.filter({ hasText: /products$/ }).waitFor();
    await screenshots(page, '12e-export');
    await page.getByRole('button', { name: 'Export to QuickBooks' }).click();
    const bar = progress('Exporting to QuickBooks');
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor();
    const results = dialog('Export results');
    await results.getByText('1 failed').waitFor();
    await results.getByText('turn on multicurrency').waitFor();
    await results.getByRole('button', { name: 'Close' }).click();
    await bar.waitFor({ state: 'detached' });
    // The failed euro invoice is still to export; the process log lists the export's QuickBooks calls.
    await counts.filter({ hasText: /^1 invoices$/ }).waitFor();
    const log = page.getByRole('table', { name: 'Process log' });
    await log.getByText('To QuickBooks').first().waitFor();
    expect(await log.locator('tbody tr').count()).toBeGreaterThan(1);
    await screenshots(page, '12f-export-log');
  });

  it('approves wizard entries: both directions field by field, Keep then Clear unchecked, the badge counts down', async () => {
    const on = await t.graphql(
      key,
      'mutation($id: ID!) { updateConnectionSettings(connectionId: $id, input: { requireApproval: true }) { id } }',
      { id: connectionId },
    );
    expect(on.errors).toBeUndefined();
    // Outbound: a channel's three new customers wait for approval.
    const upserted = await t.graphql<{ upsertCustomers: { pendingApproval: number } }>(
      key,
      'mutation($id: ID!, $customers: [CustomerInput!]!) { upsertCustomers(connectionId: $id, channel: "crm", customers: $customers) { pendingApproval } }',
      {
        id: connectionId,
        customers: [1, 2, 3].map((i) => ({ externalId: `crm-${i}`, displayName: `Wizard partner ${i}` })),
      },
    );
    expect(upserted.data!.upsertCustomers.pendingApproval).toBe(3);
    // Inbound: two customers renamed in QuickBooks, as the webhook side hands them over.
    const connection = await t.gateway.dataSource
      .getRepository(ConnectionEntity)
      .findOneByOrFail({ id: connectionId });
    const qbCustomers = (
      t.gateway.sandbox!.accounting.adminEntities(connection.realmId!, 'Customer') as Array<{
        Id: string;
        DisplayName: string;
      }>
    ).slice(0, 2);
    for (const customer of qbCustomers) {
      const name = `${customer.DisplayName} renamed`;
      await t.gateway.dataSource.transaction((manager) =>
        t.gateway.services.pending.hold(manager, connection.tenantId, connectionId, {
          direction: 'FROM_QUICKBOOKS',
          entityType: 'CUSTOMER',
          quickBooksId: customer.Id,
          label: name,
          operation: 'UPDATE',
          changes: { DisplayName: { from: customer.DisplayName, to: name } },
          snapshot: {
            ...customer,
            DisplayName: name,
            FullyQualifiedName: name,
            MetaData: { LastUpdatedTime: new Date(Date.now() + 60_000).toISOString() },
          },
        }),
      );
    }

    await nav('Orders').click();
    await nav('Sync wizard 5 pending').click();
    await page.getByRole('heading', { name: 'Sync wizard', level: 1 }).waitFor();
    const imports = page.getByRole('region', { name: 'Import from QuickBooks' });
    const exports = page.getByRole('region', { name: 'Export to QuickBooks' });
    await imports
      .getByRole('list', { name: 'Import from QuickBooks changes' })
      .getByRole('listitem')
      .first()
      .waitFor();
    const [renamed] = qbCustomers;
    // Field by field: the name in QuickBooks before and after.
    const change = imports.getByRole('list', { name: `Changes to ${renamed!.DisplayName} renamed` });
    expect(await change.textContent()).toBe(
      `DisplayName: ${renamed!.DisplayName} → ${renamed!.DisplayName} renamed`,
    );
    expect(await exports.getByRole('checkbox').count()).toBe(4); // "check all" and three entries
    // Everything is checked by default.
    for (const box of await page.getByRole('tabpanel').getByRole('checkbox').all())
      expect(await box.isChecked()).toBe(true);
    await screenshots(page, '12c-sync-wizard');

    // Keep unchecked: one of each direction stays for later.
    await imports.getByRole('checkbox', { name: `${qbCustomers[1]!.DisplayName} renamed` }).uncheck();
    await exports.getByRole('checkbox', { name: /Wizard partner 3/ }).uncheck();
    await page.getByText('3 of 5 checked').waitFor();
    await page.getByRole('radio', { name: 'Keep unchecked' }).check();
    await page.getByRole('button', { name: 'Approve Checked' }).click();
    let results = dialog('Sync results');
    await results.getByText('3 applied').waitFor();
    await results.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('status').filter({ hasText: '3 approved, 0 cleared, 2 kept for later.' }).waitFor();
    await nav('Sync wizard 2 pending').waitFor();
    await page.getByText('2 of 2 checked').waitFor();

    // Clear unchecked: approve the import, drop the export; nothing is left and the badge goes.
    await exports.getByRole('checkbox', { name: /Wizard partner 3/ }).uncheck();
    await page.getByRole('radio', { name: 'Clear unchecked' }).check();
    await page.getByRole('button', { name: 'Approve Checked' }).click();
    results = dialog('Sync results');
    await results.getByText('1 applied').waitFor();
    await results.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('status').filter({ hasText: '1 approved, 1 cleared, 0 kept for later.' }).waitFor();
    await exports.getByText('No change of yours waits to go to QuickBooks.').waitFor();
    await imports.getByText('Nothing changed in QuickBooks waits for approval.').waitFor();
    await page.getByTestId('pending-count').waitFor({ state: 'detached' });
    const left = await t.graphql<{ connection: { pendingCount: number } }>(
      key,
      'query($id: ID!) { connection(id: $id) { pendingCount } }',
      { id: connectionId },
    );
    expect(left.data!.connection.pendingCount).toBe(0);

    // The Error Log and Failed Syncs tabs.
    await page.getByRole('tab', { name: 'Error Log' }).click();
    await page
      .getByRole('table', { name: 'Error log' })
      .or(page.getByText('No QuickBooks call of this connection failed.'))
      .waitFor();
    await screenshots(page, '12d-sync-error-log');
    await page.getByRole('tab', { name: 'Failed Syncs' }).click();
    await page.getByText('No customer or product sync failed.').waitFor();
  });

  it('lists the sync log, filtered by direction and result', async () => {
    await nav('Sync logs').click();
    await page.getByRole('heading', { name: 'Sync logs', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Sync log' });
    await table.getByText('To QuickBooks').first().waitFor();
    // From QuickBooks: the import's reads, and changes the emulator's webhooks brought in (newest first, so the
    // first page may hold only those).
    await page.getByRole('combobox', { name: 'Direction' }).selectOption('FROM_QUICKBOOKS');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await table.getByText('To QuickBooks').first().waitFor({ state: 'detached' });
    await table.getByText('From QuickBooks').first().waitFor();
    await page.getByRole('combobox', { name: 'Direction' }).selectOption('TO_QUICKBOOKS');
    await page.getByRole('combobox', { name: 'Result' }).selectOption('SUCCEEDED');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await table.getByText('Delete').first().waitFor();
    expect(await table.getByText('From QuickBooks').count()).toBe(0);
    expect(await table.getByText('Failed').count()).toBe(0);
    await screenshots(page, '13-sync-logs');
  });

  it('serves GraphiQL offline: the key prefilled from the session, subscriptions over graphql-ws', async () => {
    await nav('Connections').click();
    await page.getByRole('link', { name: 'GraphiQL' }).click();
    await page.waitForURL(`${origin}/graphql`);
    await executeInGraphiQL(page);
    await page.locator('.graphiql-response').getByText(`"console-${process.pid}"`).waitFor();
    await screenshots(page, '14-graphiql');

    // A subscription over graphql-ws, authenticated with the same header: the batch's state, then completion.
    const subscription = `subscription { batchProgress(batchId: "${postingBatchId}") { status processed total } }`;
    await page.goto(`${origin}/graphql?query=${encodeURIComponent(subscription)}`);
    await executeInGraphiQL(page);
    await page.locator('.graphiql-response').getByText('"COMPLETED_WITH_ERRORS"').waitFor();
  });

  it('syncs the lists again with live progress, disconnects after confirming, and reconnects', async () => {
    await page.goto(`${origin}/console/connections`);
    const card = page.getByRole('article', { name: 'Demo books' });
    await card.getByRole('button', { name: 'Sync Demo books from QuickBooks' }).click();
    const results = dialog('Import results');
    await results.getByText('9 imported').waitFor();
    await progress('Importing from QuickBooks').and(page.locator('[aria-valuenow="100"]')).waitFor();
    await results.getByRole('button', { name: 'Close' }).click();

    await card.getByRole('button', { name: 'Disconnect Demo books' }).click();
    const confirm = dialog('Disconnect Demo books?');
    await confirm.getByText('revokes its access at Intuit').waitFor();
    await screenshots(page, '15-disconnect-confirm');
    await confirm.getByRole('button', { name: 'Disconnect' }).click();
    await confirm.waitFor({ state: 'detached' });
    await card.locator('.badge').filter({ hasText: 'Disconnected' }).waitFor();
    await card.getByRole('term').filter({ hasText: 'Disconnected' }).waitFor();

    await card.getByRole('button', { name: 'Reconnect Demo books' }).click();
    await page.getByRole('button', { name: 'Connect' }).first().click();
    await page.getByRole('link', { name: 'Back to the console' }).click();
    await dialog('Import results').getByRole('button', { name: 'Close' }).click();
    await page
      .getByRole('article', { name: 'Status' })
      .locator('.badge')
      .filter({ hasText: /^Connected$/ })
      .waitFor();
    await screenshots(page, '16-reconnected');
  });
});

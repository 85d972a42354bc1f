/**
 * `npm run bench -- console [runs]`: how fast the operator console's first screen is usable, and how much JavaScript
 * it loads. A gateway (emulator in-process, a connected demo company) serves the built console to Debian's Chromium;
 * each run opens a fresh browser context (empty cache) with the API key already in the tab's session, loads
 * /console/connections and reads the page's own `console:interactive` mark: the moment the Connections screen shows its
 * data and answers input. The sign-in screen is timed the same way. The baseline, in the same run, is the same browser
 * loading a page of the same gateway that runs no script (/healthz). Prints ONE JSON line.
 * Targets (issue 15): interactive within 1,000 ms; at most 250 kB of JavaScript gzipped.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { createGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { launchChromium } from './chromium';
import { connectRealm, round, scratchDatabase, waitForBatch } from './support';

const TARGET_MS = 1000;
const BUDGET_KB = 250;

/**
 * What the functions run in the page use, typed just enough: this project compiles without the DOM library. (Strings
 * would not do: the console's Content-Security-Policy refuses eval, and so Playwright's string expressions.)
 */
interface InPage {
  sessionStorage: { setItem(key: string, value: string): void };
  performance: {
    getEntriesByName(name: string): Array<{ startTime: number }>;
    getEntriesByType(type: string): Array<{ loadEventEnd?: number }>;
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Loads `url` in a fresh context; resolves to the page's `console:interactive` mark and the JavaScript it fetched. */
async function firstScreen(
  browser: Browser,
  url: string,
  apiKey: string | null,
): Promise<{ interactiveMs: number; jsGzipBytes: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    if (apiKey) {
      await context.addInitScript(
        (key) => (globalThis as unknown as InPage).sessionStorage.setItem('qbg.apiKey', key),
        apiKey,
      );
    }
    const page = await context.newPage();
    const scripts: Array<Promise<number>> = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.js')) scripts.push(response.body().then((body) => gzipSync(body).length));
    });
    await page.goto(url);
    const handle = await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).performance.getEntriesByName('console:interactive')[0]?.startTime,
    );
    const interactiveMs = await handle.jsonValue();
    return { interactiveMs, jsGzipBytes: (await Promise.all(scripts)).reduce((a, b) => a + b, 0) };
  } finally {
    await context.close();
  }
}

/** A page with no script from the same gateway: what loading anything costs this browser on this machine. */
async function plainPage(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    return await page.evaluate(
      () => (globalThis as unknown as InPage).performance.getEntriesByType('navigation')[0].loadEventEnd!,
    );
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 7);
  const report = path.join(__dirname, '..', 'console', 'build-report.json');
  if (!fs.existsSync(report)) throw new Error('the console is not built: npm run build');
  const built = JSON.parse(fs.readFileSync(report, 'utf8')) as { consoleJsGzipKb: number };

  const database = await scratchDatabase('sqlite');
  const config = loadConfig(
    { PORT: '0', SANDBOX_PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: database.url },
    database.dataDir,
  );
  const gateway = await createGateway(config, {
    logger: createLogger('silent'),
    collectDefaultMetrics: false,
  });
  const base = (await gateway.listen()).replace('127.0.0.1', 'localhost');
  const tenant = await gateway.services.tenants.create('bench');
  const { key } = await gateway.services.apiKeys.create(tenant.id, 'bench', ['ADMIN']);
  const { importBatchId } = await connectRealm(
    gateway,
    gateway.sandbox!,
    tenant.id,
    gateway.sandbox!.createRealm({ companyName: 'Bench Console Co' }),
  );
  await waitForBatch(gateway, importBatchId);

  const browser = await launchChromium();
  try {
    // One warm-up of each, so the figures are not the machine's first Chromium start.
    await firstScreen(browser, `${base}/console/connections`, key);
    await plainPage(browser, `${base}/healthz`);
    const connections: number[] = [];
    const signIn: number[] = [];
    const baseline: number[] = [];
    let jsGzipBytes = 0;
    for (let i = 0; i < runs; i++) {
      const screen = await firstScreen(browser, `${base}/console/connections`, key);
      connections.push(screen.interactiveMs);
      jsGzipBytes = screen.jsGzipBytes;
      signIn.push((await firstScreen(browser, `${base}/console/`, null)).interactiveMs);
      baseline.push(await plainPage(browser, `${base}/healthz`));
    }
    const interactive = median(connections);
    const loadedKb = round(jsGzipBytes / 1024, 1);
    console.log(
      JSON.stringify({
        bench: 'console',
        runs,
        firstScreenInteractiveMs: round(interactive, 0),
        firstScreenInteractiveMaxMs: round(Math.max(...connections), 0),
        signInInteractiveMs: round(median(signIn), 0),
        baselinePlainPageMs: round(median(baseline), 0),
        ratioToBaseline: round(interactive / median(baseline), 2),
        consoleJsGzipKbLoaded: loadedKb,
        consoleJsGzipKbBuilt: built.consoleJsGzipKb,
        targetMs: TARGET_MS,
        budgetKb: BUDGET_KB,
        withinTargets: interactive <= TARGET_MS && loadedKb <= BUDGET_KB,
      }),
    );
  } finally {
    await browser.close();
    await gateway.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

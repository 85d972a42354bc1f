/**
 * Guards for the console's browser tests (Chromium itself is launched by bench/chromium.ts). Every page is watched:
 * requests and WebSockets to anything but this machine are blocked and recorded, console errors and uncaught
 * exceptions are recorded. The console and GraphiQL pages carry their own strict Content-Security-Policy
 * (script-src 'self', connect-src 'self'), so an inline script or a foreign origin in them would be refused by
 * Chromium and show up here as a console error.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';

export { launchChromium } from '../../bench/chromium';

export const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts', 'console');
export const WIDTHS = [390, 1280] as const;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const isLocal = (url: string | URL): boolean => {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return parsed.protocol === 'data:' || parsed.protocol === 'blob:' || LOCAL_HOSTS.has(parsed.hostname);
};

/** A port nobody listens on now, for a gateway whose OAuth redirect URI must name its own port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface GuardedContext {
  context: BrowserContext;
  /** Non-local requests and sockets that were attempted (and blocked). */
  blocked: string[];
  /** Console errors (CSP violations among them) and page exceptions. */
  errors: string[];
}

/** A browser context whose every page is watched; local requests are not intercepted (they go out as they are). */
export async function guardedContext(browser: Browser): Promise<GuardedContext> {
  const context = await browser.newContext({ viewport: { width: WIDTHS[1], height: 900 } });
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route(
    (url) => !isLocal(url),
    (route) => {
      blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  await context.routeWebSocket(
    (url) => !isLocal(url),
    (ws) => {
      blocked.push(ws.url());
      return ws.close();
    },
  );
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      // Chromium asks every site for /favicon.ico on its own; the emulator's consent page has none. Not a page error.
      if (new URL(message.location().url || 'about:blank', 'http://x').pathname === '/favicon.ico') return;
      errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`${page.url()}: uncaught ${error.message}`));
  };
  context.on('page', watch);
  return { context, blocked, errors };
}

/** Full-page screenshots at phone and desktop widths, as test artifacts (artifacts/ is not committed). */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

const INTERACTIVE = new Set([
  'button',
  'link',
  'textbox',
  'searchbox',
  'checkbox',
  'switch',
  'combobox',
  'listbox',
  'radio',
  'spinbutton',
  'slider',
  'tab',
  'menuitem',
]);

/** Controls Chromium's accessibility tree exposes without a name (what a screen reader would read as "button"). */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{
        ignored: boolean;
        role?: { value: string };
        name?: { value: string };
        backendDOMNodeId?: number;
      }>;
    };
    return nodes
      .filter((node) => !node.ignored && INTERACTIVE.has(node.role?.value ?? '') && !node.name?.value?.trim())
      .map((node) => `${node.role?.value} (backend node ${node.backendDOMNodeId})`);
  } finally {
    await cdp.detach();
  }
}

/**
 * What the functions run in the page use, typed just enough: the tests compile without the DOM library. (Strings would
 * not do: the console's Content-Security-Policy refuses eval, and so Playwright's string expressions.)
 */
export interface InPage {
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
  document: { activeElement: { textContent: string | null } | null };
  getComputedStyle(element: unknown): { backgroundColor: string };
}

/** GraphiQL ignores Execute until both its editors exist: wait for them, then run. */
export async function executeInGraphiQL(page: Page): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
  await page.locator('.graphiql-response .monaco-editor').waitFor();
  await page.getByRole('button', { name: /Execute query/ }).click();
}

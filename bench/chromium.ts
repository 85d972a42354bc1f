/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for `bench/console.ts` and the console's browser
 * tests (test/browser). playwright-core cannot download browsers here; `apt-get install chromium` provides one.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium off the network it has no business with (refused here, many times a second). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium with a fresh, empty profile (Playwright's launch makes a new --user-data-dir every time). */
export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

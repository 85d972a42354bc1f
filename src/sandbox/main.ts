/**
 * `npm run sandbox -- --desktop ...` runs the QuickBooks Desktop emulator and its Web Connector instead (see
 * `desktopMain`).
 *
 * `npm run sandbox`: the emulator alone. Port from `SANDBOX_PORT` (default 4100), host from `SANDBOX_HOST` (default
 * 127.0.0.1), `--data <file>` keeps companies, apps and connections across restarts. Prints the URL and the demo app's
 * credentials. (A standalone entry point, so it reads process.env itself.)
 */
import fs from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { createSandbox } from './index';
import { createDesktopEmulator } from './desktop';

function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i !== -1) return args[i + 1];
  const prefixed = args.find((a) => a.startsWith(`${name}=`));
  return prefixed?.slice(name.length + 1);
}

/**
 * `npm run sandbox -- --desktop --qwc <file> --password <p>` (or `--url <AppURL> --user <name>`): a QuickBooks
 * Desktop company file and a Web Connector that runs every `--every` seconds (default 60; 0 = only on demand), with
 * the admin API on `--port` / SANDBOX_PORT (`POST /_desktop/poll` runs it now). `--company <name>` picks the company
 * file, `--data <file>` keeps it across restarts. The password may come from QBWC_PASSWORD instead.
 */
async function desktopMain(port: number): Promise<void> {
  const qwcFile = argValue('--qwc');
  const qwc = qwcFile
    ? (
        new XMLParser({ parseTagValue: false }).parse(fs.readFileSync(qwcFile, 'utf8')) as {
          QBWCXML?: { AppURL?: string; UserName?: string };
        }
      ).QBWCXML
    : undefined;
  const url = argValue('--url') ?? qwc?.AppURL;
  const userName = argValue('--user') ?? qwc?.UserName;
  const password = argValue('--password') ?? process.env.QBWC_PASSWORD;
  const every = Number(argValue('--every') ?? '60');
  const emulator = await createDesktopEmulator({
    port,
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    dataFile: argValue('--data'),
    logger: (line) => console.log(`[desktop] ${line}`),
  });
  if (url && userName && password) {
    emulator.attach({
      url,
      userName,
      password,
      companyName: argValue('--company'),
      everyMs: every * 1000 || undefined,
    });
  } else {
    console.log(
      'no Web Connector yet: pass --qwc <file> (or --url and --user) and --password (or QBWC_PASSWORD)',
    );
  }
  console.log(
    [
      `QuickBooks Desktop emulator, admin API on ${emulator.url ?? '(none)'}/_desktop`,
      `  run the Web Connector now   POST ${emulator.url ?? ''}/_desktop/poll`,
      `  company file objects        GET  ${emulator.url ?? ''}/_desktop/companies/<name>/<Customer|ItemNonInventory|SalesReceipt|...>`,
      url ? `Web Connector ${userName ?? '?'} → ${url} every ${every || 'never (on demand)'} s` : '',
    ].join('\n'),
  );
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(): Promise<void> {
  const portText = argValue('--port') ?? process.env.SANDBOX_PORT ?? '4100';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('SANDBOX_PORT must be a port number (0-65535)');
    process.exit(2);
  }
  if (process.argv.includes('--desktop')) return desktopMain(port);
  const dataFile = argValue('--data');
  const sandbox = await createSandbox({
    port,
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    dataFile,
    // A lived-in demo company (a few months of transactions) unless --empty is given.
    history: !process.argv.includes('--empty'),
    logger: (line) => console.log(`[sandbox] ${line}`),
  });
  const app = sandbox.demoApp;
  console.log(
    [
      `QuickBooks Online emulator on ${sandbox.url}`,
      `  authorize      ${sandbox.endpoints.authorizeEndpoint}`,
      `  token          ${sandbox.endpoints.tokenEndpoint}`,
      `  revoke         ${sandbox.endpoints.revokeEndpoint}`,
      `  accounting API ${sandbox.apiBase}{realmId}/...`,
      `  admin API      ${sandbox.url}/_sandbox`,
      `demo app`,
      `  client id      ${app.clientId}`,
      `  client secret  ${app.clientSecret}`,
      `  verifier token ${app.verifierToken}`,
      `  redirect URIs  ${app.redirectUris.join(', ')} (and any http://localhost or 127.0.0.1 URL)`,
      `demo company     realm ${sandbox.defaultRealmId}`,
      dataFile
        ? `snapshot file    ${dataFile}`
        : 'snapshot file    none (state is lost on exit; pass --data <file>)',
    ].join('\n'),
  );
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * `npm run sandbox`: the emulator alone. Port from `SANDBOX_PORT` (default 4100), host from `SANDBOX_HOST` (default
 * 127.0.0.1), `--data <file>` keeps companies, apps and connections across restarts. Prints the URL and the demo app's
 * credentials. (A standalone entry point, so it reads process.env itself.)
 */
import { createSandbox } from './index';

function argValue(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i !== -1) return args[i + 1];
  const prefixed = args.find((a) => a.startsWith(`${name}=`));
  return prefixed?.slice(name.length + 1);
}

async function main(): Promise<void> {
  const portText = argValue('--port') ?? process.env.SANDBOX_PORT ?? '4100';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('SANDBOX_PORT must be a port number (0-65535)');
    process.exit(2);
  }
  const dataFile = argValue('--data');
  const sandbox = await createSandbox({
    port,
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    dataFile,
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

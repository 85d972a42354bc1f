/**
 * The `js` examples of docs/sandbox.md ("Point a client at it") run as written: intuit-oauth pointed at the emulator,
 * node-quickbooks pointed at it, then a find and a create. They run in one scope with what the prose says is in scope:
 * `url`, the demo app's `clientId`, `clientSecret`, `redirectUri`, and a connection's `accessToken`, `refreshToken`,
 * `realmId`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connectApp, createSandbox, type Sandbox } from '../../src/sandbox';
import type { Json } from './helpers';

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'sandbox.md'), 'utf8');

function examples(): string[] {
  const section = DOC.slice(DOC.indexOf('## Point a client at it'), DOC.indexOf('**Discovery.**'));
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ port: 0, limits: { enabled: false } });
});

afterAll(async () => {
  await sandbox.close();
});

describe('docs/sandbox.md examples', () => {
  it('has the three client examples', () => {
    expect(examples()).toHaveLength(3);
  });

  it('run as written against the emulator', async () => {
    const app = sandbox.demoApp;
    const redirectUri = app.redirectUris[0];
    const { realmId, tokens } = await connectApp(sandbox.url, {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri,
    });
    const printed: unknown[][] = [];
    const done = new Promise<void>((resolve) => {
      const fakeConsole = {
        log: (...args: unknown[]) => {
          printed.push(args);
          resolve();
        },
      };
      const body = `${examples().join('\n')}\nreturn { client, qbo };`;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- running the documentation's own code
      const run = new Function(
        'require',
        'console',
        'url',
        'clientId',
        'clientSecret',
        'redirectUri',
        'accessToken',
        'refreshToken',
        'realmId',
        body,
      ) as (...args: unknown[]) => { client: Json; qbo: Json };
      const scope = run(
        require,
        fakeConsole,
        sandbox.url,
        app.clientId,
        app.clientSecret,
        redirectUri,
        tokens.access_token,
        tokens.refresh_token,
        realmId,
      );
      // The intuit-oauth client the first example configured points at the emulator.
      expect(scope.client.authorizeUri({ scope: ['com.intuit.quickbooks.accounting'] })).toContain(
        `${sandbox.url}/connect/oauth2?`,
      );
    });
    await done;
    expect(printed[0]).toEqual([expect.stringMatching(/^\d+$/), 100, 100]);
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import WebSocket from 'ws';
import { runCli } from '../../../src/cli';
import { ensureDatabase, StartupError } from '../../../src/db/database-check';
import { JobStore } from '../../../src/jobs/job-store';
import { DIALECTS } from '../../support/database';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { until } from '../../support/wait';

const ROOT = path.join(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, run before TypeScript is built
const { isStale, STAMP } = require('../../../scripts/build-if-stale.js') as {
  isStale: (root: string) => boolean;
  STAMP: string;
};

/** The gateway's own entry point as a process (through ts-node, as the crash tests run workers). */
function gatewayProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe.each(DIALECTS)('operations on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect, { RUN_WORKER: 'false', READYZ_MAX_QUEUE_WAIT_SECONDS: '1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('fails /readyz when work has waited past the threshold with no live worker, and shows the queue in metrics', async () => {
    const readyz = async () => {
      const response = await fetch(`${t.url}/readyz`);
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const metrics = async () => (await fetch(`${t.url}/metrics`)).text();
    expect((await readyz()).status).toBe(200);
    await t.gateway.queue.enqueue(
      'orders.post',
      { batchId: 'bat_waiting' },
      { runAt: new Date(Date.now() - 5_000) },
    );
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.reason).toMatch(/jobs have waited \d+ s and no worker is running/);
    const text = await metrics();
    expect(text).toContain('gateway_jobs{kind="orders.post",status="QUEUED"} 1');
    expect(text).toContain('gateway_workers_alive 0');
    expect(Number(/^gateway_jobs_oldest_waiting_seconds (\S+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(5);
    // A worker's heartbeat: the work will be picked up, so the gateway is ready again.
    const now = new Date();
    await new JobStore(t.gateway.dataSource).beat('worker-under-test', now, now);
    expect((await readyz()).status).toBe(200);
    expect(await metrics()).toContain('gateway_workers_alive 1');
  });

  it('creates a missing MySQL database when it may, and says in one line what to do when it may not', async () => {
    if (dialect !== 'mysql') {
      // SQLite: a missing file is refused when creating is not allowed (the CLI), and nothing is created.
      const file = path.join(os.tmpdir(), `qbg-missing-${process.pid}.sqlite`);
      await expect(
        ensureDatabase({ type: 'sqlite', url: file, runMigrations: true }, { create: false }),
      ).rejects.toThrow(/^DATABASE_URL: there is no database at .*qbg-missing/);
      expect(fs.existsSync(file)).toBe(false);
      return;
    }
    const base = new URL(process.env.TEST_DATABASE_URL!);
    const name = `${base.pathname.slice(1)}_created_${process.pid}`;
    const url = new URL(base.toString());
    url.pathname = `/${name}`;
    const admin = await createConnection(base.toString());
    try {
      await expect(
        ensureDatabase({ type: 'mysql', url: url.toString(), runMigrations: true }, { create: false }),
      ).rejects.toThrow(`DATABASE_URL: database "${name}" does not exist`);
      expect(
        await ensureDatabase({ type: 'mysql', url: url.toString(), runMigrations: true }, { create: true }),
      ).toBe(true);
      expect(
        await ensureDatabase({ type: 'mysql', url: url.toString(), runMigrations: true }, { create: true }),
      ).toBe(false);
      // A user who may not create databases gets the fix, not a stack.
      const user = `qbg_limited_${process.pid}`;
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'limited-pass'`);
      await admin.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'limited-pass'`);
      try {
        const limited = new URL(url.toString());
        limited.username = user;
        limited.password = 'limited-pass';
        limited.pathname = `/${name}_other`;
        const failure = await ensureDatabase(
          { type: 'mysql', url: limited.toString(), runMigrations: true },
          { create: true },
        ).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StartupError);
        expect((failure as Error).message).toMatch(
          /^DATABASE_URL: database ".*_other" on .* does not exist or user ".*" may not use it, and the user may not create it; /,
        );
        expect((failure as Error).message).not.toContain('\n');
      } finally {
        await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
        await admin.query(`DROP USER IF EXISTS '${user}'@'localhost'`);
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
  });
});

describe('start-up and shutdown of the gateway process', () => {
  it('prints one line naming DATABASE_URL and the fix when the database refuses connections', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-startup-'));
    try {
      const gateway = gatewayProcess({
        DATABASE_URL: 'mysql://root@127.0.0.1:1/gateway',
        PORT: '0',
        SANDBOX_PORT: '0',
        LOG_LEVEL: 'silent',
        QBO_SANDBOX_URL: 'http://127.0.0.1:1',
        GATEWAY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      });
      expect(await gateway.exited).toBe(1);
      const lines = gateway.output().stderr.trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^DATABASE_URL: nothing accepts connections at 127\.0\.0\.1:1; /),
      ]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('drains and exits cleanly on SIGTERM with connections open, before its 5 s limit forces an exit', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-sigterm-'));
    try {
      const gateway = gatewayProcess({
        DATABASE_URL: `sqlite:${path.join(dataDir, 'gateway.sqlite')}`,
        PORT: '0',
        SANDBOX_PORT: '0',
        LOG_LEVEL: 'silent',
      });
      await until(() => /running at (http:\/\/\S+)\/graphql/.test(gateway.output().stdout));
      const url = /running at (http:\/\/\S+)\/graphql/.exec(gateway.output().stdout)![1]!;
      const key = /Demo API key \(tenant "demo"\): (\S+)/.exec(gateway.output().stdout)![1]!;
      // An open WebSocket and a kept-alive HTTP connection.
      const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise<void>((resolve) => socket.once('open', () => resolve()));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
      await new Promise<void>((resolve) => socket.once('message', () => resolve()));
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      gateway.child.kill('SIGTERM');
      // Exit code 0: the drain finished; the forced exit after SHUTDOWN_TIMEOUT_SECONDS (5) would be code 1.
      expect(await gateway.exited).toBe(0);
      socket.terminate();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('the CLI', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-cli-'));
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const lines: string[] = [];
    const code = await runCli(args, (line) => lines.push(line), {
      DATABASE_URL: `sqlite:${path.join(dataDir, 'cli.sqlite')}`,
      LOG_LEVEL: 'silent',
      ...env,
    });
    return { code, text: lines.join('\n') };
  };

  it('answers --help with exit 0 and every command, and usage errors with exit 2', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const help = await run([flag]);
      expect(help.code).toBe(0);
      for (const command of [
        'tenant create',
        'tenant list',
        'api-key create',
        'api-key list',
        'api-key revoke',
        'migrate',
      ]) {
        expect(help.text).toContain(command);
      }
    }
    expect((await run([])).code).toBe(2);
    expect((await run(['tenant', 'eat'])).code).toBe(2);
  });

  it('creates no database it was not asked to, and lists tenants and keys (never the keys themselves)', async () => {
    const elsewhere = path.join(dataDir, 'elsewhere', 'gateway.sqlite');
    await expect(run(['tenant', 'list'], { DATABASE_URL: `sqlite:${elsewhere}` })).rejects.toThrow(
      /^DATABASE_URL: there is no database at /,
    );
    expect(fs.existsSync(elsewhere)).toBe(false);
    expect((await run(['migrate', '--create-database'])).code).toBe(0);
    expect((await run(['tenant', 'create', 'acme'])).code).toBe(0);
    expect((await run(['tenant', 'list'])).text).toMatch(/^acme\tten_/);
    const created = await run(['api-key', 'create', '--tenant', 'acme', '--scopes', 'READ']);
    const key = /key \(shown once, store it now\): (\S+)/.exec(created.text)![1]!;
    const listed = await run(['api-key', 'list']);
    expect(listed.text).toMatch(/\tacme\tcli\tREAD\tactive$/);
    expect(listed.text).not.toContain(key);
  });

  it('reads .env when present, the environment winning', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-dotenv-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'QBG_DOTENV_FROM_FILE=file\nQBG_DOTENV_BOTH=file\n');
      // In a process of its own: process.loadEnvFile writes the real environment, which jest keeps apart.
      const child = spawn(
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          '-e',
          `require('./src/config').loadDotEnv(${JSON.stringify(dir)}); ` +
            'console.log(JSON.stringify([process.env.QBG_DOTENV_FROM_FILE, process.env.QBG_DOTENV_BOTH]))',
        ],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.jest.json'),
            QBG_DOTENV_BOTH: 'environment',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => child.once('exit', resolve));
      expect(JSON.parse(out)).toEqual(['file', 'environment']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('builds before a command only when the build is stale', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-build-'));
    try {
      fs.mkdirSync(path.join(root, 'src'));
      fs.mkdirSync(path.join(root, 'dist'));
      fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export {};\n');
      expect(isStale(root)).toBe(true); // never built
      const stamp = path.join(root, STAMP);
      fs.writeFileSync(stamp, 'built\n');
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(stamp, later, later);
      expect(isStale(root)).toBe(false);
      const latest = new Date(Date.now() + 120_000);
      fs.utimesSync(path.join(root, 'src', 'a.ts'), latest, latest);
      expect(isStale(root)).toBe(true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { loadConfig, type Config } from '../src/config';
import type { Core } from '../src/core';
import type { Sandbox } from '../src/sandbox';

/** A scratch database for a benchmark: SQLite, or MySQL on BENCH_DATABASE_URL's server (the default when it is set). */
export async function scratchDatabase(
  dialect: 'sqlite' | 'mysql' = process.env.BENCH_DATABASE_URL ? 'mysql' : 'sqlite',
): Promise<{ url: string; dataDir: string; dialect: string; drop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-bench-'));
  const base = process.env.BENCH_DATABASE_URL;
  if (dialect === 'sqlite' || !base) {
    return {
      url: `sqlite:${path.join(dataDir, 'bench.sqlite')}`,
      dataDir,
      dialect: 'sqlite',
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `bench_${process.pid}_${Date.now()}`;
  const admin = await createConnection(base);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    dialect: 'mysql',
    drop: async () => {
      const conn = await createConnection(base);
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function benchConfig(
  databaseUrl: string,
  dataDir: string,
  sandboxUrl: string,
  extra: Record<string, string> = {},
): Readonly<Config> {
  return loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, QBO_SANDBOX_URL: sandboxUrl, ...extra },
    dataDir,
  );
}

/** Connects a realm through the real OAuth flow (consent auto-approved); returns the connection and its import batch. */
export async function connectRealm(
  core: Core,
  sandbox: Sandbox,
  tenantId: string,
  realmId: string,
): Promise<{ connectionId: string; importBatchId: string }> {
  const { connection, authorizationUrl } = await core.services.connections.connect(tenantId, {
    name: `bench ${realmId}`,
  });
  const consent = new URL(authorizationUrl);
  consent.searchParams.set('sandbox_consent', 'approve');
  consent.searchParams.set('sandbox_realm', realmId);
  const response = await fetch(consent, { redirect: 'manual' });
  const location = new URL(response.headers.get('location')!);
  const outcome = await core.services.connections.completeAuthorization(
    Object.fromEntries(location.searchParams),
  );
  if (!outcome.ok || !outcome.importBatchId) throw new Error(outcome.message);
  void sandbox;
  return { connectionId: connection.id, importBatchId: outcome.importBatchId };
}

export function waitForBatch(core: Core, batchId: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = async (): Promise<void> => {
      const batch = await core.services.batches.findById(batchId);
      if (batch && ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'].includes(batch.status)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`batch ${batchId} did not finish`));
      setTimeout(() => void check(), 20);
    };
    void check();
  });
}

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

export interface Emulator {
  url: string;
  process: ChildProcess;
  admin(method: string, route: string, body?: unknown): Promise<unknown>;
}

/** The emulator in its own process, so its memory and CPU are not the gateway's. */
export async function startEmulator(): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'src', 'sandbox', 'main.js'), '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /emulator on (http:\/\/\S+)/.exec(buffer);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error('emulator exited')));
  });
  child.stdout.resume();
  return {
    url,
    process: child,
    async admin(method, route, body) {
      const response = await fetch(`${url}/_sandbox/${route}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.json();
    },
  };
}

/** CPU seconds used so far by a process (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

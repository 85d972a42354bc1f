import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGateway } from '../../../src/app';
import { ensureBootstrapKeys } from '../../../src/bootstrap';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';

const mode = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);

/**
 * `./data` holds the SQLite database, the emulator's tokens and client secrets, the local encryption key and the demo
 * key: owner-only, even when an earlier version left it world-readable.
 */
(process.platform === 'win32' ? describe.skip : describe)('data folder permissions', () => {
  it('makes ./data 0700 and every file in it 0600, including files left 0644 before', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qbg-perm-'));
    const dataDir = path.join(root, 'data');
    try {
      // What an earlier version left: a world-readable folder and file.
      fs.mkdirSync(dataDir, { mode: 0o755 });
      fs.chmodSync(dataDir, 0o755);
      fs.writeFileSync(path.join(dataDir, 'desktop.json'), '{"companies":[],"connectors":[]}');
      fs.chmodSync(path.join(dataDir, 'desktop.json'), 0o644);

      const config = loadConfig(
        { PORT: '0', SANDBOX_PORT: '0', LOG_LEVEL: 'silent', NODE_ENV: 'test' },
        root,
      );
      expect(config.database.url).toBe(path.join(dataDir, 'gateway.sqlite'));
      const logger = createLogger('silent');
      const gateway = await createGateway(config, { logger, collectDefaultMetrics: false, runWorker: false });
      try {
        await gateway.listen();
        const { demoKey } = await ensureBootstrapKeys(gateway.config, gateway.services, logger);
        expect(demoKey).toBeDefined();
        gateway.sandbox!.createRealm({ companyName: 'Secrets Co' });
      } finally {
        await gateway.close();
      }
      const files = fs.readdirSync(dataDir);
      expect(files).toEqual(
        expect.arrayContaining(['gateway.sqlite', 'sandbox.json', 'demo-api-key', 'desktop.json']),
      );
      expect(mode(dataDir)).toBe('700');
      for (const file of files) expect([file, mode(path.join(dataDir, file))]).toEqual([file, '600']);

      // A folder and files loosened since are tightened at the next start.
      fs.chmodSync(dataDir, 0o755);
      fs.chmodSync(path.join(dataDir, 'sandbox.json'), 0o644);
      fs.chmodSync(path.join(dataDir, 'gateway.sqlite'), 0o644);
      const again = await createGateway(config, { logger, collectDefaultMetrics: false, runWorker: false });
      await again.close();
      expect(mode(dataDir)).toBe('700');
      expect(mode(path.join(dataDir, 'sandbox.json'))).toBe('600');
      expect(mode(path.join(dataDir, 'gateway.sqlite'))).toBe('600');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
